namespace ResearchPipeline.Captures;

/// <summary>
/// Reads one capture format. Readers stream: they hand out records one at a time and never hold the whole
/// file, and they report damage as records instead of throwing, so that every good record is kept.
/// </summary>
public interface ICaptureReader
{
    /// <summary>The format name published in <c>captures.format</c> (har, mitmproxy, pcap, pcapng).</summary>
    string Format { get; }

    /// <summary>True when the first bytes of a file look like this format; file names are never trusted.</summary>
    bool Recognises(ReadOnlySpan<byte> head);

    IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits);
}
