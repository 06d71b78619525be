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

    /// <summary>True when reading the capture also reads the TLS key logs beside its file (a packet capture's reader).</summary>
    bool ReadsKeyLogs => false;

    IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits);

    /// <summary>
    /// As <see cref="Read"/>, but where the format lets a record be read apart from the rest (a HAR's entry, once
    /// its bounds are found), the record may come as <see cref="RecordsToRead"/>, for the caller to read on
    /// another thread; the records come out the same, in the same order, once each is read.
    /// </summary>
    IEnumerable<CaptureRecord> ReadForWorkers(Stream input, ReadLimits limits) => Read(input, limits);
}
