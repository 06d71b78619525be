using Parquet;

namespace ResearchPipeline.Dataset;

/// <summary>
/// The interim form of a table: one Parquet shard per capture, written while the capture is read, so a run
/// holds one capture's rows at a time (a chunk of them for captures read in order) whatever the size of the
/// study. Shards hold values as captured, before pseudonymising, which needs every capture's secrets first:
/// they live under <c>data/interim</c> beside the raw captures and are never published.
/// </summary>
public static class Shards
{
    /// <summary>Rows a shard writer holds before it writes them as a row group (captures read in order).</summary>
    public const int ChunkRows = 16_384;

    /// <summary>Shards are read once, soon after: no compression, cheapest to write and read.</summary>
    public static ParquetOptions Options() => new()
    {
        CompressionMethod = CompressionMethod.None,
    };
}

/// <summary>
/// Writes one capture's rows of a table to its shard. Rows that arrive in the table's order (HAR entries,
/// flows) are written a chunk at a time; rows that do not (a packet capture names its flows when they end)
/// are held and sorted once the capture is read. The shard appears under its name only when complete.
/// </summary>
public sealed class ShardWriter<TRow> : IDisposable
{
    private readonly string _path;
    private readonly string _temp;
    private readonly TableDefinition<TRow> _table;
    private readonly IReadOnlyList<TableColumn<TRow>> _columns;
    private readonly int _chunkRows;
    private readonly List<TRow> _held = [];
    private Parquet.Schema.ParquetSchema? _schema;
    private FileStream? _stream;
    private ParquetWriter? _writer;
    private bool _inOrder = true;
    private bool _flushed;

    /// <param name="columns">The table's columns and any the merge needs besides (shard-only columns).</param>
    public ShardWriter(string path, TableDefinition<TRow> table, IReadOnlyList<TableColumn<TRow>> columns, int chunkRows = Shards.ChunkRows)
    {
        _path = path;
        _temp = path + ".tmp";
        _table = table;
        _columns = columns;
        _chunkRows = chunkRows;
    }

    public int Count { get; private set; }

    public string Path => _path;

    public void Add(TRow row)
    {
        if (_inOrder && _held.Count > 0 && _table.Order(_held[^1], row) > 0)
        {
            // Rows already written cannot be re-sorted; readers that write in order never get here.
            if (_flushed) throw new InvalidOperationException($"{_table.Name} rows for {_path} arrived out of order after a chunk was written");
            _inOrder = false;
        }
        _held.Add(row);
        Count++;
        if (_inOrder && _held.Count >= _chunkRows) Flush();
    }

    /// <summary>Writes what is held and moves the shard into place; false (and no file) when the capture had no rows.</summary>
    public bool Complete()
    {
        if (Count == 0) return false;
        if (!_inOrder) _held.Sort(_table.Order);
        while (_held.Count > 0) Flush();
        _writer!.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _writer = null;
        _stream!.Dispose();
        _stream = null;
        File.Move(_temp, _path, overwrite: true);
        return true;
    }

    private void Flush()
    {
        if (_writer is null)
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(_path)!);
            _schema = new Parquet.Schema.ParquetSchema(_columns.Select(c => (Parquet.Schema.Field)c.Field));
            _stream = new FileStream(_temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            _writer = ParquetWriter.CreateAsync(_schema, _stream, Shards.Options()).GetAwaiter().GetResult();
        }
        var count = Math.Min(_held.Count, _inOrder ? _chunkRows : int.MaxValue);
        using (var group = _writer.CreateRowGroup())
        {
            foreach (var column in _columns) column.WriteAsync(group, _held, 0, count).GetAwaiter().GetResult();
        }
        _held.RemoveRange(0, count);
        _flushed = true;
    }

    public void Dispose()
    {
        _writer?.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _stream?.Dispose();
        if (File.Exists(_temp)) File.Delete(_temp);
    }
}

/// <summary>A chunk of a table's rows as columns: one array of cells per column, by name.</summary>
public sealed class CellBatch
{
    private readonly Dictionary<string, Array> _cells;

    internal CellBatch(Dictionary<string, Array> cells, int count)
    {
        _cells = cells;
        Count = count;
    }

    public int Count { get; }

    public string?[] Strings(string column) => (string?[])_cells[column];

    public T?[] Values<T>(string column) where T : struct => (T?[])_cells[column];

    public DateTime?[] Times(string column) => (DateTime?[])_cells[column];

    internal Array this[string column] => _cells[column];

    /// <summary>Puts the rows in the order given (row <c>order[i]</c> becomes row i) in every column.</summary>
    public void Reorder(int[] order)
    {
        foreach (var cells in _cells.Values)
        {
            var copy = (Array)cells.Clone();
            for (var i = 0; i < Count; i++) cells.SetValue(copy.GetValue(order[i]), i);
        }
    }
}

/// <summary>One shard and what its rows belong to, for the transform that runs over it.</summary>
public sealed record ShardPart<TContext>(string Path, TContext Context);

/// <summary>
/// Writes a published table from shards given in the table's order: each shard's row groups are read,
/// transformed (pseudonymised, derived columns filled in) and cut into the published file's fixed row groups,
/// so the file is the same bytes as one written from all the rows at once.
/// </summary>
public static class ShardMerge
{
    public static async Task<string> WriteAsync<TRow, TContext>(string folder, TableDefinition<TRow> table, IReadOnlyList<TableColumn<TRow>> shardColumns,
        IEnumerable<ShardPart<TContext>> parts, Action<TContext, CellBatch>? transform, CancellationToken cancel = default)
    {
        var path = System.IO.Path.Combine(folder, table.FileName);
        var groupRows = ParquetTableWriter.RowGroupSize;
        var published = table.Columns;
        await AtomicFile.WriteAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter.CreateAsync(table.Schema, stream, ParquetTableWriter.Options(), cancellationToken: cancel);
            var pending = published.Select(c => c.NewCells(groupRows)).ToArray();
            var filled = 0;
            var groups = 0;

            async Task WriteGroup()
            {
                using var group = writer.CreateRowGroup();
                for (var c = 0; c < published.Count; c++) await published[c].WriteCellsAsync(group, pending[c], filled);
                filled = 0;
                groups++;
            }

            foreach (var part in parts)
            {
                await using var input = new FileStream(part.Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                await using var reader = await ParquetReader.CreateAsync(input, cancellationToken: cancel);
                var fields = reader.Schema.GetDataFields().ToDictionary(f => f.Name, StringComparer.Ordinal);
                for (var g = 0; g < reader.RowGroupCount; g++)
                {
                    using var rowGroup = reader.OpenRowGroupReader(g);
                    var count = (int)rowGroup.RowCount;
                    var cells = new Dictionary<string, Array>(shardColumns.Count, StringComparer.Ordinal);
                    foreach (var column in shardColumns)
                    {
                        var array = column.NewCells(count);
                        await column.ReadCellsAsync(rowGroup, fields[column.Name], array, cancel);
                        cells[column.Name] = array;
                    }
                    var batch = new CellBatch(cells, count);
                    transform?.Invoke(part.Context, batch);
                    for (var at = 0; at < count;)
                    {
                        var take = Math.Min(count - at, groupRows - filled);
                        for (var c = 0; c < published.Count; c++) Array.Copy(batch[published[c].Name], at, pending[c], filled, take);
                        filled += take;
                        at += take;
                        if (filled == groupRows) await WriteGroup();
                    }
                }
            }
            // As ParquetTableWriter: the last, partial group; one empty group when the table has no rows.
            if (filled > 0 || groups == 0) await WriteGroup();
        }, cancel);
        return path;
    }
}

/// <summary>The columns each table's shards hold: the published ones, and what the merge needs besides.</summary>
public static class ShardTables
{
    /// <summary>The start time to the tick: seconds_since_start is taken from it at merge, as from the row.</summary>
    public static readonly IReadOnlyList<TableColumn<ExchangeRow>> Exchanges =
        [.. Tables.Exchanges.Columns, Col.Long<ExchangeRow>(TimeTicks, "", r => r.TimeUtc?.UtcTicks)];

    public static readonly IReadOnlyList<TableColumn<PayloadFieldRow>> PayloadFields = [.. Tables.PayloadFields.Columns];

    public static readonly IReadOnlyList<TableColumn<IdentifierMatchRow>> IdentifierMatches =
        [.. Tables.IdentifierMatches.Columns, Col.Int<IdentifierMatchRow>(Ordinal, "", r => r.Ordinal)];

    public const string TimeTicks = "time_ticks";
    public const string Ordinal = "ordinal";
}
