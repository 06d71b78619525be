using System.Text.Json;

namespace ResearchPipeline.Captures.Har;

/// <summary>
/// Walks a HAR file forward once with <see cref="Utf8JsonReader"/> over a sliding buffer and hands out the
/// raw bytes of <c>log.creator</c> and the fields of each <c>log.entries[i]</c> (<see cref="HarEntryFields"/>,
/// taken in the same pass), one at a time. Only one entry is ever buffered; an entry larger than the record limit is skipped byte by byte (so even a multi-gigabyte string
/// cannot exhaust memory) and reported as oversized.
/// </summary>
internal sealed class HarJsonScanner : IDisposable
{
    internal enum EventKind { Creator, Entry, OversizedEntry, End, Truncated, Invalid }

    /// <param name="Json">The creator's or entry's bytes; valid, like <paramref name="Entry"/>, until the next call of <see cref="Next"/>.</param>
    internal readonly record struct ScanEvent(EventKind Kind, ReadOnlyMemory<byte> Json, long Offset, string Message, HarEntryFields? Entry = null);

    private const int InitialBuffer = 64 * 1024;
    private readonly Stream _input;
    // A file is read through its handle, from where the stream stood (the stream is not moved): the scanner's reads
    // are rarely of a whole stream buffer, so a buffered stream would allocate a buffer per file and copy each byte twice.
    private readonly Microsoft.Win32.SafeHandles.SafeFileHandle? _file;
    private long _fileAt;
    private readonly long _maxRecordBytes;
    // Pooled: a study is mostly small HARs, each read with a scanner of its own.
    private byte[] _buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(InitialBuffer);
    // The buffer's size as the limits see it: a pooled array may be longer than asked for.
    private int _capacity = InitialBuffer;
    private int _pos;
    private int _len;
    private bool _eof;
    private long _bufferOffset; // file offset of _buffer[0]
    private JsonReaderState _state;
    private readonly string?[] _names = new string?[4];
    private bool _sawRoot;
    private bool _done;
    private bool _substitutedOversized;
    private readonly List<HttpHeader> _headers = [];
    private readonly bool _fieldsInScan;
    private readonly int _maxDepth;
    // The fast path (HarJsonTokens): the whole file, pooled, and where its tokens stand between events.
    private byte[]? _whole;
    private int _wholeLength;
    private HarJsonTokensState _wholeState;
    // Events of records that start before this offset were given by the fast path: the system's reader, reading the
    // file again after the fast path stopped, passes over them.
    private long _givenBefore;
    private long _streamStart;

    /// <summary>True once <c>log.entries</c> was found as an array.</summary>
    public bool SawEntries { get; private set; }

    /// <param name="fieldsInScan">
    /// Take each entry's fields in the scan (<see cref="ScanEvent.Entry"/>); false only finds the entry's bounds
    /// and checks its JSON, for the entry's bytes to be read elsewhere.
    /// </param>
    /// <param name="fast">
    /// Read a file of at most <see cref="FastFileBytes"/> whole with <see cref="HarJsonTokens"/> where it can (the same
    /// events as without); false reads it with the system's reader alone (tests compare the two).
    /// </param>
    public HarJsonScanner(Stream input, long maxRecordBytes, int maxDepth, bool fieldsInScan = true, bool fast = true)
    {
        _input = input;
        if (input is FileStream { CanSeek: true } file)
        {
            _file = file.SafeFileHandle;
            _fileAt = file.Position;
        }
        _fieldsInScan = fieldsInScan;
        _maxDepth = maxDepth;
        _state = new JsonReaderState(ReaderOptions(maxDepth));
        _maxRecordBytes = Math.Max(maxRecordBytes, 1024);
        // Every entry of a file under half the record limit fits the slow path's buffer: none is oversized.
        if (fast && fieldsInScan && input.CanSeek)
        {
            _streamStart = input.Position;
            var length = (_file is null ? input.Length : RandomAccess.GetLength(_file)) - _streamStart;
            if (length <= Math.Min(FastFileBytes, _maxRecordBytes / 2)) ReadWhole((int)length);
        }
    }

    /// <summary>
    /// What the system's reader accepts in a HAR (comments, trailing commas), here and where an entry the scan found is
    /// read again (<see cref="HarReader"/>); the fast tokens accept nothing these options refuse.
    /// </summary>
    internal static JsonReaderOptions ReaderOptions(int maxDepth) =>
        new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, MaxDepth = maxDepth };

    /// <summary>Files up to this size are read whole, for the fast path; larger ones a record at a time.</summary>
    internal const int FastFileBytes = 16 << 20;

    /// <summary>True while the fast path reads the file (tests ask).</summary>
    internal bool ReadsWhole => _whole is not null;

    private void ReadWhole(int length)
    {
        _whole = System.Buffers.ArrayPool<byte>.Shared.Rent(Math.Max(length, 1));
        while (_wholeLength < length)
        {
            var read = _file is null ? _input.Read(_whole, _wholeLength, length - _wholeLength)
                : RandomAccess.Read(_file, _whole.AsSpan(_wholeLength, length - _wholeLength), _fileAt + _wholeLength);
            if (read == 0) break;
            _wholeLength += read;
        }
    }

    /// <summary>Gives the whole file's buffer back; <paramref name="again"/> leaves the stream where the scan began, for the system's reader.</summary>
    private void LeaveWhole(bool again = false)
    {
        if (_whole is not { } whole) return;
        System.Buffers.ArrayPool<byte>.Shared.Return(whole);
        _whole = null;
        if (again && _file is null) _input.Position = _streamStart;
    }

    /// <summary>Gives the buffer back; what the last event pointed into is no longer valid.</summary>
    public void Dispose()
    {
        LeaveWhole();
        var buffer = _buffer;
        _buffer = [];
        _len = _pos = 0;
        if (buffer.Length > 0) System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
    }

    public ScanEvent Next()
    {
        if (_done) return new ScanEvent(EventKind.End, default, FileOffset, "");
        if (_whole is not null)
        {
            if (NextWhole() is { } given)
            {
                if (given.Kind == EventKind.End) _done = true;
                return given;
            }
            // Read again from the start by the system's reader, which gives the events the fast path has not.
            LeaveWhole(again: true);
            Array.Clear(_names);
            _sawRoot = false;
        }
        while (true)
        {
            var outcome = Scan(out var ev);
            if (outcome == ScanOutcome.Event)
            {
                if (ev.Kind is EventKind.End or EventKind.Truncated or EventKind.Invalid) _done = true;
                return ev;
            }

            if (outcome == ScanOutcome.NeedMoreForRecord && _pos == 0 && _len == _capacity && _capacity >= _maxRecordBytes)
            {
                // The record does not fit under the limit: skip it raw, then let the JSON reader see "{}" in its place.
                var start = FileOffset;
                if (!SkipOversizedObject())
                {
                    _done = true;
                    return new ScanEvent(EventKind.Truncated, default, start, "file ends inside an oversized entry");
                }
                _substitutedOversized = true;
                continue;
            }

            if (_eof)
            {
                _done = true;
                return _sawRoot
                    ? new ScanEvent(EventKind.Truncated, default, FileOffset, "file ends before the HAR is complete")
                    : new ScanEvent(EventKind.Invalid, default, FileOffset, "file is empty");
            }
            Refill(outcome == ScanOutcome.NeedMoreForRecord);
        }
    }

    private long FileOffset => _bufferOffset + _pos;

    /// <summary>The next event as the system's reader would give it; null where the fast path stops, having given nothing for the record it was in.</summary>
    private ScanEvent? NextWhole()
    {
        var tokens = new HarJsonTokens(_whole.AsSpan(0, _wholeLength), _maxDepth, _wholeState);
        var window = new ReadOnlyMemory<byte>(_whole, 0, _wholeLength);
        while (tokens.Read())
        {
            var walked = Walk(ref tokens, tokens.CurrentDepth);
            if (walked is Walked.Entry or Walked.Creator)
            {
                var start = (int)tokens.TokenStartIndex;
                HarEntryFields? entry = null;
                if (walked == Walked.Entry ? !HarEntryFields.TryRead(ref tokens, window, _headers, out entry) : !tokens.TrySkip()) return null;
                _wholeState = tokens.State;
                _givenBefore = start + 1;
                return new ScanEvent(walked == Walked.Entry ? EventKind.Entry : EventKind.Creator, window[start..tokens.BytesConsumed], start, "", entry);
            }
            if (walked == Walked.End)
            {
                _wholeState = tokens.State;
                return new ScanEvent(EventKind.End, default, tokens.BytesConsumed, "");
            }
        }
        return null;
    }

    private enum Walked { Other, Entry, Creator, End }

    /// <summary>
    /// What the token just read is to the scan, whichever reader read it: the names of <c>log</c>, <c>entries</c> and
    /// <c>creator</c> are remembered, the entries array is noted, an entry or the creator starts a record, and the
    /// root's end ends the file.
    /// </summary>
    private Walked Walk<TTokens>(ref TTokens tokens, int depth) where TTokens : IJsonTokens, allows ref struct
    {
        _sawRoot = true;
        switch (tokens.TokenType)
        {
            case JsonTokenType.PropertyName when depth < _names.Length:
                // Compared, not decoded: a name with invalid UTF-8 must not stop the scan.
                _names[depth] = tokens.ValueTextEquals("log"u8) ? "log"
                    : tokens.ValueTextEquals("entries"u8) ? "entries"
                    : tokens.ValueTextEquals("creator"u8) ? "creator"
                    : null;
                for (var d = depth + 1; d < _names.Length; d++) _names[d] = null;
                return Walked.Other;
            case JsonTokenType.StartObject when IsEntry(depth):
                return Walked.Entry;
            case JsonTokenType.StartObject when IsCreator(depth):
                return Walked.Creator;
            case JsonTokenType.StartArray when depth == 2 && _names[1] == "log" && _names[2] == "entries":
                SawEntries = true;
                return Walked.Other;
            case JsonTokenType.EndObject when depth == 0:
                return Walked.End;
            default:
                return Walked.Other;
        }
    }

    private enum ScanOutcome { Event, NeedMore, NeedMoreForRecord }

    private ScanOutcome Scan(out ScanEvent ev)
    {
        ev = default;
        // The reader inside the tokens the entry fields take, so that where a failure leaves it is seen below.
        var tokens = new SystemJsonTokens(new Utf8JsonReader(_buffer.AsSpan(_pos, _len - _pos), _eof, _state));
        ref var reader = ref tokens.Reader;
        try
        {
            while (true)
            {
                var before = reader.CurrentState;
                var consumedBefore = reader.BytesConsumed;
                if (!reader.Read())
                {
                    Commit(ref reader);
                    return ScanOutcome.NeedMore;
                }
                var walked = Walk(ref tokens, reader.CurrentDepth);
                switch (walked)
                {
                    case Walked.Entry or Walked.Creator:
                        var isEntry = walked == Walked.Entry;
                        var tokenStart = (int)reader.TokenStartIndex;
                        var window = new ReadOnlyMemory<byte>(_buffer, _pos, _len - _pos);
                        var offset = _bufferOffset + _pos + tokenStart;
                        var given = offset < _givenBefore;
                        HarEntryFields? entry = null;
                        if (isEntry && _fieldsInScan && !given ? !HarEntryFields.TryRead(ref tokens, window, _headers, out entry) : !reader.TrySkip())
                        {
                            // Not all of the record is buffered: rewind to before it and ask for more.
                            _pos += (int)consumedBefore;
                            _state = before;
                            return ScanOutcome.NeedMoreForRecord;
                        }
                        if (given)
                        {
                            _substitutedOversized = false;
                            continue;
                        }
                        var json = window.Slice(tokenStart, (int)reader.BytesConsumed - tokenStart);
                        Commit(ref reader);
                        var kind = !isEntry ? EventKind.Creator : _substitutedOversized ? EventKind.OversizedEntry : EventKind.Entry;
                        _substitutedOversized = false;
                        ev = new ScanEvent(kind, json, offset, "", entry);
                        return ScanOutcome.Event;
                    case Walked.End:
                        Commit(ref reader);
                        ev = new ScanEvent(EventKind.End, default, FileOffset, "");
                        return ScanOutcome.Event;
                }
            }
        }
        catch (JsonException e)
        {
            var at = _bufferOffset + _pos + reader.BytesConsumed;
            var kind = _eof && e.Message.Contains("end of data", StringComparison.OrdinalIgnoreCase) ? EventKind.Truncated : EventKind.Invalid;
            ev = new ScanEvent(kind, default, at, kind == EventKind.Truncated ? "file ends before the HAR is complete" : $"invalid JSON: {FirstLine(e.Message)}");
            return ScanOutcome.Event;
        }
    }

    private bool IsEntry(int depth) => depth == 3 && _names[1] == "log" && _names[2] == "entries";
    private bool IsCreator(int depth) => depth == 2 && _names[1] == "log" && _names[2] == "creator";

    private void Commit(ref Utf8JsonReader reader)
    {
        _pos += (int)reader.BytesConsumed;
        _state = reader.CurrentState;
    }

    private void Refill(bool forRecord)
    {
        if (_pos > 0)
        {
            Buffer.BlockCopy(_buffer, _pos, _buffer, 0, _len - _pos);
            _bufferOffset += _pos;
            _len -= _pos;
            _pos = 0;
        }
        if (_len == _capacity)
        {
            var grown = (int)Math.Min((long)_capacity * 2, Math.Min(_maxRecordBytes, Array.MaxLength));
            if (grown <= _capacity && !forRecord) grown = _capacity * 2; // a single token outside an entry
            if (grown > _buffer.Length)
            {
                var larger = System.Buffers.ArrayPool<byte>.Shared.Rent(grown);
                _buffer.AsSpan(0, _len).CopyTo(larger);
                System.Buffers.ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
            _capacity = grown;
        }
        var read = ReadInput(_capacity - _len);
        if (read == 0) _eof = true;
        _len += read;
    }

    private int ReadInput(int count)
    {
        if (_file is null) return _input.Read(_buffer, _len, count);
        var read = RandomAccess.Read(_file, _buffer.AsSpan(_len, count), _fileAt);
        _fileAt += read;
        return read;
    }

    /// <summary>
    /// Skips the object starting at the current position (after optional whitespace) by scanning bytes for
    /// its closing brace, then rewrites the buffer so that the reader sees an empty object in its place.
    /// </summary>
    private bool SkipOversizedObject()
    {
        var depth = 0;
        var inString = false;
        var escaped = false;
        var started = false;
        var sawComma = false;
        while (true)
        {
            for (; _pos < _len; _pos++)
            {
                var b = _buffer[_pos];
                if (inString)
                {
                    if (escaped) escaped = false;
                    else if (b == (byte)'\\') escaped = true;
                    else if (b == (byte)'"') inString = false;
                    continue;
                }
                switch (b)
                {
                    case (byte)'"': inString = true; break;
                    case (byte)',' when !started: sawComma = true; break;
                    case (byte)'{' or (byte)'[': depth++; started = true; break;
                    case (byte)'}' or (byte)']':
                        depth--;
                        if (started && depth == 0)
                        {
                            // Replace the last bytes consumed ("...}") by "{}" (or ",{}") for the JSON reader.
                            _buffer[_pos] = (byte)'}';
                            _buffer[--_pos] = (byte)'{';
                            if (sawComma) _buffer[--_pos] = (byte)',';
                            return true;
                        }
                        break;
                }
            }
            // Keep two bytes so that the ",{}" rewrite always has room.
            var keep = Math.Min(_len, 2);
            _bufferOffset += _len - keep;
            Buffer.BlockCopy(_buffer, _len - keep, _buffer, 0, keep);
            _pos = keep;
            _len = keep;
            var read = ReadInput(_capacity - _len);
            if (read == 0) { _eof = true; return false; }
            _len += read;
        }
    }

    private static string FirstLine(string s)
    {
        var nl = s.IndexOf('\n');
        return nl < 0 ? s : s[..nl];
    }
}
