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
}
