using System.Runtime.CompilerServices;

namespace ResearchPipeline.Dataset;

/// <summary>
/// A published row group's text column held as characters, in chunks, rather than as strings. A group of the
/// large tables fills over many young-generation collections, so its strings outlived them and were copied into
/// the old generation, to die there once the group was written: in a run over tens of thousands of captures that
/// was most of emit's growth and garbage collection (bench/NOTES.md). A table's buffers are reused from one group
/// to the next.
/// </summary>
internal sealed class TextCellBuffer
{
    // Characters are held in chunks small enough to stay off the large object heap, kept from group to group: a
    // buffer grown by copying left a trail of large arrays that only a full collection takes back.
    private const int ChunkChars = 16 * 1024;
    private const int NullCell = -1;
    // A cell longer than a chunk keeps its string (rare: a body sent as one value).
    private const int WholeCell = -2;
    private const int EmptyCell = -3;

    private readonly List<char[]> _chunks = [];
    private int _chunk = -1;
    private int _used = ChunkChars;
    // Where a cell's characters begin: chunk * ChunkChars + offset; or NullCell, WholeCell or EmptyCell.
    private readonly int[] _start;
    private readonly int[] _length;
    private string?[]? _whole;
    // Strings met lately, by identity, and the row that holds each: a string the shards or the pseudonymiser share
    // between rows (an exchange's id on each of its fields, a query sent again) is held once. Few enough that a
    // string met once is soon let go.
    private readonly string?[] _met = new string?[1024];
    private readonly int[] _metAt = new int[1024];

    public TextCellBuffer(int rows)
    {
        _start = new int[rows];
        _length = new int[rows];
    }

    /// <summary>Cells held, from the first.</summary>
    public int Count { get; private set; }

    /// <summary>Appends cells[at..at+count): a null stays null, "" stays an empty text.</summary>
    public void Append(string?[] cells, int at, int count)
    {
        if (Count + count > _start.Length) throw new InvalidOperationException($"{count} cells do not fit after {Count} of {_start.Length}");
        for (var i = at; i < at + count; i++)
        {
            var row = Count++;
            if (cells[i] is not { } text)
            {
                (_start[row], _length[row]) = (NullCell, 0);
                continue;
            }
            var slot = RuntimeHelpers.GetHashCode(text) & (_met.Length - 1);
            if (ReferenceEquals(_met[slot], text))
            {
                (_start[row], _length[row]) = (_start[_metAt[slot]], _length[_metAt[slot]]);
                if (_start[row] == WholeCell) _whole![row] = text;
                continue;
            }
            (_met[slot], _metAt[slot]) = (text, row);
            if (text.Length == 0)
            {
                (_start[row], _length[row]) = (EmptyCell, 0);
                continue;
            }
            if (text.Length > ChunkChars)
            {
                (_whole ??= new string?[_start.Length])[row] = text;
                (_start[row], _length[row]) = (WholeCell, text.Length);
                continue;
            }
            if (ChunkChars - _used < text.Length)
            {
                if (++_chunk == _chunks.Count) _chunks.Add(new char[ChunkChars]);
                _used = 0;
            }
            text.CopyTo(_chunks[_chunk].AsSpan(_used));
            (_start[row], _length[row]) = (_chunk * ChunkChars + _used, text.Length);
            _used += text.Length;
        }
    }

    /// <summary>The cell's text; false for a null cell.</summary>
    public bool TryGet(int row, out ReadOnlySpan<char> text)
    {
        var memory = Memory(row);
        text = memory.GetValueOrDefault().Span;
        return memory.HasValue;
    }

    /// <summary>
    /// Where the cell's text is held: its string when kept whole, else where its characters begin (-1 for a null or
    /// empty cell). Two cells with the same place hold the same text: a string met again is held once.
    /// </summary>
    public (string? Whole, int At) Place(int row) => _start[row] switch
    {
        WholeCell => (_whole![row], 0),
        NullCell or EmptyCell => (null, -1),
        var start => (null, start),
    };

    /// <summary>The cell as Parquet.Net takes a text: null for a null cell. Valid until the buffer is cleared.</summary>
    public ReadOnlyMemory<char>? Memory(int row)
    {
        // Not conditionals: there a bare null converts to an empty ReadOnlyMemory (from a null array), which
        // Parquet writes as an empty string rather than a null.
        var start = _start[row];
        if (start == NullCell) return null;
        if (start == WholeCell) return _whole![row].AsMemory();
        if (start == EmptyCell) return string.Empty.AsMemory();
        return new ReadOnlyMemory<char>(_chunks[start / ChunkChars], start % ChunkChars, _length[row]);
    }

    /// <summary>Empties the buffer for the next group, keeping its chunks; the strings met are let go.</summary>
    public void Clear()
    {
        (_chunk, _used, Count) = (-1, ChunkChars, 0);
        Array.Clear(_met);
        if (_whole is not null) Array.Clear(_whole);
    }
}
