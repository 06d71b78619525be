using Parquet;
using Parquet.Schema;

namespace ResearchPipeline.Dataset;

/// <summary>
/// One column of a published table: its name, Parquet type, meaning, and how to take its value from a row.
/// The data dictionary is generated from these, so the documentation cannot drift from the files.
/// </summary>
public abstract class TableColumn<TRow> : IColumnDefinition
{
    protected TableColumn(string name, string description)
    {
        Name = name;
        Description = description;
    }

    public string Name { get; }
    public string Description { get; }
    public abstract DataField Field { get; }

    /// <summary>The type as a reader of the data dictionary understands it.</summary>
    public abstract string TypeName { get; }

    internal Task WriteAsync(ParquetRowGroupWriter writer, IReadOnlyList<TRow> rows, int start, int count)
    {
        var cells = NewCells(count);
        Fill(cells, rows, start, count);
        return WriteCellsAsync(writer, cells, count);
    }

    /// <summary>Takes this column's values of rows[start..start+count) into cells[0..count).</summary>
    internal abstract void Fill(Array cells, IReadOnlyList<TRow> rows, int start, int count);

    public abstract Array NewCells(int count);
    public abstract Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count);
    /// <param name="field">The column as the file being read describes it (a field belongs to one schema).</param>
    public abstract ValueTask ReadCellsAsync(ParquetRowGroupReader reader, DataField field, Array cells, CancellationToken cancel);
}

public sealed class StringColumn<TRow>(string name, string description, Func<TRow, string?> value)
    : TableColumn<TRow>(name, description)
{
    public override DataField Field { get; } = new DataField<string>(name, nullable: true);
    public override string TypeName => "string";

    internal override void Fill(Array cells, IReadOnlyList<TRow> rows, int start, int count)
    {
        var values = (string?[])cells;
        for (var i = 0; i < count; i++) values[i] = value(rows[start + i]);
    }

    public override Array NewCells(int count) => new string?[count];

    public override Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count) =>
        writer.WriteAsync(Field, cells.Length == count ? (string[])cells : new ArraySegment<string>((string[])cells, 0, count));

    public override ValueTask ReadCellsAsync(ParquetRowGroupReader reader, DataField field, Array cells, CancellationToken cancel) =>
        reader.ReadAsync(field, ((string?[])cells).AsMemory(0, (int)reader.RowCount)!, cancellationToken: cancel);
}

public sealed class ValueColumn<TRow, T>(string name, string description, Func<TRow, T?> value)
    : TableColumn<TRow>(name, description)
    where T : struct
{
    public override DataField Field { get; } = new DataField<T?>(name);

    public override string TypeName => typeof(T) switch
    {
        var t when t == typeof(int) => "int32",
        var t when t == typeof(long) => "int64",
        var t when t == typeof(uint) => "uint32",
        var t when t == typeof(double) => "double",
        var t when t == typeof(bool) => "boolean",
        var t => t.Name,
    };

    internal override void Fill(Array cells, IReadOnlyList<TRow> rows, int start, int count)
    {
        var values = (T?[])cells;
        for (var i = 0; i < count; i++) values[i] = value(rows[start + i]);
    }

    public override Array NewCells(int count) => new T?[count];

    public override Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count) =>
        writer.WriteAsync<T>(Field, new ReadOnlyMemory<T?>((T?[])cells, 0, count));

    public override ValueTask ReadCellsAsync(ParquetRowGroupReader reader, DataField field, Array cells, CancellationToken cancel) =>
        reader.ReadAsync<T>(field, ((T?[])cells).AsMemory(0, (int)reader.RowCount), cancellationToken: cancel);
}

/// <summary>An instant, stored as a Parquet TIMESTAMP(MICROS, UTC) logical type, never INT96.</summary>
public sealed class TimestampColumn<TRow>(string name, string description, Func<TRow, DateTimeOffset?> value)
    : TableColumn<TRow>(name, description)
{
    public override DataField Field { get; } =
        new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true);

    public override string TypeName => "timestamp[us, UTC]";

    internal override void Fill(Array cells, IReadOnlyList<TRow> rows, int start, int count)
    {
        var values = (DateTime?[])cells;
        for (var i = 0; i < count; i++) values[i] = value(rows[start + i])?.UtcDateTime;
    }

    public override Array NewCells(int count) => new DateTime?[count];

    public override Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count) =>
        writer.WriteAsync<DateTime>(Field, new ReadOnlyMemory<DateTime?>((DateTime?[])cells, 0, count));

    public override ValueTask ReadCellsAsync(ParquetRowGroupReader reader, DataField field, Array cells, CancellationToken cancel) =>
        reader.ReadAsync<DateTime>(field, ((DateTime?[])cells).AsMemory(0, (int)reader.RowCount), cancellationToken: cancel);
}

/// <summary>Short constructors so that table definitions read as a column list.</summary>
public static class Col
{
    public static TableColumn<TRow> Str<TRow>(string name, string description, Func<TRow, string?> value) => new StringColumn<TRow>(name, description, value);
    public static TableColumn<TRow> Int<TRow>(string name, string description, Func<TRow, int?> value) => new ValueColumn<TRow, int>(name, description, value);
    public static TableColumn<TRow> Long<TRow>(string name, string description, Func<TRow, long?> value) => new ValueColumn<TRow, long>(name, description, value);
    public static TableColumn<TRow> UInt<TRow>(string name, string description, Func<TRow, uint?> value) => new ValueColumn<TRow, uint>(name, description, value);
    public static TableColumn<TRow> Double<TRow>(string name, string description, Func<TRow, double?> value) => new ValueColumn<TRow, double>(name, description, value);
    public static TableColumn<TRow> Bool<TRow>(string name, string description, Func<TRow, bool?> value) => new ValueColumn<TRow, bool>(name, description, value);
    public static TableColumn<TRow> Time<TRow>(string name, string description, Func<TRow, DateTimeOffset?> value) => new TimestampColumn<TRow>(name, description, value);
}
