namespace ResearchPipeline.Captures.Mitmproxy;

/// <summary>
/// Walks a mitmproxy flow file forward once: the file is tnetstrings written back to back, one per flow,
/// with no header. Hands out one top-level value at a time and buffers only that one; a value whose length
/// prefix is over the record limit is skipped without buffering it. A length prefix is never trusted: it is
/// checked against the limit and against the bytes the file really has.
/// </summary>
internal sealed class FlowFileScanner
{
    internal enum EventKind { Value, Oversized, Truncated, Invalid, End }

    /// <param name="Offset">Byte offset of the value's length prefix.</param>
    /// <param name="Payload">The value's payload (between prefix and tag), for <see cref="EventKind.Value"/>; valid until the next call of <see cref="Next"/>, which reuses its buffer.</param>
    internal readonly record struct ScanEvent(EventKind Kind, long Offset, ReadOnlyMemory<byte> Payload, byte Tag, long DeclaredLength, string Message);

    private const int InitialValueBuffer = 1 << 20;
    private readonly Stream _input;
    private readonly long _maxRecordBytes;
    private long _offset;
    private bool _done;
    private byte[] _buffer = [];

    public FlowFileScanner(Stream input, long maxRecordBytes)
    {
        _input = input;
        // A value is buffered in one array, so the limit can be no larger than an array.
        _maxRecordBytes = Math.Min(maxRecordBytes, Array.MaxLength - 1L);
    }

    public ScanEvent Next()
    {
        if (_done) return new ScanEvent(EventKind.End, _offset, default, 0, 0, "");
        var ev = Scan();
        if (ev.Kind is not (EventKind.Value or EventKind.Oversized)) _done = true;
        return ev;
    }

    private ScanEvent Scan()
    {
        int b;
        // Tolerate whitespace between flows (a file edited or concatenated by hand); mitmproxy writes none.
        do
        {
            b = _input.ReadByte();
            if (b < 0) return new ScanEvent(EventKind.End, _offset, default, 0, 0, "");
            _offset++;
        } while (b is ' ' or '\n' or '\r' or '\t');

        var start = _offset - 1;
        long length = 0;
        var digits = 0;
        while (b is >= '0' and <= '9')
        {
            if (++digits > TNetStringParser.MaxLengthDigits)
                return Invalid(start, $"length prefix has more than {TNetStringParser.MaxLengthDigits} digits");
            length = length * 10 + (b - '0');
            b = _input.ReadByte();
            if (b < 0) return Truncated(start, length, 0, "file ends inside a length prefix");
            _offset++;
        }
        if (digits == 0 || b != ':')
            return Invalid(start, $"expected a tnetstring length prefix, found byte 0x{b:x2}");

        if (length + 1 > _maxRecordBytes) return SkipOversized(start, length);

        var (buffer, read) = ReadValue(length + 1);
        _offset += read;
        if (read < length + 1)
            return Truncated(start, length, read, $"file ends inside a value: its prefix declares {length} bytes, {read} follow");
        return new ScanEvent(EventKind.Value, start, buffer.AsMemory(0, (int)length), buffer[length], length, "");
    }

    /// <summary>
    /// Reads <paramref name="total"/> bytes into the buffer of the previous value where it is large enough, else
    /// into a new one grown as bytes really arrive, so that a damaged prefix near the limit at the end of a small
    /// file does not allocate what it claims.
    /// </summary>
    private (byte[] Buffer, int Read) ReadValue(long total)
    {
        var size = (int)Math.Min(total, InitialValueBuffer);
        if (_input.CanSeek) size = (int)Math.Min(total, Math.Max(0, _input.Length - _input.Position) + 1);
        var buffer = _buffer.Length >= size ? _buffer : new byte[size];
        var read = 0;
        while (read < total)
        {
            if (read == buffer.Length) Array.Resize(ref buffer, (int)Math.Min(total, (long)buffer.Length * 2));
            var n = _input.Read(buffer, read, (int)Math.Min(buffer.Length - read, total - read));
            if (n == 0) break;
            read += n;
        }
        _buffer = buffer;
        return (buffer, read);
    }

    /// <summary>Discards the value in chunks, so a multi-gigabyte prefix (real or damaged) never becomes a buffer.</summary>
    private ScanEvent SkipOversized(long start, long length)
    {
        var remaining = length + 1;
        if (_input.CanSeek && _input.Length - _input.Position < remaining)
        {
            var present = _input.Length - _input.Position;
            _offset += present;
            return Truncated(start, length, present, $"length prefix declares {length} bytes, over the record limit of {_maxRecordBytes} bytes, and the file has only {present} left");
        }
        var scratch = new byte[64 * 1024];
        var tag = 0;
        while (remaining > 0)
        {
            var n = _input.Read(scratch, 0, (int)Math.Min(scratch.Length, remaining));
            if (n == 0)
            {
                var present = length + 1 - remaining;
                return Truncated(start, length, present, $"length prefix declares {length} bytes, over the record limit of {_maxRecordBytes} bytes, and the file ends after {present}");
            }
            _offset += n;
            remaining -= n;
            if (remaining == 0) tag = scratch[n - 1];
        }
        return new ScanEvent(EventKind.Oversized, start, default, (byte)tag, length, $"value of {length} bytes is larger than the record limit of {_maxRecordBytes} bytes");
    }

    private static ScanEvent Invalid(long at, string message) => new(EventKind.Invalid, at, default, 0, 0, message);

    private static ScanEvent Truncated(long at, long declared, long present, string message) => new(EventKind.Truncated, at, default, 0, declared, message);
}
