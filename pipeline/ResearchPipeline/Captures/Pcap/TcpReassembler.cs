namespace ResearchPipeline.Captures.Pcap;

/// <summary>Receives one direction of a TCP connection in stream order.</summary>
internal interface IStreamSink
{
    void Data(ReadOnlySpan<byte> bytes, Frame frame);

    /// <summary>Bytes of the stream that will never arrive (not captured, cut at the snap length, buffer given up).</summary>
    void Gap(long bytes, Frame frame);
}

/// <summary>
/// Puts one direction of a TCP connection back in order. Sequence numbers are unwrapped to 64-bit stream
/// offsets; retransmitted and overlapping bytes are delivered once (the first copy wins, as most stacks and
/// Wireshark do); segments ahead of a hole wait in a buffer of bounded size, and when it fills the hole is
/// given up as a gap so that memory stays bounded whatever the capture holds.
/// </summary>
internal sealed class TcpReassembler(IStreamSink sink, int maxBufferedBytes)
{
    // A segment further ahead than this is not a hole in this stream but a different stream (port reuse) or garbage.
    private const long MaxJump = 64L << 20;

    // Segments ahead of a hole, by stream offset; few at a time, and most directions never need any.
    private SortedList<long, (byte[] Data, int Missing)>? _pending;
    private bool _started;
    private uint _nextSequence;
    private long _nextOffset;
    private long _pendingBytes;

    public long RetransmittedBytes { get; private set; }
    public long GapBytes { get; private set; }
    public long DeliveredBytes { get; private set; }
    public bool FinSeen { get; private set; }
    public int Overflows { get; private set; }

    /// <summary>A SYN fixes the initial sequence number: the stream starts one past it.</summary>
    public void Syn(uint sequence)
    {
        if (_started) return;
        _started = true;
        _nextSequence = sequence + 1;
    }

    public void Segment(uint sequence, ReadOnlySpan<byte> payload, int missingBytes, bool fin, Frame frame)
    {
        if (fin) FinSeen = true;
        var length = (long)payload.Length + missingBytes;
        if (length == 0) return;
        if (!_started)
        {
            // The capture began mid-connection: the stream starts at the first byte we see.
            _started = true;
            _nextSequence = sequence;
        }
        var start = _nextOffset + (int)(sequence - _nextSequence);
        if (start - _nextOffset > MaxJump || _nextOffset - start > MaxJump)
        {
            Flush(frame);
            GapAt(start - _nextOffset, frame);
            start = _nextOffset;
        }
        var end = start + length;
        if (end <= _nextOffset)
        {
            RetransmittedBytes += length;
            return;
        }
        if (start > _nextOffset)
        {
            Hold(start, payload, missingBytes, frame);
            return;
        }
        if (start + payload.Length <= _nextOffset)
        {
            // Only the part lost to the snap length lies beyond what was delivered.
            GapAt(end - _nextOffset, frame);
        }
        else
        {
            var skip = (int)(_nextOffset - start);
            RetransmittedBytes += skip;
            Deliver(payload, skip, missingBytes, frame);
        }
        Drain(frame);
    }

    /// <summary>Hands out whatever waits behind a hole: at the end of the flow the hole will not be filled.</summary>
    public void Flush(Frame frame)
    {
        while (_pending is { Count: > 0 })
        {
            var firstKey = _pending.Keys[0];
            if (firstKey > _nextOffset) GapAt(firstKey - _nextOffset, frame);
            Drain(frame);
        }
    }

    private void Hold(long start, ReadOnlySpan<byte> payload, int missingBytes, Frame frame)
    {
        _pending ??= [];
        if (_pending.TryGetValue(start, out var existing))
        {
            if (existing.Data.Length + existing.Missing >= payload.Length + missingBytes)
            {
                RetransmittedBytes += payload.Length;
                return;
            }
            _pendingBytes -= existing.Data.Length;
        }
        // A segment cut at the snap length keeps the count of its lost tail, which becomes a gap when delivered.
        _pending[start] = (payload.ToArray(), missingBytes);
        _pendingBytes += payload.Length;
        if (_pendingBytes > maxBufferedBytes)
        {
            Overflows++;
            GapAt(_pending.Keys[0] - _nextOffset, frame);
            Drain(frame);
        }
    }

    private void Drain(Frame frame)
    {
        while (_pending is { Count: > 0 })
        {
            var firstKey = _pending.Keys[0];
            if (firstKey > _nextOffset) return;
            var (data, missing) = _pending.Values[0];
            _pending.RemoveAt(0);
            _pendingBytes -= data.Length;
            var end = firstKey + data.Length + missing;
            if (end <= _nextOffset)
            {
                RetransmittedBytes += data.Length;
                continue;
            }
            if (firstKey + data.Length <= _nextOffset)
            {
                GapAt(end - _nextOffset, frame);
                continue;
            }
            var skip = (int)(_nextOffset - firstKey);
            RetransmittedBytes += skip;
            Deliver(data, skip, missing, frame);
        }
    }

    private void Deliver(ReadOnlySpan<byte> payload, int skip, int missingBytes, Frame frame)
    {
        var data = payload[skip..];
        if (data.Length > 0)
        {
            sink.Data(data, frame);
            DeliveredBytes += data.Length;
            Advance(data.Length);
        }
        if (missingBytes > 0) GapAt(missingBytes, frame);
    }

    private void GapAt(long bytes, Frame frame)
    {
        if (bytes <= 0) return;
        sink.Gap(bytes, frame);
        GapBytes += bytes;
        Advance(bytes);
    }

    private void Advance(long bytes)
    {
        _nextOffset += bytes;
        _nextSequence = unchecked(_nextSequence + (uint)bytes);
    }
}
