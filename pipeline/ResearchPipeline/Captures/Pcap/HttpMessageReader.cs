using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>One HTTP/1.x message read off a byte stream.</summary>
internal sealed record HttpMessage
{
    public required string[] StartLine { get; init; }
    public required ImmutableArray<HttpHeader> Headers { get; init; }
    public ReadOnlyMemory<byte> Body { get; init; }
    public long WireBytes { get; init; }
    public required Frame FirstFrame { get; init; }
    public required Frame LastFrame { get; init; }
    /// <summary>Why the body is not all there (gap in the stream, over the body limit, connection ended early).</summary>
    public string? Incomplete { get; init; }

    public string? Header(string name)
    {
        foreach (var h in Headers) if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }
}

/// <summary>
/// Reads HTTP/1.x messages of one direction of a connection as its bytes arrive (RFC 9112): start line and
/// headers, then a body framed by chunked transfer coding, Content-Length, or (responses only) the end of the
/// connection. Pipelined messages follow one another on the same stream.
/// </summary>
internal sealed class HttpMessageReader(bool requests, long maxBodyBytes, Func<string?> answeredMethod, Action<Frame> messageStarts, Action<HttpMessage> messageRead, Action<string, Frame> broken)
{
    private const int MaxHeaderBytes = 64 * 1024;

    private enum State { Head, FixedBody, ChunkSize, ChunkData, ChunkDataEnd, Trailers, UntilClose, Stopped }

    private State _state = State.Head;
    // A head or chunk-size line split across segments; one that arrives whole is read where it lies.
    private readonly PooledBytes _line = new();
    // Gathered while a body is read (its size is not known before it ends); the message gets an exact copy.
    private readonly PooledBytes _body = new();
    private long _bodyLength;
    private long _remaining;
    private long _wireBytes;
    private string[]? _startLine;
    private ImmutableArray<HttpHeader> _headers;
    // One head's fields as they are read, kept for the next head: each message gets an array of its own size.
    private readonly ImmutableArray<HttpHeader>.Builder _fields = ImmutableArray.CreateBuilder<HttpHeader>();
    private Frame? _firstFrame;
    private string? _incomplete;

    public bool Stopped => _state == State.Stopped;

    /// <summary>True once a message boundary has been crossed, i.e. no message is half read.</summary>
    public bool BetweenMessages => _state == State.Head && _line.Count == 0;

    public static bool LooksLikeRequest(ReadOnlySpan<byte> b)
    {
        var space = b.IndexOf((byte)' ');
        if (space < 3 || space > 16) return false;
        foreach (var c in b[..space]) if (c is not ((>= (byte)'A' and <= (byte)'Z') or (byte)'-')) return false;
        return true;
    }

    public static bool LooksLikeResponse(ReadOnlySpan<byte> b) => b.StartsWith("HTTP/1."u8);

    /// <summary>Reads what it can; returns how many bytes were left unread because reading stopped (after an upgrade or CONNECT, they belong to the new protocol).</summary>
    public int Feed(ReadOnlySpan<byte> data, Frame frame)
    {
        while (data.Length > 0 && _state != State.Stopped)
        {
            switch (_state)
            {
                case State.Head:
                case State.Trailers:
                {
                    if (_state == State.Head && _line.Count == 0)
                    {
                        // Stray CRLFs between messages are allowed (RFC 9112 section 2.2).
                        var skip = 0;
                        while (skip < data.Length && data[skip] is (byte)'\r' or (byte)'\n') skip++;
                        data = data[skip..];
                        if (data.Length == 0) return 0;
                        _firstFrame = frame;
                        _wireBytes = 0;
                        messageStarts(frame);
                    }
                    var before = _line.Count;
                    var searchFrom = Math.Max(0, before - 3);
                    var take = Math.Min(data.Length, MaxHeaderBytes + 4 - before);
                    if (before > 0) _line.Append(data[..take]);
                    var written = before > 0 ? _line.Written : data[..take];
                    var end = FindHeadEnd(written, searchFrom, _state == State.Trailers);
                    if (end < 0)
                    {
                        if (before == 0) _line.Append(written);
                        if (_line.Count > MaxHeaderBytes) Stop($"HTTP {(requests ? "request" : "response")} head is over {MaxHeaderBytes} bytes or not HTTP", frame);
                        _wireBytes += take;
                        data = data[take..];
                        break;
                    }
                    var consumed = end - before;
                    _wireBytes += consumed;
                    data = data[consumed..];
                    if (_state == State.Trailers)
                    {
                        _line.Clear();
                        Complete(frame);
                        break;
                    }
                    var badStartLine = ParseHead(written[..end], out var startLine, out var headers);
                    _line.Clear();
                    ReadHead(badStartLine, startLine, headers, frame);
                    break;
                }
                case State.FixedBody:
                {
                    var n = (int)Math.Min(_remaining, data.Length);
                    AppendBody(data[..n]);
                    data = data[n..];
                    _remaining -= n;
                    if (_remaining == 0) Complete(frame);
                    break;
                }
                case State.ChunkSize:
                {
                    var lf = data.IndexOf((byte)'\n');
                    var take = lf < 0 ? data.Length : lf + 1;
                    var whole = lf >= 0 && _line.Count == 0;
                    if (!whole) _line.Append(data[..take]);
                    var sizeLine = whole ? data[..take] : _line.Written;
                    _wireBytes += take;
                    data = data[take..];
                    if (lf < 0)
                    {
                        if (_line.Count > 1024) Stop("HTTP chunk size line is over 1024 bytes", frame);
                        break;
                    }
                    var text = Encoding.Latin1.GetString(sizeLine).Trim();
                    _line.Clear();
                    var semicolon = text.IndexOf(';');
                    if (semicolon >= 0) text = text[..semicolon].Trim();
                    if (!long.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var size) || size < 0)
                    {
                        Stop($"HTTP chunk size '{Short(text)}' is not hexadecimal", frame);
                        break;
                    }
                    if (size == 0) _state = State.Trailers;
                    else
                    {
                        _remaining = size;
                        _state = State.ChunkData;
                    }
                    break;
                }
                case State.ChunkData:
                {
                    var n = (int)Math.Min(_remaining, data.Length);
                    AppendBody(data[..n]);
                    data = data[n..];
                    _remaining -= n;
                    if (_remaining == 0)
                    {
                        _remaining = 2;
                        _state = State.ChunkDataEnd;
                    }
                    break;
                }
                case State.ChunkDataEnd:
                {
                    // The CRLF after a chunk's data; tolerate a bare LF.
                    if (data[0] == (byte)'\r' && _remaining == 2)
                    {
                        data = data[1..];
                        _wireBytes++;
                        _remaining = 1;
                        break;
                    }
                    if (data[0] == (byte)'\n') 
                    {
                        data = data[1..];
                        _wireBytes++;
                    }
                    _state = State.ChunkSize;
                    break;
                }
                case State.UntilClose:
                    AppendBody(data);
                    data = [];
                    break;
            }
        }
        return data.Length;
    }

    /// <summary>Bytes of this direction are lost: a body can skip them, a head cannot be read past them.</summary>
    public void Gap(long bytes, Frame frame)
    {
        switch (_state)
        {
            case State.FixedBody when bytes < _remaining:
            case State.ChunkData when bytes < _remaining:
                _incomplete = $"{bytes} bytes of the body were not captured";
                _remaining -= bytes;
                _wireBytes += bytes;
                _bodyLength += bytes;
                break;
            case State.FixedBody when bytes == _remaining:
                _incomplete = $"{bytes} bytes of the body were not captured";
                _wireBytes += bytes;
                _bodyLength += bytes;
                Complete(frame);
                break;
            case State.UntilClose:
                _incomplete = $"{bytes} bytes of the body were not captured";
                _wireBytes += bytes;
                _bodyLength += bytes;
                break;
            case State.Stopped:
                break;
            default:
                if (_state != State.Head || _line.Count > 0) _incomplete = $"{bytes} bytes of the stream were not captured";
                var hadMessage = _state != State.Head || _line.Count > 0;
                if (hadMessage) CompleteBroken(frame);
                Stop($"{bytes} bytes of the {(requests ? "request" : "response")} stream were not captured; HTTP messages after the gap cannot be framed", frame);
                break;
        }
    }

    /// <summary>The connection ended: a body read until close is complete, anything else half read is cut.</summary>
    public void End(Frame frame)
    {
        if (_state == State.UntilClose)
        {
            Complete(frame);
            return;
        }
        if (_state == State.Stopped || BetweenMessages) return;
        _incomplete ??= "connection ended before the message did";
        CompleteBroken(frame);
        _state = State.Stopped;
    }

    private void CompleteBroken(Frame frame)
    {
        if (_startLine is not null && _state != State.Head) Complete(frame);
    }

    /// <summary>
    /// Start line and header fields of a head, read as Latin-1 (one char per byte) straight from the bytes, so
    /// that only the strings kept are built; returns the start line when it is not one, else null.
    /// </summary>
    private string? ParseHead(ReadOnlySpan<byte> head, out string[] parts, out ImmutableArray<HttpHeader> fields)
    {
        fields = [];
        var firstEnd = head.IndexOf((byte)'\n');
        var start = TrimEndCr(firstEnd < 0 ? head : head[..firstEnd]);
        var rest = firstEnd < 0 ? [] : head[(firstEnd + 1)..];
        if (!StartLine(start, out parts)) return Encoding.Latin1.GetString(start);
        var headers = _fields;
        headers.Clear();
        while (true)
        {
            var lineEnd = rest.IndexOf((byte)'\n');
            var line = TrimEndCr(lineEnd < 0 ? rest : rest[..lineEnd]);
            rest = lineEnd < 0 ? [] : rest[(lineEnd + 1)..];
            if (line.Length > 0)
            {
                if (line[0] is (byte)' ' or (byte)'\t' && headers.Count > 0)
                {
                    // Obsolete line folding (RFC 9112 section 5.2): part of the previous value.
                    var last = headers[^1];
                    headers[^1] = last with { Value = last.Value + " " + Encoding.Latin1.GetString(Trim(line)) };
                }
                else if (line.IndexOf((byte)':') is var colon and > 0)
                {
                    headers.Add(new HttpHeader(Encoding.Latin1.GetString(Trim(line[..colon])), Encoding.Latin1.GetString(Trim(line[(colon + 1)..]))));
                }
            }
            if (lineEnd < 0) break;
        }
        fields = headers.ToImmutable();
        return null;
    }

    private bool ReadHead(string? badStartLine, string[] parts, ImmutableArray<HttpHeader> headers, Frame frame)
    {
        if (badStartLine is not null)
        {
            Stop($"not an HTTP/1.x {(requests ? "request" : "status")} line: '{Short(badStartLine)}'", frame);
            return false;
        }
        _startLine = parts;
        _headers = headers;
        _body.Clear();
        _bodyLength = 0;
        _incomplete = null;

        var transferEncoding = Header("Transfer-Encoding");
        var contentLength = Header("Content-Length");
        if (!requests)
        {
            var status = int.Parse(parts[1], CultureInfo.InvariantCulture);
            var method = answeredMethod();
            // Responses without a body whatever their headers say (RFC 9112 section 6.3).
            if (status is >= 100 and < 200 || status is 204 or 304 || method == "HEAD" || (method == "CONNECT" && status is >= 200 and < 300))
            {
                Complete(frame);
                if (status == 101 || method == "CONNECT" && status is >= 200 and < 300) Stop(null, frame);
                return true;
            }
        }
        if (transferEncoding is not null && transferEncoding.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            _state = State.ChunkSize;
        }
        else if (contentLength is not null)
        {
            if (!long.TryParse(contentLength.Split(',')[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                Stop($"Content-Length '{Short(contentLength)}' is not a number", frame);
                return false;
            }
            _remaining = length;
            _state = State.FixedBody;
            if (length == 0) Complete(frame);
        }
        else if (requests)
        {
            Complete(frame);
        }
        else
        {
            _state = State.UntilClose;
        }
        return true;
    }

    private string? Header(string name)
    {
        foreach (var h in _headers) if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        return null;
    }

    private void AppendBody(ReadOnlySpan<byte> bytes)
    {
        _wireBytes += bytes.Length;
        _bodyLength += bytes.Length;
        if (_bodyLength <= maxBodyBytes) _body.Append(bytes);
        else if (_body.Count > 0)
        {
            _body.Clear();
            _incomplete = $"body is over the limit of {maxBodyBytes} bytes and was not kept";
        }
    }

    private void Complete(Frame frame)
    {
        var message = new HttpMessage
        {
            StartLine = _startLine!,
            Headers = _headers,
            Body = _bodyLength <= maxBodyBytes ? _body.Written.ToArray() : ReadOnlyMemory<byte>.Empty,
            WireBytes = _wireBytes,
            FirstFrame = _firstFrame ?? frame,
            LastFrame = frame,
            Incomplete = _incomplete,
        };
        _state = State.Head;
        _startLine = null;
        _body.Clear();
        _bodyLength = 0;
        _incomplete = null;
        messageRead(message);
    }

    private void Stop(string? why, Frame frame)
    {
        _state = State.Stopped;
        _line.Clear();
        _body.Clear();
        if (why is not null) broken(why, frame);
    }

    private static int FindHeadEnd(ReadOnlySpan<byte> b, int from, bool trailers)
    {
        // Trailers after the last chunk may be empty: then the head ends at the first blank line.
        if (trailers)
        {
            if (b.StartsWith("\r\n"u8)) return 2;
            if (b.StartsWith("\n"u8)) return 1;
        }
        for (var i = from; i < b.Length; i++)
        {
            var lf = b[i..].IndexOf((byte)'\n');
            if (lf < 0) return -1;
            i += lf;
            if (i + 1 < b.Length && b[i + 1] == (byte)'\n') return i + 2;
            if (i + 2 < b.Length && b[i + 1] == (byte)'\r' && b[i + 2] == (byte)'\n') return i + 3;
        }
        return -1;
    }

    /// <summary>
    /// Method, target and version of a request line, or version, status and reason of a status line (reason
    /// may be missing); split at the first two spaces, so the last part keeps any further ones.
    /// </summary>
    private bool StartLine(ReadOnlySpan<byte> start, out string[] parts)
    {
        parts = [];
        var firstSpace = start.IndexOf((byte)' ');
        if (firstSpace < 0) return false;
        var first = start[..firstSpace];
        var afterFirst = start[(firstSpace + 1)..];
        var secondSpace = afterFirst.IndexOf((byte)' ');
        var second = secondSpace < 0 ? afterFirst : afterFirst[..secondSpace];
        var third = secondSpace < 0 ? [] : afterFirst[(secondSpace + 1)..];
        if (requests && !(secondSpace >= 0 && LooksLikeRequest(start) && third.StartsWith("HTTP/"u8))) return false;
        if (!requests && !(first.StartsWith("HTTP/"u8) && second.Length == 3)) return false;
        var secondText = Encoding.Latin1.GetString(second);
        if (!requests && !int.TryParse(secondText, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        parts = [Encoding.Latin1.GetString(first), secondText, Encoding.Latin1.GetString(third)];
        return true;
    }

    private static ReadOnlySpan<byte> TrimEndCr(ReadOnlySpan<byte> line)
    {
        var n = line.Length;
        while (n > 0 && line[n - 1] == (byte)'\r') n--;
        return line[..n];
    }

    // string.Trim's white space among Latin-1 characters: tab to carriage return, space, NEL and no-break space.
    private static bool IsWhiteSpace(byte b) => b is >= 0x09 and <= 0x0D or 0x20 or 0x85 or 0xA0;

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> s)
    {
        var from = 0;
        var to = s.Length;
        while (from < to && IsWhiteSpace(s[from])) from++;
        while (to > from && IsWhiteSpace(s[to - 1])) to--;
        return s[from..to];
    }

    private static string Short(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
