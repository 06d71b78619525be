using Microsoft.Data.Analysis;

namespace ResearchPipeline.Analysis;

/// <summary>
/// Typed access to the columns of a published table loaded by <see cref="DatasetFrames"/>, failing with the
/// column's name when a table lacks it or holds another type, rather than with a cast error deep in a figure.
/// </summary>
public static class FrameColumns
{
    public static string?[] Strings(DataFrame frame, string column) => Column<StringDataFrameColumn>(frame, column).ToArray();

    public static bool?[] Booleans(DataFrame frame, string column) => Values<bool>(Column<BooleanDataFrameColumn>(frame, column));

    public static int?[] Int32s(DataFrame frame, string column) => Values<int>(Column<Int32DataFrameColumn>(frame, column));

    public static uint?[] UInt32s(DataFrame frame, string column) => Values<uint>(Column<UInt32DataFrameColumn>(frame, column));

    public static double?[] Doubles(DataFrame frame, string column) => Values<double>(Column<DoubleDataFrameColumn>(frame, column));

    private static T?[] Values<T>(PrimitiveDataFrameColumn<T> column) where T : unmanaged
    {
        var values = new T?[column.Length];
        for (long i = 0; i < column.Length; i++) values[i] = column[i];
        return values;
    }

    private static TColumn Column<TColumn>(DataFrame frame, string column) where TColumn : DataFrameColumn
    {
        if (frame.Columns.IndexOf(column) < 0)
            throw new ArgumentException($"the table has no column {column}; its columns are {string.Join(", ", frame.Columns.Select(c => c.Name))}");
        return frame.Columns[column] as TColumn
            ?? throw new ArgumentException($"column {column} is a {frame.Columns[column].DataType.Name} column, expected {typeof(TColumn).Name}");
    }
}
