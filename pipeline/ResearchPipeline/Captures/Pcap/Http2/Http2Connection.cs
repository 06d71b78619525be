using System.Buffers.Binary;
using System.Collections.Immutable;

namespace ResearchPipeline.Captures.Pcap.Http2;

/// <summary>One HTTP/2 stream read whole (or as far as the capture allowed): request and response, pseudo-headers included.</summary>
internal sealed record Http2Exchange
{
    public required int Ordinal { get; init; }
    public required int StreamId { get; init; }
    public required ImmutableArray<HttpHeader> RequestHeaders { get; init; }
    public ReadOnlyMemory<byte> RequestBody { get; init; }
    public long RequestBytes { get; init; }
    public ImmutableArray<HttpHeader>? ResponseHeaders { get; init; }
    public ReadOnlyMemory<byte> ResponseBody { get; init; }
    public long ResponseBytes { get; init; }
    public required Frame FirstFrame { get; init; }
    public required Frame LastFrame { get; init; }
    /// <summary>Why the exchange is not all there (reset, gap, body over the limit, connection ended), else null.</summary>
    public string? Incomplete { get; init; }
}

/// <summary>
/// Reads both directions of an HTTP/2 connection (RFC 9113) after TLS decryption or in cleartext: the client
/// preface, frames (DATA, HEADERS, CONTINUATION with padding and priority, PRIORITY, RST_STREAM, SETTINGS,
/// PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE), each direction's HPACK state, and one exchange per stream.
/// A frame that arrives whole in a segment is read where it lies; bodies are kept up to the body limit.
/// Lost bytes cost the streams they touch: a record lost inside one frame is stepped over and framing kept;
/// otherwise frames are looked for again after the loss, and header compression goes on from the entries added
/// after it (a block that needs an entry lost with the gap is reported, never decoded to a wrong value).
/// </summary>
internal sealed class Http2Connection(long maxBodyBytes, Func<int> takeOrdinal, Action<Http2Exchange> emit, Action<int?, string, string, Frame> problem)
{
    public static ReadOnlySpan<byte> Preface => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8;

    // RFC 9113 section 4.2: a frame's length field has 24 bits; SETTINGS_MAX_FRAME_SIZE cannot exceed it.
    private const int MaxFramePayload = (1 << 24) - 1;
    private const int MaxHeaderBlock = 1 << 20;
    private const int MaxOpenStreams = 4096;

    private const byte Data = 0, Headers = 1, PriorityFrame = 2, RstStream = 3, Settings = 4, PushPromise = 5, Ping = 6, GoAway = 7, WindowUpdate = 8, Continuation = 9;
    // The frame size every peer accepts (SETTINGS_MAX_FRAME_SIZE's initial value): after a loss, a frame header
    // announcing more is taken for payload bytes rather than trusted.
    private const int ResyncMaxFrame = 1 << 14;
    private const string GapReason = "bytes of the connection were not captured";
    private const byte EndStream = 0x1, EndHeaders = 0x4, Padded = 0x8, Priority = 0x20;

    private readonly Direction _client = new(true);
    private readonly Direction _server = new(false);
    private readonly SortedDictionary<int, H2Stream> _streams = [];

    public int StreamsRead { get; private set; }

    /// <summary>True when the bytes start like the first frame a server sends (SETTINGS on stream 0).</summary>
    public static bool LooksLikeServerStart(ReadOnlySpan<byte> b) =>
        b.Length >= 9 && b[3] == 4 && BinaryPrimitives.ReadUInt32BigEndian(b[5..]) == 0 && ((b[0] << 16) | (b[1] << 8) | b[2]) % 6 == 0;

    /// <summary>
    /// An HTTP/1.1 request upgraded to HTTP/2 (<c>Upgrade: h2c</c>): its response comes on stream 1 (RFC 7540 section 3.2).
    /// </summary>
    public void Upgraded(int ordinal, ImmutableArray<HttpHeader> requestHeaders, ReadOnlyMemory<byte> body, long wireBytes, Frame frame)
    {
        var stream = new H2Stream(1, ordinal, frame) { RequestHeaders = requestHeaders, RequestEnded = true, RequestBytes = wireBytes };
        stream.RequestBody.Append(body.Span);
        _streams[1] = stream;
        _client.PrefaceLeft = Preface.Length;
    }

    public void Feed(bool toServer, ReadOnlySpan<byte> data, Frame frame)
    {
        var side = toServer ? _client : _server;
        if (side.Dead) return;
        if (toServer && side.PrefaceLeft > 0)
        {
            var take = Math.Min(side.PrefaceLeft, data.Length);
            if (!data[..take].SequenceEqual(Preface.Slice(Preface.Length - side.PrefaceLeft, take)))
            {
                side.Dead = true;
                problem(null, "HTTP/2 preface missing", "the client did not open the HTTP/2 connection with its preface; the connection was not read", frame);
                return;
            }
            side.PrefaceLeft -= take;
            data = data[take..];
        }
        if (side.Suspended is { } suspended && data.Length > 0)
        {
            side.Suspended = null;
            LoseFraming(side, suspended, frame);
        }
        while (data.Length > 0 && !side.Dead)
        {
            if (side.Lost)
            {
                var at = FindFrame(side, data);
                if (at < 0) return;
                side.Lost = false;
                side.Verify = false;
                data = data[at..];
            }
            if (side.HeaderFill == 0 && data.Length >= 9)
            {
                if (side.Verify && !Resumes(side, data, frame)) continue;
                var length = (data[0] << 16) | (data[1] << 8) | data[2];
                if (data.Length >= 9 + length)
                {
                    Frame(side, data[..9], data.Slice(9, length), frame);
                    data = data[(9 + length)..];
                    continue;
                }
            }
            if (side.HeaderFill < 9)
            {
                var take = Math.Min(9 - side.HeaderFill, data.Length);
                data[..take].CopyTo(side.Header.AsSpan(side.HeaderFill));
                side.HeaderFill += take;
                data = data[take..];
                if (side.HeaderFill < 9) return;
                if (side.Verify && !Resumes(side, side.Header, frame)) continue;
                side.Needed = (side.Header[0] << 16) | (side.Header[1] << 8) | side.Header[2];
                if (side.Needed == 0)
                {
                    Frame(side, side.Header, [], frame);
                    side.HeaderFill = 0;
                }
                continue;
            }
            var n = Math.Min(side.Needed, data.Length);
            if (!side.Holed) side.Payload.Append(data[..n]);
            side.Needed -= n;
            data = data[n..];
            if (side.Needed > 0) return;
            EndOfFrame(side, frame);
        }
    }

    private void EndOfFrame(Direction side, Frame frame)
    {
        if (side.Holed)
        {
            HoledFrame(side, frame);
            side.Verify = true;
        }
        else Frame(side, side.Header, side.Payload.Written, frame);
        side.Payload.Clear();
        side.HeaderFill = 0;
        side.Holed = false;
    }

    /// <summary>
    /// The first frame header after a record stepped over: framing is trusted again only if it reads as a frame,
    /// else frames are looked for as after any loss. The header is then left unread (its side's fill reset).
    /// </summary>
    private bool Resumes(Direction side, ReadOnlySpan<byte> header, Frame frame)
    {
        side.Verify = false;
        if (Plausible(side, header)) return true;
        LoseFraming(side, null, frame);
        return false;
    }

    /// <summary>Where in <paramref name="data"/> the next frame starts, judged by its header and, where present, the next one's.</summary>
    private static int FindFrame(Direction side, ReadOnlySpan<byte> data)
    {
        for (var i = 0; i + 9 <= data.Length; i++)
        {
            if (!Plausible(side, data[i..])) continue;
            var next = i + 9 + ((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
            if (next + 9 > data.Length || Plausible(side, data[next..])) return i;
        }
        return -1;
    }

    /// <summary>A frame header whose length, type, flags and stream fit each other (RFC 9113 section 6).</summary>
    private static bool Plausible(Direction side, ReadOnlySpan<byte> h)
    {
        var length = (h[0] << 16) | (h[1] << 8) | h[2];
        var type = h[3];
        var flags = h[4];
        var raw = BinaryPrimitives.ReadUInt32BigEndian(h[5..]);
        if (length > ResyncMaxFrame || (raw & 0x80000000) != 0) return false;
        var onStream = raw != 0;
        // A stream the connection has not reached yet cannot be resumed at (clients number theirs upwards).
        if (onStream && raw > side.HighestStream + 64) return false;
        return type switch
        {
            Data => onStream && (flags & ~(EndStream | Padded)) == 0,
            Headers => onStream && (flags & ~(EndStream | EndHeaders | Padded | Priority)) == 0 && (!side.ToServer || raw % 2 == 1),
            PriorityFrame => onStream && length == 5 && flags == 0,
            RstStream => onStream && length == 4 && flags == 0,
            Settings => !onStream && (flags == 0 && length % 6 == 0 || flags == 1 && length == 0),
            PushPromise => !side.ToServer && onStream && (flags & ~(EndHeaders | Padded)) == 0,
            Ping => !onStream && length == 8 && (flags & ~1) == 0,
            GoAway => !onStream && length >= 8 && flags == 0,
            WindowUpdate => length == 4 && flags == 0,
            // A CONTINUATION continues a block that began in the lost bytes: nothing to resume at.
            _ => false,
        };
    }

    /// <summary>
    /// Bytes of one direction were lost. When they are exactly one record's plaintext inside one frame's payload,
    /// that frame alone is damaged and framing goes on; otherwise frames are looked for again after the loss.
    /// </summary>
    public void Gap(bool toServer, long bytes, Frame frame, long? recordPlaintext)
    {
        var side = toServer ? _client : _server;
        if (side.Dead) return;
        if (recordPlaintext is { } lost && !side.Lost && side.HeaderFill == 9 && lost <= side.Needed && lost > 0)
        {
            side.Needed -= (int)lost;
            side.Holed = true;
            side.Payload.Clear();
            if (side.Needed == 0) EndOfFrame(side, frame);
            return;
        }
        if (side.Lost || side.Suspended is not null) return;
        if (side.HeaderFill == 9 && side.Needed > 0)
        {
            // Inside a frame's payload: how much was lost may still be learnt when records decrypt again.
            side.Suspended = bytes;
            return;
        }
        LoseFraming(side, bytes, frame);
    }

    /// <summary>
    /// Records decrypt again after a loss of <paramref name="lostPlaintext"/> application bytes (null: not known).
    /// Lost wholly inside the frame being read, they cost that frame alone; otherwise framing is lost.
    /// </summary>
    public void Resumed(bool toServer, long? lostPlaintext, Frame frame)
    {
        var side = toServer ? _client : _server;
        if (side.Dead || side.Suspended is not { } bytes) return;
        side.Suspended = null;
        if (lostPlaintext is { } lost && lost <= side.Needed)
        {
            side.Needed -= (int)lost;
            side.Holed = true;
            side.Payload.Clear();
            if (side.Needed == 0) EndOfFrame(side, frame);
            return;
        }
        LoseFraming(side, bytes, frame);
    }

    /// <summary>Frames cannot be followed past lost bytes: they are looked for again, and the streams open in this direction lose their part.</summary>
    private void LoseFraming(Direction side, long? bytes, Frame frame)
    {
        problem(null, "HTTP/2 stream gap", bytes is { } n
            ? $"{n} bytes from the {Who(side)} were not captured or not decrypted; HTTP/2 frames are looked for again after them, streams open at that point are incomplete, and header blocks that refer to what was lost are reported"
            : $"HTTP/2 frames from the {Who(side)} do not follow on after bytes stepped over; they are looked for again, and header blocks that refer to what was lost are reported", frame);
        side.Lost = true;
        side.Verify = false;
        side.Holed = false;
        side.HeaderFill = 0;
        side.Needed = 0;
        side.Payload.Clear();
        side.BlockStream = null;
        side.Block.Clear();
        side.Hpack.Forget();
        foreach (var stream in _streams.Values)
        {
            if (side.ToServer ? !stream.RequestEnded : !stream.ResponseEnded) stream.Gapped = true;
        }
    }

    /// <summary>A frame whose payload lost bytes: its stream keeps what came before, and a lost header block costs the compression state.</summary>
    private void HoledFrame(Direction side, Frame frame)
    {
        var type = side.Header[3];
        var flags = side.Header[4];
        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(side.Header.AsSpan(5)) & 0x7FFFFFFF);
        var length = (side.Header[0] << 16) | (side.Header[1] << 8) | side.Header[2];
        problem(streamId == 0 ? null : streamId, "HTTP/2 frame not captured whole", $"an HTTP/2 frame of type {type} ({length} bytes) from the {Who(side)} was not captured or not decrypted whole; it was skipped and the frames after it are read", frame);
        _streams.TryGetValue(streamId, out var stream);
        switch (type)
        {
            case Data:
                if (stream is null) return;
                stream.Gapped = true;
                Count(stream, side, 9 + length, frame);
                if ((flags & EndStream) != 0) Ended(stream, side, frame);
                return;
            case Headers or PushPromise or Continuation:
                // The entries the block added to the dynamic table are unknown from here on.
                side.Hpack.Forget();
                side.BlockStream = null;
                side.Block.Clear();
                if (stream is null) return;
                stream.Gapped = true;
                if (type == Headers && (flags & EndStream) != 0) Ended(stream, side, frame);
                return;
        }
    }

    private static string Who(Direction side) => side.ToServer ? "client" : "server";

    /// <summary>The connection ended: streams still open are published as far as they got.</summary>
    public void Finish(Frame frame)
    {
        foreach (var side in new[] { _client, _server })
        {
            if (side.Suspended is { } bytes)
            {
                side.Suspended = null;
                LoseFraming(side, bytes, frame);
            }
        }
        foreach (var stream in _streams.Values.ToList()) Complete(stream, stream.Gapped ? GapReason : "the connection ended before the stream did", frame);
        _client.Payload.Clear();
        _server.Payload.Clear();
        _client.Block.Clear();
        _server.Block.Clear();
    }

    private void Frame(Direction side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Frame frame)
    {
        var type = header[3];
        var flags = header[4];
        var streamId = (int)(BinaryPrimitives.ReadUInt32BigEndian(header[5..]) & 0x7FFFFFFF);
        _client.HighestStream = _server.HighestStream = Math.Max(_client.HighestStream, (uint)streamId);
        if (side.BlockStream is { } expected && type != Continuation)
        {
            problem(expected, "HTTP/2 header block interrupted", $"stream {expected}: a frame of type {type} came before the header block's CONTINUATION; the block was dropped", frame);
            side.BlockStream = null;
            side.Block.Clear();
            side.Hpack.Forget();
        }
        switch (type)
        {
            case Data:
            {
                if (!Unpad(flags, ref payload, streamId, frame)) return;
                if (!_streams.TryGetValue(streamId, out var stream)) return;
                var body = side.ToServer ? stream.RequestBody : stream.ResponseBody;
                if (body.Count + (long)payload.Length > maxBodyBytes)
                {
                    if (!stream.Cut)
                        problem(streamId, "HTTP/2 body over the limit", $"stream {streamId}: {(side.ToServer ? "request" : "response")} body over {maxBodyBytes} bytes; the rest was not kept", frame);
                    stream.Cut = true;
                    body.Append(payload[..(int)Math.Max(0, maxBodyBytes - body.Count)]);
                }
                else body.Append(payload);
                Count(stream, side, 9 + payload.Length, frame);
                if ((flags & EndStream) != 0) Ended(stream, side, frame);
                return;
            }
            case Headers:
            {
                if (!Unpad(flags, ref payload, streamId, frame)) return;
                if ((flags & Priority) != 0)
                {
                    if (payload.Length < 5) return;
                    payload = payload[5..];
                }
                StartBlock(side, streamId, null, flags, payload, frame);
                return;
            }
            case PushPromise:
            {
                if (side.ToServer || !Unpad(flags, ref payload, streamId, frame) || payload.Length < 4) return;
                var promised = (int)(BinaryPrimitives.ReadUInt32BigEndian(payload) & 0x7FFFFFFF);
                StartBlock(side, streamId, promised, flags, payload[4..], frame);
                return;
            }
            case Continuation:
            {
                if (side.BlockStream != streamId) return;
                if (side.Block.Count + payload.Length > MaxHeaderBlock)
                {
                    problem(streamId, "HTTP/2 header block too large", $"stream {streamId}: header block over {MaxHeaderBlock} bytes; dropped", frame);
                    side.BlockStream = null;
                    side.Block.Clear();
                    side.Hpack.Forget();
                    return;
                }
                side.Block.Append(payload);
                if ((flags & EndHeaders) != 0)
                {
                    var block = side.Block.Written;
                    EndBlock(side, streamId, side.BlockPromised, side.BlockEndStream, block, frame);
                    side.Block.Clear();
                    side.BlockStream = null;
                }
                return;
            }
            case RstStream:
            {
                if (!_streams.TryGetValue(streamId, out var stream)) return;
                var code = payload.Length >= 4 ? BinaryPrimitives.ReadUInt32BigEndian(payload) : 0;
                var midBody = !stream.RequestEnded || stream.ResponseHeaders is not null;
                if (midBody && code != 0)
                    problem(streamId, "HTTP/2 stream reset", $"stream {streamId} was reset by the {(side.ToServer ? "client" : "server")} ({ErrorName(code)}) before it ended; what came before is kept", frame);
                Complete(stream, code == 0 && !midBody ? null : $"stream reset by the {(side.ToServer ? "client" : "server")} ({ErrorName(code)})", frame);
                return;
            }
            case GoAway:
                return;
        }
    }

    private bool Unpad(byte flags, ref ReadOnlySpan<byte> payload, int streamId, Frame frame)
    {
        if ((flags & Padded) == 0) return true;
        if (payload.Length < 1 || payload[0] >= payload.Length)
        {
            problem(streamId, "HTTP/2 frame padding not valid", $"stream {streamId}: a frame's padding is longer than the frame; the frame was skipped", frame);
            return false;
        }
        payload = payload[1..^payload[0]];
        return true;
    }

    private void StartBlock(Direction side, int streamId, int? promised, byte flags, ReadOnlySpan<byte> fragment, Frame frame)
    {
        var endStream = (flags & EndStream) != 0 && promised is null;
        if ((flags & EndHeaders) != 0)
        {
            EndBlock(side, streamId, promised, endStream, fragment, frame);
            return;
        }
        side.BlockStream = streamId;
        side.BlockPromised = promised;
        side.BlockEndStream = endStream;
        side.Block.Clear();
        side.Block.Append(fragment);
    }

    private void EndBlock(Direction side, int streamId, int? promised, bool endStream, ReadOnlySpan<byte> block, Frame frame)
    {
        ImmutableArray<HttpHeader> headers;
        try
        {
            headers = side.Hpack.Decode(block);
        }
        catch (HpackException e)
        {
            problem(streamId, "HPACK block unreadable", $"stream {streamId}: the {(side.ToServer ? "request" : "response")} header block cannot be decoded ({e.Message}); later blocks are read where they do not depend on it", frame);
            if (side.ToServer && promised is null && !_streams.ContainsKey(streamId))
                problem(streamId, "HTTP/2 request without headers", $"stream {streamId}: request skipped, its headers are unreadable", frame);
            if (_streams.TryGetValue(streamId, out var damaged)) damaged.Damaged = true;
            return;
        }
        if (promised is { } id)
        {
            // PUSH_PROMISE: the server's own request, answered on the promised stream.
            Open(id, frame, headers, requestEnded: true);
            return;
        }
        if (side.ToServer)
        {
            if (!_streams.TryGetValue(streamId, out var stream))
            {
                stream = Open(streamId, frame, headers, requestEnded: false);
            }
            else
            {
                stream.RequestTrailers = true;
            }
            Count(stream, side, 9 + block.Length, frame);
            if (endStream) Ended(stream, side, frame);
            return;
        }
        if (!_streams.TryGetValue(streamId, out var answered)) return;
        Count(answered, side, 9 + block.Length, frame);
        var status = headers.FirstOrDefault(h => h.Name == ":status").Value;
        // Interim responses (1xx) precede the final one and are not kept (RFC 9113 section 8.1).
        if (answered.ResponseHeaders is null && status is { Length: 3 } && status[0] == '1' && !endStream) return;
        answered.ResponseHeaders ??= headers;
        if (endStream) Ended(answered, side, frame);
    }

    private H2Stream Open(int streamId, Frame frame, ImmutableArray<HttpHeader> headers, bool requestEnded)
    {
        if (_streams.Count >= MaxOpenStreams)
        {
            var oldest = _streams.Values.First();
            problem(oldest.Id, "HTTP/2 open-stream limit", $"more than {MaxOpenStreams} streams open at once; stream {oldest.Id} was published as far as it got", frame);
            Complete(oldest, "too many streams open at once", frame);
        }
        var stream = new H2Stream(streamId, takeOrdinal(), frame) { RequestHeaders = headers, RequestEnded = requestEnded };
        _streams[streamId] = stream;
        return stream;
    }

    private static void Count(H2Stream stream, Direction side, long bytes, Frame frame)
    {
        if (side.ToServer) stream.RequestBytes += bytes;
        else stream.ResponseBytes += bytes;
        stream.LastFrame = frame;
    }

    private void Ended(H2Stream stream, Direction side, Frame frame)
    {
        if (side.ToServer) stream.RequestEnded = true;
        else stream.ResponseEnded = true;
        if (stream.RequestEnded && stream.ResponseEnded) Complete(stream, null, frame);
    }

    private void Complete(H2Stream stream, string? incomplete, Frame frame)
    {
        _streams.Remove(stream.Id);
        StreamsRead++;
        if (stream.Gapped) incomplete ??= GapReason;
        if (stream.Cut) incomplete ??= $"body over the {maxBodyBytes}-byte limit";
        if (stream.Damaged) incomplete ??= "a header block could not be decoded";
        if (incomplete is null && !(stream.RequestEnded && stream.ResponseEnded)) incomplete = "the stream did not end";
        emit(new Http2Exchange
        {
            Ordinal = stream.Ordinal,
            StreamId = stream.Id,
            RequestHeaders = stream.RequestHeaders,
            RequestBody = stream.RequestBody.Written.ToArray(),
            RequestBytes = stream.RequestBytes,
            ResponseHeaders = stream.ResponseHeaders,
            ResponseBody = stream.ResponseBody.Written.ToArray(),
            ResponseBytes = stream.ResponseBytes,
            FirstFrame = stream.FirstFrame,
            LastFrame = stream.LastFrame ?? frame,
            Incomplete = incomplete,
        });
        stream.RequestBody.Clear();
        stream.ResponseBody.Clear();
    }

    // RFC 9113 section 7.
    private static string ErrorName(uint code) => code switch
    {
        0 => "NO_ERROR",
        1 => "PROTOCOL_ERROR",
        2 => "INTERNAL_ERROR",
        3 => "FLOW_CONTROL_ERROR",
        4 => "SETTINGS_TIMEOUT",
        5 => "STREAM_CLOSED",
        6 => "FRAME_SIZE_ERROR",
        7 => "REFUSED_STREAM",
        8 => "CANCEL",
        9 => "COMPRESSION_ERROR",
        10 => "CONNECT_ERROR",
        11 => "ENHANCE_YOUR_CALM",
        12 => "INADEQUATE_SECURITY",
        13 => "HTTP_1_1_REQUIRED",
        _ => $"error 0x{code:x}",
    };

    private sealed class Direction(bool toServer)
    {
        public bool ToServer { get; } = toServer;
        public int PrefaceLeft { get; set; } = toServer ? Preface.Length : 0;
        public bool Dead { get; set; }
        /// <summary>Framing lost with bytes that never came: frames are being looked for.</summary>
        public bool Lost { get; set; }
        /// <summary>The next frame header follows a record stepped over and must read as one.</summary>
        public bool Verify { get; set; }
        /// <summary>Bytes lost inside a frame's payload, while it is not yet known how many application bytes they held.</summary>
        public long? Suspended { get; set; }
        /// <summary>The frame being read lost bytes: it is skipped when it ends.</summary>
        public bool Holed { get; set; }
        public byte[] Header { get; } = new byte[9];
        public int HeaderFill { get; set; }
        public int Needed { get; set; }
        public PooledBytes Payload { get; } = new();
        public HpackDecoder Hpack { get; } = new();
        public int? BlockStream { get; set; }
        public int? BlockPromised { get; set; }
        public bool BlockEndStream { get; set; }
        public PooledBytes Block { get; } = new();
        public uint HighestStream { get; set; }
    }

    private sealed class H2Stream(int id, int ordinal, Frame first)
    {
        public int Id { get; } = id;
        public int Ordinal { get; } = ordinal;
        public Frame FirstFrame { get; } = first;
        public Frame? LastFrame { get; set; }
        public ImmutableArray<HttpHeader> RequestHeaders { get; init; }
        public bool RequestTrailers { get; set; }
        public PooledBytes RequestBody { get; } = new();
        public long RequestBytes { get; set; }
        public bool RequestEnded { get; set; }
        public ImmutableArray<HttpHeader>? ResponseHeaders { get; set; }
        public PooledBytes ResponseBody { get; } = new();
        public long ResponseBytes { get; set; }
        public bool ResponseEnded { get; set; }
        public bool Cut { get; set; }
        public bool Damaged { get; set; }
        /// <summary>Bytes of this stream were lost with a gap.</summary>
        public bool Gapped { get; set; }
    }
}
