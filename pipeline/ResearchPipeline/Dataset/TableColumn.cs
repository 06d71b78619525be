using Parquet;
using Parquet.Schema;

namespace ResearchPipeline.Dataset;

/// <summary>
/// One column of a published table: its name, Parquet type, meaning, and how to take its value from a row.
/// The data dictionary is generated from these, so the documentation cannot drift from the files.
/// </summary>
public abstract class TableColumn<TRow> : IColumnDefinition
{
    protected TableColumn(string name, string description, bool required)
    {
        Name = name;
        Description = description;
        Required = required;
    }

    public string Name { get; }
    public string Description { get; }

    /// <summary>
    /// Never null: written REQUIRED in the Parquet schema so readers know without looking at the rows. A row
    /// without a value for it is a bug in the stage that made the row, and stops the write.
    /// </summary>
    public bool Required { get; }
    public abstract DataField Field { get; }

    /// <summary>The type as a reader of the data dictionary understands it.</summary>
    public abstract string TypeName { get; }

    /// <summary>Takes this column's values of the rows into cells[0..rows.Length).</summary>
    internal abstract void Fill(Array cells, ReadOnlySpan<TRow> rows);

    public abstract Array NewCells(int count);
    public abstract Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count);

    /// <summary>The kind of cells as a shard file's header names it: a shard read with other kinds of cells than it holds is refused.</summary>
    internal abstract byte ShardKind { get; }

    /// <summary>Appends cells[0..count) to a shard's row group (see <see cref="ShardFormat"/>).</summary>
    /// <param name="repeats">For text that repeats: the writer's memory of where each text was met in the group.</param>
    internal abstract void WriteShard(System.Buffers.ArrayBufferWriter<byte> into, Array cells, int count, Dictionary<string, int>? repeats);

    /// <summary>Reads a shard's column into cells[0..count), every cell written.</summary>
    /// <param name="shared">For text that repeats: one string per distinct value.</param>
    internal abstract void ReadShard(ref ShardReader from, Array cells, int count, SharedText? shared);
}

/// <summary>How a text column tells absence: by null, or (for a value as sent) by null with "" kept as a value.</summary>
public enum EmptyText
{
    /// <summary>"" means the value does not apply (no method on a DNS row, no query in a URL): published as null.</summary>
    IsAbsent,
    /// <summary>"" is a value someone sent (a form field sent empty): kept, distinct from null (not sent).</summary>
    IsValue,
}

public sealed class StringColumn<TRow>(string name, string description, Func<TRow, string?> value, bool required = false, EmptyText empty = EmptyText.IsAbsent)
    : TableColumn<TRow>(name, description, required)
{
    public override DataField Field { get; } = new DataField<string>(name, nullable: !required);
    public override string TypeName => "string";
    public EmptyText Empty => empty;

    internal override void Fill(Array cells, ReadOnlySpan<TRow> rows)
    {
        var values = (string?[])cells;
        for (var i = 0; i < rows.Length; i++)
        {
            var v = value(rows[i]);
            if (v is { Length: 0 } && empty == EmptyText.IsAbsent) v = null;
            if (v is null && Required) throw new InvalidOperationException($"column {Name} is required but a row has no value for it");
            values[i] = v;
        }
    }

    public override Array NewCells(int count) => new string?[count];

    // What Parquet.Net's string helper does, over the array itself: the helper walks an IReadOnlyCollection through
    // its interface, two interface calls a cell, which was the largest cost of emit inside the library.
    public override Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count)
    {
        var values = (string?[])cells;
        var present = new ParquetCells.PresentCells<ReadOnlyMemory<char>>(Field, count);
        for (var i = 0; i < count; i++) present.Add(i, values[i]?.AsMemory());
        return present.WriteAsync(writer);
    }

    /// <summary>The same cells from a text buffer: the same bytes as written from their strings.</summary>
    internal Task WriteTextAsync(ParquetRowGroupWriter writer, TextCellBuffer cells)
    {
        var present = new ParquetCells.PresentCells<ReadOnlyMemory<char>>(Field, cells.Count);
        for (var i = 0; i < cells.Count; i++) present.Add(i, cells.Memory(i));
        return present.WriteAsync(writer);
    }

    internal override byte ShardKind => (byte)'s';

    internal override void WriteShard(System.Buffers.ArrayBufferWriter<byte> into, Array cells, int count, Dictionary<string, int>? repeats) =>
        ShardFormat.WriteStrings(into, (string?[])cells, count, repeats);

    internal override void ReadShard(ref ShardReader from, Array cells, int count, SharedText? shared) => ShardFormat.ReadStrings(ref from, (string?[])cells, count, shared);
}

public sealed class ValueColumn<TRow, T>(string name, string description, Func<TRow, T?> value, bool required = false)
    : TableColumn<TRow>(name, description, required)
    where T : struct
{
    public override DataField Field { get; } = required ? new DataField<T>(name) : new DataField<T?>(name);

    public override string TypeName => typeof(T) switch
    {
        var t when t == typeof(int) => "int32",
        var t when t == typeof(long) => "int64",
        var t when t == typeof(uint) => "uint32",
        var t when t == typeof(double) => "double",
        var t when t == typeof(bool) => "boolean",
        var t => t.Name,
    };

    internal override void Fill(Array cells, ReadOnlySpan<TRow> rows)
    {
        var values = (T?[])cells;
        for (var i = 0; i < rows.Length; i++)
        {
            values[i] = value(rows[i]);
            if (values[i] is null && Required) throw new InvalidOperationException($"column {Name} is required but a row has no value for it");
        }
    }

    public override Array NewCells(int count) => new T?[count];

    public override Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count) =>
        ParquetCells.WriteAsync<T>(writer, Field, ((T?[])cells).AsMemory(0, count));

    internal override byte ShardKind => typeof(T) switch
    {
        var t when t == typeof(int) => (byte)'i',
        var t when t == typeof(long) => (byte)'l',
        var t when t == typeof(uint) => (byte)'u',
        var t when t == typeof(double) => (byte)'d',
        var t when t == typeof(bool) => (byte)'b',
        var t => throw new NotSupportedException($"shard cells of {t}"),
    };

    internal override void WriteShard(System.Buffers.ArrayBufferWriter<byte> into, Array cells, int count, Dictionary<string, int>? repeats) => ShardFormat.WriteValues(into, (T?[])cells, count);

    internal override void ReadShard(ref ShardReader from, Array cells, int count, SharedText? shared) => ShardFormat.ReadValues(ref from, (T?[])cells, count);
}

/// <summary>An instant, stored as a Parquet TIMESTAMP(MICROS, UTC) logical type, never INT96.</summary>
public sealed class TimestampColumn<TRow>(string name, string description, Func<TRow, DateTimeOffset?> value, bool required = false)
    : TableColumn<TRow>(name, description, required)
{
    public override DataField Field { get; } =
        new DateTimeDataField(name, DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: !required);

    public override string TypeName => "timestamp[us, UTC]";

    internal override void Fill(Array cells, ReadOnlySpan<TRow> rows)
    {
        var values = (DateTime?[])cells;
        for (var i = 0; i < rows.Length; i++)
        {
            values[i] = value(rows[i])?.UtcDateTime;
            if (values[i] is null && Required) throw new InvalidOperationException($"column {Name} is required but a row has no value for it");
        }
    }

    public override Array NewCells(int count) => new DateTime?[count];

    public override Task WriteCellsAsync(ParquetRowGroupWriter writer, Array cells, int count) =>
        ParquetCells.WriteAsync<DateTime>(writer, Field, ((DateTime?[])cells).AsMemory(0, count));

    internal override byte ShardKind => (byte)'t';

    internal override void WriteShard(System.Buffers.ArrayBufferWriter<byte> into, Array cells, int count, Dictionary<string, int>? repeats) => ShardFormat.WriteTimes(into, (DateTime?[])cells, count);

    internal override void ReadShard(ref ShardReader from, Array cells, int count, SharedText? shared) => ShardFormat.ReadTimes(ref from, (DateTime?[])cells, count);
}

/// <summary>
/// Value cells are held as T? whichever way the file declares the column. They are written as the values present and,
/// for an OPTIONAL column, each row's definition level (<see cref="PresentCells{T}"/>); a REQUIRED column is read through
/// Parquet.Net's non-nullable call.
/// </summary>
public static class ParquetCells
{
    public static Task WriteAsync<T>(ParquetRowGroupWriter writer, DataField field, ReadOnlyMemory<T?> cells) where T : struct
    {
        var present = new PresentCells<T>(field, cells.Length);
        var span = cells.Span;
        for (var i = 0; i < span.Length; i++) present.Add(i, span[i]);
        return present.WriteAsync(writer);
    }

    /// <summary>
    /// A row group's column as Parquet.Net holds one once it has it: the values present, in order, and each row's
    /// definition level (where the column may be null). Given so, the library writes the same bytes as from cells that
    /// may be null, without first copying them into these two itself. Its arrays are rented, and taken back once written:
    /// a new array each time would be one on the large object heap.
    /// </summary>
    internal sealed class PresentCells<T>(DataField field, int count) where T : struct
    {
        private readonly T[] _values = System.Buffers.ArrayPool<T>.Shared.Rent(count);
        private readonly int[]? _levels = field.MaxDefinitionLevel > 0 ? System.Buffers.ArrayPool<int>.Shared.Rent(count) : null;
        private int _present;

        /// <summary>The row's cell: a value is kept among those present, a null only as the row's level.</summary>
        // Inlined, its throw in a method apart: it runs for every cell of every column written.
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        public void Add(int row, in T? cell)
        {
            if (cell.HasValue)
            {
                _values[_present++] = cell.GetValueOrDefault();
                if (_levels is not null) _levels[row] = field.MaxDefinitionLevel;
            }
            else if (_levels is null) Required();
            else _levels[row] = field.MaxDefinitionLevel - 1;
        }

        private void Required() => throw new InvalidOperationException($"column {field.Name} is required but a row has no value for it");

        public async Task WriteAsync(ParquetRowGroupWriter writer)
        {
            try
            {
                // Not a conditional: its bare null would become an empty ReadOnlyMemory (from a null array), a column of no rows.
                ReadOnlyMemory<int>? levels = null;
                if (_levels is not null) levels = _levels.AsMemory(0, count);
                await writer.WriteAllPartsAsync<T>(field, _values.AsMemory(0, _present), levels, null, CancellationToken.None);
            }
            finally
            {
                // Only the cells written can hold references (a text's): a rented array is longer (a power of two), and its tail
                // was never written.
                if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) Array.Clear(_values, 0, _present);
                System.Buffers.ArrayPool<T>.Shared.Return(_values);
                if (_levels is not null) System.Buffers.ArrayPool<int>.Shared.Return(_levels);
            }
        }
    }

    public static async ValueTask ReadAsync<T>(ParquetRowGroupReader reader, DataField field, Memory<T?> cells, CancellationToken cancel) where T : struct
    {
        if (field.IsNullable)
        {
            await reader.ReadAsync<T>(field, cells, cancellationToken: cancel);
            return;
        }
        var values = new T[cells.Length];
        await reader.ReadAsync<T>(field, values.AsMemory(), cancellationToken: cancel);
        var span = cells.Span;
        for (var i = 0; i < values.Length; i++) span[i] = values[i];
    }
}

/// <summary>Short constructors so that table definitions read as a column list.</summary>
public static class Col
{
    public static TableColumn<TRow> Str<TRow>(string name, string description, Func<TRow, string?> value, bool required = false, EmptyText empty = EmptyText.IsAbsent) => new StringColumn<TRow>(name, description, value, required, empty);
    public static TableColumn<TRow> Int<TRow>(string name, string description, Func<TRow, int?> value, bool required = false) => new ValueColumn<TRow, int>(name, description, value, required);
    public static TableColumn<TRow> Long<TRow>(string name, string description, Func<TRow, long?> value, bool required = false) => new ValueColumn<TRow, long>(name, description, value, required);
    public static TableColumn<TRow> UInt<TRow>(string name, string description, Func<TRow, uint?> value, bool required = false) => new ValueColumn<TRow, uint>(name, description, value, required);
    public static TableColumn<TRow> Double<TRow>(string name, string description, Func<TRow, double?> value, bool required = false) => new ValueColumn<TRow, double>(name, description, value, required);
    public static TableColumn<TRow> Bool<TRow>(string name, string description, Func<TRow, bool?> value, bool required = false) => new ValueColumn<TRow, bool>(name, description, value, required);
    public static TableColumn<TRow> Time<TRow>(string name, string description, Func<TRow, DateTimeOffset?> value, bool required = false) => new TimestampColumn<TRow>(name, description, value, required);
}
