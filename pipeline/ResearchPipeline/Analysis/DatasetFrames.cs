using ResearchPipeline.Dataset;
using Microsoft.Data.Analysis;
using Parquet;
using Parquet.Schema;

namespace ResearchPipeline.Analysis;

/// <summary>
/// Loads a published table into a Microsoft.Data.Analysis <see cref="DataFrame"/> for notebooks.
/// Microsoft.Data.Analysis has no Parquet reader, and Parquet.Net hands strings back as UTF-8 it decodes on
/// request, so each column is converted here to the DataFrame column of its exact type: strings stay strings,
/// integers keep their width and signedness (AS numbers are uint32), timestamps are UTC DateTimes, nulls stay nulls.
/// </summary>
public static class DatasetFrames
{
    /// <summary>Loads <c>folder/table.parquet</c>.</summary>
    public static DataFrame Load(string folder, string table) => LoadFile(Path.Combine(folder, table + ".parquet"));

    public static DataFrame LoadFile(string path) => LoadFileAsync(path).GetAwaiter().GetResult();

    public static async Task<DataFrame> LoadFileAsync(string path, CancellationToken cancel = default)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no published table at {path}", path);
        await using var reader = await ParquetReader.CreateAsync(path, cancellationToken: cancel);
        var fields = reader.Schema.GetDataFields();
        var columns = fields.Select(CreateColumn).ToList();
        for (var g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var rows = (int)group.RowCount;
            for (var c = 0; c < fields.Length; c++) await AppendAsync(group, fields[c], columns[c], rows, cancel);
        }
        return new DataFrame(columns);
    }

    private static DataFrameColumn CreateColumn(DataField field) => field.ClrType switch
    {
        var t when t == typeof(string) || t == typeof(ReadOnlyMemory<char>) => new StringDataFrameColumn(field.Name),
        var t when t == typeof(int) => new Int32DataFrameColumn(field.Name),
        var t when t == typeof(long) => new Int64DataFrameColumn(field.Name),
        var t when t == typeof(uint) => new UInt32DataFrameColumn(field.Name),
        var t when t == typeof(double) => new DoubleDataFrameColumn(field.Name),
        var t when t == typeof(bool) => new BooleanDataFrameColumn(field.Name),
        var t when t == typeof(DateTime) => new PrimitiveDataFrameColumn<DateTime>(field.Name),
        var t => throw new NotSupportedException($"column {field.Name} has type {t.Name}, which the dataset does not publish"),
    };

    private static async Task AppendAsync(ParquetRowGroupReader group, DataField field, DataFrameColumn column, int rows, CancellationToken cancel)
    {
        switch (column)
        {
            case StringDataFrameColumn strings:
                var values = new string?[rows];
                await group.ReadAsync(field, values.AsMemory(), cancellationToken: cancel);
                foreach (var v in values) strings.Append(v);
                break;
            case Int32DataFrameColumn c: await AppendValues(group, field, c, rows, cancel); break;
            case Int64DataFrameColumn c: await AppendValues(group, field, c, rows, cancel); break;
            case UInt32DataFrameColumn c: await AppendValues(group, field, c, rows, cancel); break;
            case DoubleDataFrameColumn c: await AppendValues(group, field, c, rows, cancel); break;
            case BooleanDataFrameColumn c: await AppendValues(group, field, c, rows, cancel); break;
            case PrimitiveDataFrameColumn<DateTime> c:
                await AppendValues(group, field, c, rows, cancel);
                break;
        }
    }

    private static async Task AppendValues<T>(ParquetRowGroupReader group, DataField field, PrimitiveDataFrameColumn<T> column, int rows, CancellationToken cancel)
        where T : unmanaged
    {
        var values = new T?[rows];
        await ParquetCells.ReadAsync(group, field, values.AsMemory(), cancel);
        foreach (var v in values) column.Append(v is { } x && typeof(T) == typeof(DateTime) ? (T)(object)DateTime.SpecifyKind((DateTime)(object)x, DateTimeKind.Utc) : v);
    }
}
