using System.Buffers;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Bytes gathered across packets (a head or body split over segments) in an array rented from the shared
/// pool, and given back when cleared: open flows hold memory only while a message is half read.
/// </summary>
internal sealed class PooledBytes
{
    private byte[] _array = [];

    public int Count { get; private set; }

    /// <summary>The bytes gathered; valid until the next <see cref="Append"/> or <see cref="Clear"/>.</summary>
    public ReadOnlySpan<byte> Written => _array.AsSpan(0, Count);

    public void Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > _array.Length - Count)
        {
            var bigger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, Math.Max((long)Count + bytes.Length, 2L * _array.Length)));
            Written.CopyTo(bigger);
            if (_array.Length > 0) ArrayPool<byte>.Shared.Return(_array);
            _array = bigger;
        }
        bytes.CopyTo(_array.AsSpan(Count));
        Count += bytes.Length;
    }

    public void Clear()
    {
        if (_array.Length > 0) ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        Count = 0;
    }
}
