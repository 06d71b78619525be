namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Forward-only reads of fixed-size pieces from a capture stream, counting the byte offset, so that container
/// readers can say exactly where a file ends short.
/// </summary>
internal sealed class ContainerInput(Stream stream)
{
    public long Offset { get; private set; }

    /// <summary>Reads up to <paramref name="buffer"/>'s length; fewer bytes only at the end of the file.</summary>
    public int Read(Span<byte> buffer)
    {
        var n = stream.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
        Offset += n;
        return n;
    }

    /// <summary>Skips forward; returns the bytes actually skipped (fewer at the end of the file).</summary>
    public long Skip(long count)
    {
        if (count <= 0) return 0;
        var scratch = new byte[(int)Math.Min(count, 1 << 16)];
        long skipped = 0;
        while (skipped < count)
        {
            var n = Read(scratch.AsSpan(0, (int)Math.Min(scratch.Length, count - skipped)));
            if (n == 0) break;
            skipped += n;
        }
        return skipped;
    }
}
