using System.Buffers;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Forward-only reads from a capture stream, counting the byte offset so that container readers can say exactly
/// where a file ends short. The stream is read in large chunks into one pooled buffer (large enough that a
/// FileStream hands its reads straight through, without a buffer of its own), and packets are handed out as
/// slices of it rather than copies. A file already held whole in memory is read in place.
/// </summary>
internal sealed class ContainerInput : IDisposable
{
    private const int ChunkBytes = 256 * 1024;

    private readonly Stream? _stream;
    private byte[] _buffer;
    private readonly ReadOnlyMemory<byte> _whole;
    private int _start;
    private int _end;
    private bool _endOfStream;

    public ContainerInput(Stream stream)
    {
        _stream = stream;
        _buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
    }

    /// <summary>Reads <paramref name="whole"/> in place; its owner keeps it alive until reading ends.</summary>
    public ContainerInput(ReadOnlyMemory<byte> whole)
    {
        _buffer = [];
        _whole = whole;
        _end = whole.Length;
        _endOfStream = true;
    }

    public long Offset { get; private set; }

    /// <summary>Copies up to <paramref name="destination"/>'s length; fewer bytes only at the end of the file.</summary>
    public int Read(Span<byte> destination)
    {
        var bytes = Take(destination.Length).Span;
        bytes.CopyTo(destination);
        return bytes.Length;
    }

    /// <summary>
    /// The next <paramref name="count"/> bytes (fewer only at the end of the file), valid until the next read:
    /// whoever keeps them longer copies them.
    /// </summary>
    public ReadOnlyMemory<byte> Take(int count)
    {
        if (_end - _start < count && _stream is not null) Fill(count);
        var n = Math.Min(count, _end - _start);
        var bytes = _stream is null ? _whole.Slice(_start, n) : _buffer.AsMemory(_start, n);
        _start += n;
        Offset += n;
        return bytes;
    }

    /// <summary>Passes over up to <paramref name="count"/> bytes without holding them; fewer only at the end of the file.</summary>
    public long Skip(long count)
    {
        var held = Math.Min(count, _end - _start);
        _start += (int)held;
        Offset += held;
        var skipped = held;
        if (skipped >= count || _stream is null || _endOfStream) return skipped;
        if (_stream.CanSeek)
        {
            var ahead = Math.Min(count - skipped, Math.Max(0, _stream.Length - _stream.Position));
            _stream.Seek(ahead, SeekOrigin.Current);
            Offset += ahead;
            return skipped + ahead;
        }
        // Read and let go, a chunk at a time (Take counts the offset).
        while (skipped < count && Take((int)Math.Min(count - skipped, ChunkBytes)).Length is var n and > 0) skipped += n;
        return skipped;
    }

    private void Fill(int count)
    {
        var held = _end - _start;
        // A damaged length asks for more than the file holds: the buffer grows no larger than what is left of it.
        if (_stream!.CanSeek) count = (int)Math.Min(count, held + Math.Max(0, _stream.Length - _stream.Position));
        if (count > _buffer.Length)
        {
            // Beyond a chunk, the buffer is the block's own and not the pool's: a pool keeps what it is given back
            // (a 37 MB secrets block, a long key log's, would be rented as 64 MB and kept).
            var bigger = count > ChunkBytes ? new byte[count] : ArrayPool<byte>.Shared.Rent(count);
            _buffer.AsSpan(_start, held).CopyTo(bigger);
            Release(_buffer);
            _buffer = bigger;
        }
        else if (_buffer.Length > ChunkBytes && Math.Max(count, held) <= ChunkBytes)
        {
            // After a large block, the rest of the file is read in chunks again rather than into a buffer of its size.
            var smaller = ArrayPool<byte>.Shared.Rent(ChunkBytes);
            _buffer.AsSpan(_start, held).CopyTo(smaller);
            Release(_buffer);
            _buffer = smaller;
        }
        else
        {
            _buffer.AsSpan(_start, held).CopyTo(_buffer);
        }
        _start = 0;
        _end = held;
        while (_end < count && !_endOfStream)
        {
            var n = _stream!.Read(_buffer.AsSpan(_end));
            if (n == 0) _endOfStream = true;
            _end += n;
        }
    }

    private static void Release(byte[] buffer)
    {
        if (buffer.Length is > 0 and <= ChunkBytes) ArrayPool<byte>.Shared.Return(buffer);
    }

    public void Dispose()
    {
        if (_buffer.Length == 0) return;
        Release(_buffer);
        _buffer = [];
    }
}
