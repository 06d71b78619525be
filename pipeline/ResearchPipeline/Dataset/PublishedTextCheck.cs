namespace ResearchPipeline.Dataset;

/// <summary>One string column of a row group as it goes into a published file: cells [0, Count).</summary>
public readonly struct TextCells
{
    private readonly string?[]? _strings;
    private readonly TextCellBuffer? _buffer;

    public TextCells(string column, string?[] cells, int count) => (Column, _strings, Count) = (column, cells, count);

    internal TextCells(string column, TextCellBuffer cells) => (Column, _buffer, Count) = (column, cells, cells.Count);

    public string Column { get; }
    public int Count { get; }

    /// <summary>
    /// What holds the cell's text, to tell a text met again without reading it: its string (At 0), or where the
    /// buffer holds its characters (String null). Two cells with the same place hold the same text, though equal
    /// texts may be held in two places; (null, -1) for a cell with no text to read (null, or empty in a buffer).
    /// </summary>
    internal (string? String, int At) Place(int row) => _buffer is not null ? _buffer.Place(row) : (_strings![row], _strings[row] is null ? -1 : 0);

    /// <summary>The cell's text; false for a null cell.</summary>
    public bool TryGet(int row, out ReadOnlySpan<char> text)
    {
        if (_buffer is not null) return _buffer.TryGet(row, out text);
        text = _strings![row];
        return _strings[row] is not null;
    }
}

/// <summary>
/// Looks at the text of a published table as it is written, row group by row group, so that a check of what
/// is published (the leak scan) need not read the file back. The writers hand over every string column of
/// every row group, the very cells they write, whichever stage made them.
/// </summary>
public interface IPublishedTextCheck
{
    /// <param name="rowGroup">The row group's index in the file; row groups may be checked on several threads at once.</param>
    /// <param name="columns">The row group's string columns, in the file's column order.</param>
    void Check(int rowGroup, IReadOnlyList<TextCells> columns);
}
