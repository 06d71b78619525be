using System.Buffers;
using Parquet;

namespace ResearchPipeline.Dataset;

/// <summary>
/// The interim form of the row tables: shard files written while the captures are read, so that a run holds
/// a chunk of rows per table and worker rather than the study. Shards hold values as captured, before
/// pseudonymising (which needs every capture's secrets first); they are never published.
/// </summary>
public static class Shards
{
    /// <summary>
    /// Rows a shard file takes in one row group. Small on purpose: rows wait in memory until their group is
    /// written, and rows that wait through a collection are copied into the older generations; with small groups
    /// most rows are written and dropped while still young (bench/NOTES.md has the measurements).
    /// </summary>
    public const int ChunkRows = 512;

    /// <summary>
    /// Rows a spool holds in memory for order (a packet capture's exchanges that wait for an earlier one) before
    /// it writes them to a file beside the shard. A connection open for the whole capture (a push service's, its
    /// keys not logged) holds every later row until it ends: in memory, all of a long capture's rows would wait.
    /// Above what the bench's captures hold (bench/NOTES.md), so that they are not slowed by it.
    /// </summary>
    public const int HeldRows = 32_768;

    /// <summary>
    /// Rows of an aggregate table (app_facebook_fields, app_tracker_fields) a run holds in memory before it writes
    /// finished apps' rows to a shard file. A study of a few thousand apps (the bench's TLS corpus) holds fewer per
    /// table and is written from memory: spilling it made emit longer (bench/NOTES.md).
    /// </summary>
    public const int AggregateHeldRows = 262_144;
}

/// <summary>Where one capture's rows of a table are: a run of rows in a shard file.</summary>
public sealed record ShardRange(string Path, long FirstRow, int Rows);

/// <summary>
/// One worker's shard file of a table. The worker reads captures in the table's order and appends each one's
/// rows, so every file is in table order and emit reads each file once, front to back. Row groups are cut
/// every <see cref="Shards.ChunkRows"/> rows whatever the captures, which keeps the file's index small (a
/// Parquet footer entry per capture cost more memory than the rows did); one file per worker rather than per
/// capture, as creating a file costs the kernel more than writing a small capture's rows. Rows of a capture read in
/// the table's order (HAR entries, flows) go straight on; a capture whose rows are not (a packet capture
/// names its flows when they end) is held, in order, until the reader says no row before them is still to come;
/// past <see cref="Shards.HeldRows"/> rows, what is held waits in a file beside the shard.
/// </summary>
public sealed class ShardSpool<TRow> : IDisposable
{
    private readonly TableDefinition<TRow> _table;
    private readonly IReadOnlyList<TableColumn<TRow>> _columns;
    private readonly int _chunkRows;
    private readonly bool _writeBehind;
    private List<TRow> _pending = [];
    private WriteBehind? _behind;
    // The list and the column cells of the row group written last, emptied and taken again for the next, so that
    // a row group costs no new arrays.
    private List<TRow>? _written;
    private readonly Array?[] _cells;
    // Per column whose values repeat row after row: where each text was last written in the row group being encoded.
    // Kept by identity: such a column's texts are mostly the same strings (interned key paths, a dictionary's
    // semantics), and an equal text held by another string is only written out again, which reads back the same.
    private readonly Dictionary<string, int>?[] _repeats;
    // Rows of a capture that gives them out of order, an exchange's rows together as they came (an exchange's
    // rows come at once, in the table's order), smallest exchange first: a heap entry per exchange, not per row,
    // and its key a number, as a long-lived connection holds every later row of its capture until the end.
    private readonly PriorityQueue<List<TRow>, (int Exchange, long Arrival)> _held = new();
    private readonly Func<TRow, int>? _exchangeOf;
    private List<TRow>? _heldExchange;
    private long _arrivals;
    private int _heldRows;
    private readonly int _heldRowsInMemory;
    // Held exchanges past the limit, each written as a row group of the shard's own encoding to a file beside it and
    // read back, when its turn comes, into the group being filled; smallest exchange first, as in memory.
    private readonly PriorityQueue<SpilledExchange, (int Exchange, long Arrival)> _spilled = new();
    private FileStream? _spill;
    // Whether the last rows appended came from the spill file, and their exchange: no row of theirs is kept to
    // compare the next one with, so the order of whole exchanges is then checked by their numbers.
    private int _lastExchange;
    private bool _lastSpilled;
    // Rows taken back from the spill file, gathered into a group of the shard's size; and the cells one spilled
    // exchange is read into first.
    private readonly Array?[] _spilledCells;
    private int _spilledCount;
    private readonly Array?[] _spillRead;
    private FileStream? _stream;
    // The column being encoded, kept from one to the next; offsets and rows of the groups written, for the index.
    private readonly System.Buffers.ArrayBufferWriter<byte> _column = new(1 << 16);
    private readonly List<(long Offset, int Rows)> _index = [];
    private long _rows;
    private long _firstRow;
    private bool _holding;
    private TRow? _last;

    /// <param name="columns">The table's columns and any the merge needs besides (shard-only columns).</param>
    /// <param name="writeBehind">
    /// Encode and write each row group on another thread while the next fills (one at a time, in order), for a
    /// capture read by several workers, whose rows would otherwise wait on the one thread that takes them.
    /// </param>
    /// <param name="exchangeOf">The ordinal of the exchange a row belongs to: what held rows are ordered by (see <see cref="Begin"/>).</param>
    /// <param name="heldRows">Rows held for order in memory at most; more are written to a file beside the shard (<see cref="Shards.HeldRows"/>).</param>
    public ShardSpool(string path, TableDefinition<TRow> table, IReadOnlyList<TableColumn<TRow>> columns, int chunkRows = Shards.ChunkRows, bool writeBehind = false,
        Func<TRow, int>? exchangeOf = null, int heldRows = Shards.HeldRows)
    {
        Path = path;
        _table = table;
        _columns = columns;
        _chunkRows = chunkRows;
        _writeBehind = writeBehind;
        _cells = new Array?[columns.Count];
        _repeats = [.. columns.Select(c => c is StringColumn<TRow> && ShardTables.WrittenOnce(c.Name) ? new Dictionary<string, int>(ReferenceEqualityComparer.Instance) : null)];
        _exchangeOf = exchangeOf;
        _heldRowsInMemory = Math.Max(1, heldRows);
        _spilledCells = new Array?[columns.Count];
        _spillRead = new Array?[columns.Count];
    }

    public string Path { get; }

    /// <summary>The most rows held for order in memory at once, over every capture so far.</summary>
    public int MostRowsHeld { get; private set; }

    /// <summary>Rows written to the file beside the shard while they waited for order, over every capture so far.</summary>
    public long RowsSpilled { get; private set; }

    /// <param name="inOrder">
    /// Whether the capture gives its rows in the table's order; if not, they are held until <see cref="ReleaseBelow"/>
    /// or <see cref="End"/>, by exchange: its exchanges may come in any order, but each exchange's rows at once and
    /// in the table's order (a row that breaks it is refused when written).
    /// </param>
    public void Begin(bool inOrder)
    {
        if (!inOrder && _exchangeOf is null) throw new InvalidOperationException($"{Path}: rows out of order are held by exchange, and this spool was given no exchange of a row");
        _held.Clear();
        _spilled.Clear();
        _heldExchange = null;
        _heldRows = 0;
        _spill?.SetLength(0);
        _firstRow = _rows;
        _holding = !inOrder;
    }

    public void Add(TRow row)
    {
        if (_holding)
        {
            var exchange = _exchangeOf!(row);
            if (_heldExchange is null || exchange != _exchangeOf(_heldExchange[0]))
            {
                _heldExchange = [];
                _held.Enqueue(_heldExchange, (exchange, _arrivals++));
            }
            _heldExchange.Add(row);
            MostRowsHeld = Math.Max(MostRowsHeld, ++_heldRows);
            // The exchange still coming stays: its rows come at once, and a spilled group is a whole exchange.
            if (_heldRows > _heldRowsInMemory && _heldRows > _heldExchange.Count) Spill();
            return;
        }
        AppendInOrder(row);
    }

    /// <summary>
    /// Writes the held rows of exchanges before <paramref name="exchange"/>, for a capture that gives rows out of
    /// order but has said that no row before them is still to come (<see cref="Captures.OrderedBelow"/>).
    /// </summary>
    public void ReleaseBelow(int exchange)
    {
        while (NextHeld(exchange)) { }
    }

    /// <summary>
    /// The capture's rows, or null when it had none. They end a row group: emit reads each capture's rows by their
    /// range, in another order than they were written, and a range starting a group is read without the rows before it.
    /// </summary>
    public ShardRange? End()
    {
        while (NextHeld(int.MaxValue)) { }
        WriteSpilledCells();
        _spill?.SetLength(0);
        Flush();
        return _rows == _firstRow ? null : new ShardRange(Path, _firstRow, (int)(_rows - _firstRow));
    }

    /// <summary>Appends the held exchange that comes first, in memory or spilled, if it is before <paramref name="below"/>.</summary>
    private bool NextHeld(int below)
    {
        var inMemory = _held.TryPeek(out _, out var memoryKey) && memoryKey.Exchange < below;
        var spilled = _spilled.TryPeek(out _, out var spilledKey) && spilledKey.Exchange < below;
        if (inMemory && (!spilled || memoryKey.CompareTo(spilledKey) < 0)) AppendHeld(_held.Dequeue());
        else if (spilled) AppendSpilled(_spilled.Dequeue(), spilledKey.Exchange);
        else return false;
        return true;
    }

    private void AppendHeld(List<TRow> rows)
    {
        // A row of the same exchange after this is held apart, and refused if it sorts before these.
        if (ReferenceEquals(rows, _heldExchange)) _heldExchange = null;
        _heldRows -= rows.Count;
        foreach (var row in rows) AppendInOrder(row);
    }

    private void AppendInOrder(TRow row)
    {
        // A reader that promises order (or says where it is ordered up to) and breaks it is a bug; published rows
        // would come out unsorted.
        if (_rows > _firstRow && (_lastSpilled ? _exchangeOf!(row) <= _lastExchange : _table.Order(_last!, row) > 0))
            throw OutOfOrder();
        _last = row;
        _lastSpilled = false;
        Append(row);
    }

    private InvalidOperationException OutOfOrder() => new($"{_table.Name} rows arrived out of the table's order ({Path})");

    /// <summary>
    /// Writes every held exchange but the one still coming to the file beside the shard, each as a row group in
    /// the shard's own encoding, and lets their rows go.
    /// </summary>
    private void Spill()
    {
        // The group encoder's buffers are the write-behind's too.
        _behind?.Wait();
        _spill ??= new FileStream(Path + ".held", FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
        _spill.Seek(0, SeekOrigin.End);
        (int, long)? comingKey = null;
        while (_held.TryDequeue(out var rows, out var key))
        {
            if (ReferenceEquals(rows, _heldExchange))
            {
                comingKey = key;
                continue;
            }
            // Checked here, as it would have been row by row when appended: the spilled rows are not seen again.
            for (var i = 1; i < rows.Count; i++)
                if (_table.Order(rows[i - 1], rows[i]) > 0) throw OutOfOrder();
            var offset = _spill.Position;
            EncodeGroup(_spill, rows);
            _spilled.Enqueue(new SpilledExchange(offset, checked((int)(_spill.Position - offset)), rows.Count), key);
            RowsSpilled += rows.Count;
        }
        if (comingKey is { } coming) _held.Enqueue(_heldExchange!, coming);
        _heldRows = _heldExchange?.Count ?? 0;
    }

    /// <summary>
    /// Takes a spilled exchange back into the shard, after the rows before it: its row group is read into the cells
    /// of the group being filled from the spill file, so that the shard's groups stay whole groups (an exchange
    /// a group, as written to the spill file, would make emit read a group per exchange).
    /// </summary>
    private void AppendSpilled(SpilledExchange spilled, int exchange)
    {
        if (_rows > _firstRow && (_lastSpilled ? exchange <= _lastExchange : _exchangeOf!(_last!) >= exchange)) throw OutOfOrder();
        // The rows before it are a group of their own.
        Flush();
        var bytes = ArrayPool<byte>.Shared.Rent(spilled.Bytes);
        try
        {
            _spill!.Position = spilled.Offset;
            _spill.ReadExactly(bytes, 0, spilled.Bytes);
            ReadSpilledGroup(bytes.AsSpan(0, spilled.Bytes), spilled);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
        _rows += spilled.Rows;
        _lastExchange = exchange;
        _lastSpilled = true;
        if (_spilledCount >= _chunkRows) WriteSpilledCells();
    }

    private void ReadSpilledGroup(ReadOnlySpan<byte> group, SpilledExchange spilled)
    {
        var tail = group[^(4 + 4 * _columns.Count)..];
        var rows = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (rows != spilled.Rows) throw new InvalidDataException($"{Path}.held: a group of {rows} rows where {spilled.Rows} were written");
        var start = 0;
        for (var c = 0; c < _columns.Count; c++)
        {
            var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail[(4 + 4 * c)..]);
            var read = _spillRead[c] is { } r && r.Length >= rows ? r : _spillRead[c] = _columns[c].NewCells(rows);
            var reader = new ShardReader(group.Slice(start, length), Path + ".held", spilled.Offset + start);
            _columns[c].ReadShard(ref reader, read, rows, shared: null);
            reader.End();
            start += length;
            var into = _spilledCells[c];
            if (into is null || into.Length < _spilledCount + rows)
            {
                var larger = _columns[c].NewCells(Math.Max(_chunkRows, _spilledCount + rows));
                if (into is not null) Array.Copy(into, larger, _spilledCount);
                _spilledCells[c] = into = larger;
            }
            Array.Copy(read, 0, into, _spilledCount, rows);
        }
        _spilledCount += rows;
    }

    /// <summary>Writes the rows taken back from the spill file as one group.</summary>
    private void WriteSpilledCells()
    {
        if (_spilledCount == 0) return;
        _behind?.Wait();
        var stream = OpenStream();
        _index.Add((stream.Position, _spilledCount));
        EncodeCells(stream, c => _spilledCells[c]!, _spilledCount);
        for (var c = 0; c < _columns.Count; c++) Array.Clear(_spilledCells[c]!, 0, _spilledCount);
        _spilledCount = 0;
    }

    private readonly record struct SpilledExchange(long Offset, int Bytes, int Rows);

    private void Append(TRow row)
    {
        // Rows taken back from the spill file before it are a group of their own.
        if (_spilledCount > 0) WriteSpilledCells();
        _pending.Add(row);
        _rows++;
        if (_pending.Count == _chunkRows) Flush();
    }

    private void Flush()
    {
        if (_pending.Count == 0) return;
        // The row group before is written first (and its failure, if any, surfaces here).
        _behind?.Wait();
        var stream = OpenStream();
        var rows = _pending;
        _pending = _written ?? new List<TRow>(rows.Count);
        _written = null;
        if (_writeBehind) (_behind ??= new WriteBehind($"{System.IO.Path.GetFileName(Path)} writer")).Hand(() => WriteGroup(stream, rows));
        else WriteGroup(stream, rows);
    }

    private FileStream OpenStream()
    {
        if (_stream is not null) return _stream;
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
        _stream = new FileStream(Path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        WriteHeader(_stream);
        return _stream;
    }

    private void WriteHeader(FileStream stream)
    {
        var header = new System.Buffers.ArrayBufferWriter<byte>();
        header.Write(ShardFormat.Magic);
        ShardFormat.WriteVarint(header, (uint)_columns.Count);
        foreach (var column in _columns)
        {
            ShardFormat.WriteVarint(header, (uint)System.Text.Encoding.UTF8.GetByteCount(column.Name));
            header.Write(System.Text.Encoding.UTF8.GetBytes(column.Name));
            header.Write([column.ShardKind]);
        }
        stream.Write(header.WrittenSpan);
    }

    private void WriteGroup(FileStream stream, List<TRow> rows)
    {
        _index.Add((stream.Position, rows.Count));
        EncodeGroup(stream, rows);
        // Row groups are written one at a time: the next Flush waits for this one before it takes the list.
        rows.Clear();
        _written = rows;
    }

    private void EncodeGroup(FileStream stream, List<TRow> rows) => EncodeCells(stream, c =>
    {
        var cells = _cells[c] is { } kept && kept.Length >= rows.Count ? kept : _cells[c] = _columns[c].NewCells(rows.Count);
        _columns[c].Fill(cells, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
        return cells;
    }, rows.Count);

    private void EncodeCells(FileStream stream, Func<int, Array> cellsOf, int rows)
    {
        // Each column is written as soon as it is encoded (one column's bytes held, not the group's); the
        // lengths follow the columns, in the group's tail.
        var tail = new byte[4 + 4 * _columns.Count];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(tail, rows);
        for (var c = 0; c < _columns.Count; c++)
        {
            var cells = cellsOf(c);
            _column.ResetWrittenCount();
            _columns[c].WriteShard(_column, cells, rows, _repeats[c]);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(tail.AsSpan(4 + 4 * c), _column.WrittenCount);
            stream.Write(_column.WrittenSpan);
        }
        stream.Write(tail);
    }

    /// <summary>Writes the last rows and the file's index: the file can be read once every capture is written.</summary>
    public void Dispose()
    {
        try
        {
            Flush();
            WriteSpilledCells();
            _behind?.Wait();
            if (_stream is not null) WriteIndex(_stream);
        }
        finally
        {
            _behind?.Dispose();
            _behind = null;
            _stream?.Dispose();
            _stream = null;
            _spill?.Dispose();
            _spill = null;
        }
    }

    /// <summary>
    /// One job at a time on a thread of its own. The thread pool's queue is first come, first served: a row group
    /// queued there waited behind the batches a large capture's workers had queued before it, and the thread that
    /// takes the capture's rows waited on the row group (bench/NOTES.md has the measurement).
    /// </summary>
    private sealed class WriteBehind : IDisposable
    {
        private readonly object _gate = new();
        private readonly Thread _thread;
        private Action? _job;
        private bool _closed;
        private System.Runtime.ExceptionServices.ExceptionDispatchInfo? _failure;

        public WriteBehind(string name)
        {
            _thread = new Thread(Run) { IsBackground = true, Name = name };
            _thread.Start();
        }

        /// <summary>Waits for the job before, then hands this one over.</summary>
        public void Hand(Action job)
        {
            Wait();
            lock (_gate)
            {
                _job = job;
                Monitor.PulseAll(_gate);
            }
        }

        /// <summary>Waits until the job handed over is done; its failure surfaces here.</summary>
        public void Wait()
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure;
            lock (_gate)
            {
                while (_job is not null) Monitor.Wait(_gate);
                (failure, _failure) = (_failure, null);
            }
            failure?.Throw();
        }

        private void Run()
        {
            while (true)
            {
                Action job;
                lock (_gate)
                {
                    while (_job is null && !_closed) Monitor.Wait(_gate);
                    if (_job is null) return;
                    job = _job;
                }
                System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
                try { job(); }
                catch (Exception e) { failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e); }
                lock (_gate)
                {
                    _failure = failure;
                    _job = null;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        /// <summary>Lets the thread end once the job in hand is done (a failure not waited for is dropped, as the spool is).</summary>
        public void Dispose()
        {
            lock (_gate)
            {
                _closed = true;
                Monitor.PulseAll(_gate);
            }
            _thread.Join();
        }
    }

    private void WriteIndex(FileStream stream)
    {
        var index = stream.Position;
        var tail = new byte[_index.Count * ShardFormat.IndexEntryBytes + ShardFormat.TrailerBytes];
        var at = 0;
        foreach (var (offset, rows) in _index)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(tail.AsSpan(at), offset);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(tail.AsSpan(at + 8), rows);
            at += ShardFormat.IndexEntryBytes;
        }
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(tail.AsSpan(at), index);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(tail.AsSpan(at + 8), _index.Count);
        ShardFormat.EndMagic.CopyTo(tail.AsSpan(at + 12));
        stream.Write(tail);
    }
}

/// <summary>A window of a table's rows as columns: one array of cells per column, by name; rows [Start, End).</summary>
public sealed class CellBatch
{
    private readonly Dictionary<string, Array> _cells;

    internal CellBatch(Dictionary<string, Array> cells, int start, int count)
    {
        _cells = cells;
        Start = start;
        End = start + count;
    }

    public int Start { get; }
    public int End { get; }
    public int Count => End - Start;

    public string?[] Strings(string column) => (string?[])_cells[column];

    public T?[] Values<T>(string column) where T : struct => (T?[])_cells[column];

    internal Array this[string column] => _cells[column];

    /// <summary>Puts the window's rows in the order given (row <c>order[i]</c> becomes row <c>Start + i</c>) in every column.</summary>
    public void Reorder(int[] order)
    {
        foreach (var cells in _cells.Values)
        {
            switch (cells)
            {
                case string?[] a: Reorder(a, order); break;
                case int?[] a: Reorder(a, order); break;
                case long?[] a: Reorder(a, order); break;
                case double?[] a: Reorder(a, order); break;
                case bool?[] a: Reorder(a, order); break;
                case DateTime?[] a: Reorder(a, order); break;
                default: throw new NotSupportedException($"cells of {cells.GetType()}");
            }
        }
    }

    private void Reorder<T>(T[] cells, int[] order)
    {
        var copy = new T[order.Length];
        for (var i = 0; i < order.Length; i++) copy[i] = cells[order[i]];
        copy.CopyTo(cells, Start);
    }
}

/// <summary>
/// Reads a shard file front to back: each row group is decoded once, into the columns asked for, and handed
/// out in windows; rows skipped in whole row groups are not decoded at all.
/// </summary>
public sealed class ShardCursor<TRow> : IAsyncDisposable
{
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle _file;
    private readonly string _path;
    private readonly long[] _offsets;
    private readonly int[] _rows;
    // The first row of each group: where a range is found, in whatever order ranges are asked for.
    private readonly long[] _firstRows;
    private readonly long _indexOffset;
    // Where each column asked for is among the file's columns.
    private readonly int[] _fileColumn;
    private readonly int _fileColumns;
    private readonly IReadOnlyList<TableColumn<TRow>> _columns;
    private int _group = -1;
    private long _groupFirstRow;
    private int _groupRows;
    private Dictionary<string, Array>? _cells;
    // Per column asked for, what it keeps of its texts as they are read (null for a column of a row's own texts).
    private readonly SharedText?[] _shared;

    private readonly bool _readAhead;
    private Task<(int Group, int Rows, Dictionary<string, Array> Cells)>? _next;
    // Cells of row groups left behind, decoded into again: a row group's column is an array on the large object heap.
    private readonly Stack<Dictionary<string, Array>> _free = new();

    private readonly IReadOnlySet<string> _unread;

    private ShardCursor(Microsoft.Win32.SafeHandles.SafeFileHandle file, string path, IReadOnlyList<TableColumn<TRow>> columns, bool readAhead, IReadOnlySet<string>? unread)
    {
        _file = file;
        _path = path;
        _unread = unread ?? new HashSet<string>();
        _columns = columns;
        _shared = [.. columns.Select(c => ShardTables.SharedTextOf(c.Name))];
        _readAhead = readAhead;
        var length = RandomAccess.GetLength(file);
        var headEnd = ShardFormat.Magic.Length;
        if (length < headEnd + ShardFormat.TrailerBytes) throw Corrupt(length, $"{length} bytes, too short for a shard (truncated?)");
        var head = Read(0, headEnd);
        if (!head.AsSpan().SequenceEqual(ShardFormat.Magic)) throw Corrupt(0, "not a shard file of this program (no shard header)");
        var trailer = Read(length - ShardFormat.TrailerBytes, ShardFormat.TrailerBytes);
        if (!trailer.AsSpan(12).SequenceEqual(ShardFormat.EndMagic)) throw Corrupt(length - ShardFormat.TrailerBytes, "no shard trailer (truncated, or its writer did not finish)");
        _indexOffset = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(trailer);
        var groups = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(trailer.AsSpan(8));
        if (groups < 0 || _indexOffset < headEnd || _indexOffset + (long)groups * ShardFormat.IndexEntryBytes != length - ShardFormat.TrailerBytes)
            throw Corrupt(length - ShardFormat.TrailerBytes, $"an index of {groups} row groups at offset {_indexOffset} in {length} bytes");
        var index = Read(_indexOffset, groups * ShardFormat.IndexEntryBytes);
        _offsets = new long[groups];
        _rows = new int[groups];
        _firstRows = new long[groups];
        for (var g = 0; g < groups; g++)
        {
            _offsets[g] = System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(index.AsSpan(g * ShardFormat.IndexEntryBytes));
            _rows[g] = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(index.AsSpan(g * ShardFormat.IndexEntryBytes + 8));
            _firstRows[g] = g == 0 ? 0 : _firstRows[g - 1] + _rows[g - 1];
            if (_rows[g] <= 0 || _offsets[g] <= (g == 0 ? headEnd : _offsets[g - 1]) || _offsets[g] >= _indexOffset)
                throw Corrupt(_indexOffset + g * ShardFormat.IndexEntryBytes, $"row group {g} of {_rows[g]} rows at offset {_offsets[g]}");
        }
        // The header runs to the first row group (or the index, in a file without rows).
        var header = new ShardReader(Read(headEnd, (int)((groups > 0 ? _offsets[0] : _indexOffset) - headEnd)), path, headEnd);
        _fileColumns = header.Varint();
        var kinds = new Dictionary<string, (int At, byte Kind)>(StringComparer.Ordinal);
        for (var c = 0; c < _fileColumns; c++)
        {
            var name = System.Text.Encoding.UTF8.GetString(header.Bytes(header.Varint()));
            kinds[name] = (c, header.Bytes(1)[0]);
        }
        header.End();
        _fileColumn = new int[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            if (!kinds.TryGetValue(columns[c].Name, out var held)) throw Corrupt(headEnd, $"no column {columns[c].Name}");
            if (held.Kind != columns[c].ShardKind) throw Corrupt(headEnd, $"column {columns[c].Name} holds cells of kind '{(char)held.Kind}', not '{(char)columns[c].ShardKind}'");
            _fileColumn[c] = held.At;
        }
    }

    /// <summary>Rows in the file, by its index.</summary>
    public long Rows => _rows.Sum(r => (long)r);

    /// <summary>Row groups in the file, by its index.</summary>
    public int Groups => _rows.Length;

    /// <summary>Whether a row group of the file begins at the row (a range read alone then decodes no other range's rows).</summary>
    public bool StartsGroup(long row) => Array.BinarySearch(_firstRows, row) >= 0;

    private InvalidDataException Corrupt(long offset, string what) => new($"{_path}: corrupt shard at offset {offset}: {what}");

    private byte[] Read(long offset, int count)
    {
        var bytes = new byte[count];
        ReadInto(offset, bytes);
        return bytes;
    }

    private void ReadInto(long offset, Span<byte> into)
    {
        for (var done = 0; done < into.Length;)
        {
            var read = RandomAccess.Read(_file, into[done..], offset + done);
            if (read == 0) throw Corrupt(offset + done, $"the file ends {into.Length - done} bytes early");
            done += read;
        }
    }

    /// <param name="readAhead">Decode the next row group on another thread while this one is used (for cursors that read every row).</param>
    /// <param name="unread">Columns given as empty cells, not read: ones the caller fills in from what the rows belong to.</param>
    public static Task<ShardCursor<TRow>> OpenAsync(string path, IReadOnlyList<TableColumn<TRow>> columns, CancellationToken cancel, bool readAhead = false,
        IReadOnlySet<string>? unread = null)
    {
        cancel.ThrowIfCancellationRequested();
        var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            return Task.FromResult(new ShardCursor<TRow>(file, path, columns, readAhead, unread));
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The rows of a range, in windows of at most one row group each. Ranges asked for in file order read each group
    /// once; in another order, a group is read again when it is gone back to. With read-ahead, the range's next group
    /// is decoded while one is used, and after its last, the group of <paramref name="then"/>.
    /// </summary>
    /// <param name="then">The first row of the range this cursor will be asked for next, if any: what is read ahead once this range's groups are all in hand.</param>
    public async IAsyncEnumerable<CellBatch> ReadAsync(ShardRange range, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancel = default,
        long? then = null)
    {
        var row = range.FirstRow;
        var end = range.FirstRow + range.Rows;
        while (row < end)
        {
            if (_cells is null || row < _groupFirstRow || row >= _groupFirstRow + _groupRows) await MoveToGroupOf(row, end, then, cancel);
            var start = (int)(row - _groupFirstRow);
            var count = (int)Math.Min(end - row, _groupRows - start);
            yield return new CellBatch(_cells!, start, count);
            row += count;
        }
    }

    /// <summary>The rows of a range as one window, copied together when they span row groups.</summary>
    /// <param name="then">As for <see cref="ReadAsync"/>.</param>
    public async Task<CellBatch> ReadWholeAsync(ShardRange range, CancellationToken cancel = default, long? then = null)
    {
        var windows = new List<CellBatch>();
        Dictionary<string, Array>? joined = null;
        var at = 0;
        await foreach (var window in ReadAsync(range, cancel, then))
        {
            if (window.Count == range.Rows) return window;
            joined ??= _columns.ToDictionary(c => c.Name, c => c.NewCells(range.Rows), StringComparer.Ordinal);
            foreach (var column in _columns) Array.Copy(window[column.Name], window.Start, joined[column.Name], at, window.Count);
            at += window.Count;
        }
        return new CellBatch(joined ?? _columns.ToDictionary(c => c.Name, c => c.NewCells(0), StringComparer.Ordinal), 0, at);
    }

    /// <summary>The last group that starts at or before the row.</summary>
    private int GroupOf(long row)
    {
        var found = Array.BinarySearch(_firstRows, row);
        var group = found >= 0 ? found : ~found - 1;
        if (group < 0 || row >= _firstRows[group] + _rows[group]) throw new InvalidOperationException($"shard has no row {row}");
        return group;
    }

    /// <param name="end">The row after the range being read.</param>
    /// <param name="then">The first row of the range read after it, if any (see <see cref="ReadAsync"/>).</param>
    private async Task MoveToGroupOf(long row, long end, long? then, CancellationToken cancel)
    {
        var group = GroupOf(row);
        (_group, _groupFirstRow) = (group, _firstRows[group]);
        // One row group is decoded at a time (the shared texts are the cursor's): a read-ahead is awaited before the next decode.
        var ahead = _next is null ? default : await _next;
        _next = null;
        // The windows of the group left have been used (ranges are read in order, a window before the next).
        if (_cells is not null) _free.Push(_cells);
        if (ahead.Cells is not null && ahead.Group == _group) (_groupRows, _cells) = (ahead.Rows, ahead.Cells);
        else
        {
            if (ahead.Cells is not null) _free.Push(ahead.Cells);
            (_groupRows, _cells) = await DecodeAsync(_group, _free.TryPop(out var into) ? into : null, cancel);
        }
        if (!_readAhead) return;
        // The range's next group; after its last, the next range's, or (when that begins in this group, as in a file
        // read in its order) the group after this.
        var next = _firstRows[group] + _rows[group] < end ? group + 1 : then is { } first ? GroupOf(first) : -1;
        if (next == group) next = group + 1 < _rows.Length ? group + 1 : -1;
        if (next < 0) return;
        var free = _free.TryPop(out var kept) ? kept : null;
        _next = Task.Run(async () =>
        {
            var (rows, cells) = await DecodeAsync(next, free, cancel);
            return (next, rows, cells);
        }, cancel);
    }

    /// <param name="into">Cells of a group no longer used, decoded into where they are large enough.</param>
    private Task<(int Rows, Dictionary<string, Array> Cells)> DecodeAsync(int index, Dictionary<string, Array>? into, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        var offset = _offsets[index];
        var end = index + 1 < _offsets.Length ? _offsets[index + 1] : _indexOffset;
        // The group's tail: its rows and the length of each column, which run from the group's start.
        var tailBytes = 4 + 4 * _fileColumns;
        if (end - offset < tailBytes) throw Corrupt(offset, $"row group {index}: {end - offset} bytes, too short for its tail");
        if (end - offset > Array.MaxLength) throw Corrupt(offset, $"row group {index}: {end - offset} bytes, more than one read holds");
        // The group is read whole, its columns and its tail at once: a read per column was most of emit's system calls.
        var groupBytes = (int)(end - offset);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(groupBytes);
        try
        {
            ReadInto(offset, buffer.AsSpan(0, groupBytes));
            var tail = buffer.AsSpan(groupBytes - tailBytes, tailBytes);
            var rows = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail);
            if (rows != _rows[index]) throw Corrupt(end - tailBytes, $"row group {index}: {rows} rows, the index says {_rows[index]}");
            // Where each of the file's columns begins, from the group's start.
            var starts = new long[_fileColumns + 1];
            for (var c = 0; c < _fileColumns; c++)
            {
                var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32LittleEndian(tail[(4 + 4 * c)..]);
                if (length < 0) throw Corrupt(end - tailBytes + 4 + 4 * c, $"a column of {length} bytes");
                starts[c + 1] = starts[c] + length;
            }
            if (starts[_fileColumns] != groupBytes - tailBytes) throw Corrupt(end - tailBytes, $"row group {index}: its columns take {starts[_fileColumns]} bytes of {groupBytes - tailBytes}");
            var cells = into ?? new Dictionary<string, Array>(_columns.Count, StringComparer.Ordinal);
            for (var c = 0; c < _columns.Count; c++)
            {
                var column = _columns[c];
                var array = cells.TryGetValue(column.Name, out var kept) && kept.Length >= rows ? kept : cells[column.Name] = column.NewCells(rows);
                if (_unread.Contains(column.Name))
                {
                    Array.Clear(array, 0, rows);
                    continue;
                }
                var start = (int)starts[_fileColumn[c]];
                var bytes = buffer.AsSpan(start, (int)starts[_fileColumn[c] + 1] - start);
                var reader = new ShardReader(bytes, _path, offset + start);
                column.ReadShard(ref reader, array, rows, _shared[c]);
                reader.End();
            }
            return Task.FromResult((rows, cells));
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_next is not null)
        {
            try { await _next; }
            catch (OperationCanceledException) { }
        }
        _file.Dispose();
    }
}

/// <summary>
/// One string per distinct text, found by its characters, so that a text seen before makes no string. Bounded as
/// <see cref="BoundedMemo{T}"/>: emptied when it holds its capacity of texts (<see cref="BoundedMemo{T}.Capacity"/>
/// unless given another).
/// </summary>
internal sealed class SharedText
{
    private readonly HashSet<string> _known = new(StringComparer.Ordinal);
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _byText;
    private readonly int _capacity;
    private readonly int _mostBytes;

    private char[] _chars = new char[256];

    /// <param name="capacity">Texts kept at most before it is emptied.</param>
    /// <param name="mostBytes">Texts of more UTF-8 bytes than this are made as strings of their own and not kept.</param>
    public SharedText(int capacity = BoundedMemo<string>.Capacity, int mostBytes = int.MaxValue)
    {
        _byText = _known.GetAlternateLookup<ReadOnlySpan<char>>();
        (_capacity, _mostBytes) = (capacity, mostBytes);
    }

    /// <summary>The string of UTF-8 bytes; one text is decoded at a time.</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length > _mostBytes) return System.Text.Encoding.UTF8.GetString(utf8);
        var most = System.Text.Encoding.UTF8.GetMaxCharCount(utf8.Length);
        if (_chars.Length < most) _chars = new char[Math.Max(most, _chars.Length * 2)];
        return Get(_chars.AsSpan(0, System.Text.Encoding.UTF8.GetChars(utf8, _chars)));
    }

    public string Get(ReadOnlySpan<char> text)
    {
        if (_byText.TryGetValue(text, out var known)) return known;
        return Keep(new string(text));
    }

    /// <summary>The string kept for this text, or this one, kept from now on: copies of a text made apart become one.</summary>
    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    public string? Get(string? text) => text is null ? null : _known.TryGetValue(text, out var known) ? known : Keep(text);

    private string Keep(string text)
    {
        // A text of more characters than the bound has at least as many UTF-8 bytes.
        if (text.Length > _mostBytes) return text;
        if (_known.Count >= _capacity) _known.Clear();
        _known.Add(text);
        return text;
    }
}

/// <summary>One capture's rows in a shard and what they belong to, for the transform that runs over them.</summary>
public sealed record ShardPart<TContext>(ShardRange Range, TContext Context);

/// <summary>
/// Writes a published table from shards, given the captures' rows in the table's order: each window of rows
/// is transformed (pseudonymised, derived columns filled in) and cut into the published file's fixed row
/// groups, so the file is the same bytes as one written from all the rows at once. With <c>overlap</c>, a
/// full row group is checked and encoded on another thread while the next one is filled; the groups still
/// go into the file one after another, in order, so the bytes do not change.
/// </summary>
public static class ShardMerge
{
    /// <param name="check">Sees every row group's string cells before they are written.</param>
    /// <param name="overlap">Encode a row group on another thread while the next is transformed (two row groups held, not one).</param>
    /// <param name="unread">Columns of the shards not read: the transform fills them in from the part's context.</param>
    /// <param name="allTaken">Called once the transform has seen every row, before the last row group is written.</param>
    public static async Task<WrittenFile> WriteAsync<TRow, TContext>(string folder, TableDefinition<TRow> table, IReadOnlyList<TableColumn<TRow>> shardColumns,
        IEnumerable<ShardPart<TContext>> parts, Action<TContext, CellBatch>? transform, CancellationToken cancel = default, bool wholeParts = false,
        int rowGroupSize = ParquetTableWriter.RowGroupSize, IPublishedTextCheck? check = null, bool overlap = false, IReadOnlySet<string>? unread = null,
        Action? allTaken = null)
    {
        var path = System.IO.Path.Combine(folder, table.FileName);
        var groupRows = rowGroupSize;
        // The cells hold no more rows than the table has: a group's arrays are large objects, and a small study's three
        // merges allocating them for 50,000 rows each set off collections of the whole heap. The groups are cut at
        // groupRows whatever the cells hold, so the bytes do not change.
        var partList = parts.ToList();
        var cellRows = (int)Math.Min(groupRows, Math.Max(1, partList.Sum(p => (long)p.Range.Rows)));
        var published = table.Columns;
        return await AtomicFile.WriteAsync(path, async stream =>
        {
            await using var writer = await ParquetWriter.CreateAsync(table.Schema, stream, ParquetTableWriter.Options(), cancellationToken: cancel);
            var pending = new GroupCells<TRow>(published, cellRows);
            GroupCells<TRow>? spare = null;
            var filled = 0;
            var groups = 0;
            var writing = Task.CompletedTask;

            async Task WriteGroup(GroupCells<TRow> cells, int count, int index)
            {
                // The check reads the cells the encoder reads, beside it: once the other tables are written, the
                // largest table's encoding is the only work left, and with the check in turn it held one core.
                var checking = check is null ? Task.CompletedTask : Task.Run(() => check.Check(index, cells.Text(count)), cancel);
                // Both are waited for before the cells are emptied, and before a failure of either is reported.
                await Task.WhenAll(checking, Encode(cells, count));
                cells.Clear();
            }

            async Task Encode(GroupCells<TRow> cells, int count)
            {
                using var group = writer.CreateRowGroup();
                await cells.WriteAsync(group, count);
            }

            async Task HandOver()
            {
                var (cells, count, index) = (pending, filled, groups++);
                filled = 0;
                if (!overlap)
                {
                    await EncodingThreads.Run(() => WriteGroup(cells, count, index), cancel);
                    return;
                }
                // One group in flight: the one before it is written, so its cells are free for the next.
                await writing;
                pending = spare ?? new GroupCells<TRow>(published, cellRows);
                spare = cells;
                writing = EncodingThreads.Run(() => WriteGroup(cells, count, index), cancel);
            }

            async Task TakeAsync(TContext context, CellBatch batch)
            {
                transform?.Invoke(context, batch);
                for (var at = batch.Start; at < batch.End;)
                {
                    var take = Math.Min(batch.End - at, groupRows - filled);
                    pending.Append(batch, at, filled, take);
                    filled += take;
                    at += take;
                    if (filled == groupRows) await HandOver();
                }
            }

            // Parts come in the table's order: each file's own order in a plan cut in that order, not in one cut by name
            // (a local run's). Each file's cursor stays open until its last part, and reads ahead the part it will be
            // asked for next.
            var thenInFile = new long?[partList.Count];
            var nextOfFile = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = partList.Count - 1; i >= 0; i--)
            {
                if (nextOfFile.TryGetValue(partList[i].Range.Path, out var next)) thenInFile[i] = partList[next].Range.FirstRow;
                nextOfFile[partList[i].Range.Path] = i;
            }
            var cursors = new Dictionary<string, ShardCursor<TRow>>(StringComparer.Ordinal);
            try
            {
                for (var i = 0; i < partList.Count; i++)
                {
                    var part = partList[i];
                    if (!cursors.TryGetValue(part.Range.Path, out var cursor))
                        cursors[part.Range.Path] = cursor = await ShardCursor<TRow>.OpenAsync(part.Range.Path, shardColumns, cancel, readAhead: true, unread);
                    if (wholeParts) await TakeAsync(part.Context, await cursor.ReadWholeAsync(part.Range, cancel, thenInFile[i]));
                    else await foreach (var batch in cursor.ReadAsync(part.Range, cancel, thenInFile[i])) await TakeAsync(part.Context, batch);
                    // A file not come back to is let go, with its decoded row group, rather than held for every part of a large study.
                    if (thenInFile[i] is null)
                    {
                        cursors.Remove(part.Range.Path);
                        await cursor.DisposeAsync();
                    }
                }
                // As ParquetTableWriter: the last, partial group; one empty group when the table has no rows.
                if (filled > 0 || groups == 0) await HandOver();
                allTaken?.Invoke();
            }
            finally
            {
                foreach (var cursor in cursors.Values) await cursor.DisposeAsync();
                // The writer is not let go while a group is still being written into it.
                await writing.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            await writing;
        }, cancel);
    }
}

/// <summary>
/// A published row group being filled from shards: text columns whose values are a row's own (ids, values, URLs)
/// as characters (see <see cref="TextCellBuffer"/>), the others as arrays of cells. The strings of a repeating
/// column are shared from row to row (the shard reader keeps one per value), so they are referred to, not copied.
/// Emptied once written, and filled again for a later group.
/// </summary>
internal sealed class GroupCells<TRow>
{
    private readonly IReadOnlyList<TableColumn<TRow>> _columns;
    private readonly Array?[] _values;
    private readonly TextCellBuffer?[] _text;

    public GroupCells(IReadOnlyList<TableColumn<TRow>> columns, int rows)
    {
        _columns = columns;
        _values = new Array?[columns.Count];
        _text = new TextCellBuffer?[columns.Count];
        for (var c = 0; c < columns.Count; c++)
        {
            if (columns[c] is StringColumn<TRow> && !ShardTables.Repeating.Contains(columns[c].Name)) _text[c] = new TextCellBuffer(rows);
            else _values[c] = columns[c].NewCells(rows);
        }
    }

    /// <summary>Copies the batch's rows [at, at+count) in as the group's rows [filled, filled+count).</summary>
    public void Append(CellBatch batch, int at, int filled, int count)
    {
        for (var c = 0; c < _columns.Count; c++)
        {
            var from = batch[_columns[c].Name];
            if (_text[c] is { } text) text.Append((string?[])from, at, count);
            else Array.Copy(from, at, _values[c]!, filled, count);
        }
    }

    /// <summary>The group's text columns, as a <see cref="IPublishedTextCheck"/> is given them.</summary>
    public List<TextCells> Text(int count)
    {
        var text = new List<TextCells>();
        for (var c = 0; c < _columns.Count; c++)
        {
            if (_text[c] is { } cells) text.Add(new TextCells(_columns[c].Name, cells));
            else if (_values[c] is string?[] strings) text.Add(new TextCells(_columns[c].Name, strings, count));
        }
        return text;
    }

    public async Task WriteAsync(Parquet.ParquetRowGroupWriter group, int count)
    {
        for (var c = 0; c < _columns.Count; c++)
        {
            if (_text[c] is { } text) await ((StringColumn<TRow>)_columns[c]).WriteTextAsync(group, text);
            else await _columns[c].WriteCellsAsync(group, _values[c]!, count);
        }
    }

    public void Clear()
    {
        foreach (var text in _text) text?.Clear();
    }
}

/// <summary>The columns each table's shards hold: the published ones, and what the merge needs besides.</summary>
public static class ShardTables
{
    /// <summary>The start time to the tick: seconds_since_start is taken from it at merge, as from the row.</summary>
    public static readonly IReadOnlyList<TableColumn<ExchangeRow>> Exchanges =
        [.. Tables.Exchanges.Columns, Col.Long<ExchangeRow>(TimeTicks, "", r => r.TimeUtc?.UtcTicks)];

    public static readonly IReadOnlyList<TableColumn<PayloadFieldRow>> PayloadFields = PayloadFieldsOf(Tables.PayloadFields);

    /// <summary>
    /// payload_fields' shard columns over either of its row types (<see cref="Tables.PayloadFieldsOf{TRow}"/>): the
    /// parse writes them from its view of an exchange's fields and emit reads them as rows, so both take them from here.
    /// </summary>
    public static IReadOnlyList<TableColumn<TRow>> PayloadFieldsOf<TRow>(TableDefinition<TRow> table) where TRow : IPayloadFieldRow => [.. table.Columns];

    public static readonly IReadOnlyList<TableColumn<IdentifierMatchRow>> IdentifierMatches =
        [.. Tables.IdentifierMatches.Columns, Col.Int<IdentifierMatchRow>(Ordinal, "", r => r.Ordinal)];

    /// <summary>String columns whose values repeat row after row, kept once per value when shards are read.</summary>
    public static readonly IReadOnlySet<string> Repeating = new HashSet<string>(StringComparer.Ordinal)
    {
        "capture_id", "app_id", "kind", "method", "scheme", "host", "http_version", "request_content_type", "request_content_encoding",
        "response_content_type", "server_ip", "sni", "tls_version", "user_agent", "sdk", "graph_api_version", "client_ip",
        "location", "key_path", "value_type", "semantic", "category", "semantic_source", "decoder", "endpoint", "transforms",
        "identity", "transform",
    };

    /// <summary>
    /// String columns whose short texts often recur though most of their texts are a row's own (a field's value: a
    /// device's model, a version, a flag, a marker, beside times and ids). In a shard a text met again in a row group
    /// is written once, as a repeating column's is, and a short one is read back through a window of texts, so that a
    /// value met again makes no new string at emit; at emit the column is held as characters, as a row's own texts
    /// are (see <see cref="GroupCells{TRow}"/>).
    /// </summary>
    internal static readonly IReadOnlySet<string> RecurringShortTexts = new HashSet<string>(StringComparer.Ordinal) { "value" };

    /// <summary>Whether a text column's shards write a text met before in the row group as a reference to it.</summary>
    internal static bool WrittenOnce(string column) => Repeating.Contains(column) || RecurringShortTexts.Contains(column);

    /// <summary>What a cursor keeps of a column's texts as it reads them: null for a column whose texts are each a row's own.</summary>
    internal static SharedText? SharedTextOf(string column) =>
        Repeating.Contains(column) ? new SharedText()
        : RecurringShortTexts.Contains(column) ? new SharedText(capacity: 16_384, mostBytes: 128)
        : null;

    public const string TimeTicks = "time_ticks";
    public const string Ordinal = "ordinal";
}

/// <summary>
/// A function's answer per distinct text, worked out once while the text recurs. Bounded: a column that turns
/// out not to repeat much costs a table of at most <see cref="Capacity"/> entries, emptied when full; a text
/// longer than <paramref name="maxLength"/> (a body sent as one value) is not kept at all.
/// </summary>
public sealed class BoundedMemo<T>(Func<string?, T> compute, int maxLength = int.MaxValue)
{
    public const int Capacity = 65_536;
    private readonly Dictionary<string, T> _known = new(StringComparer.Ordinal);

    public T Get(string? text)
    {
        if (text is null || text.Length > maxLength) return compute(text);
        if (_known.TryGetValue(text, out var known)) return known;
        if (_known.Count >= Capacity) _known.Clear();
        return _known[text] = compute(text);
    }
}
