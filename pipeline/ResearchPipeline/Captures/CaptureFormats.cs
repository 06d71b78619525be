using ResearchPipeline.Captures.Har;
using ResearchPipeline.Captures.Mitmproxy;
using ResearchPipeline.Captures.Pcap;

namespace ResearchPipeline.Captures;

/// <summary>The capture formats the parse stage reads, detected from a file's first bytes.</summary>
public sealed class CaptureFormats
{
    public const int HeadBytes = 4096;
    private readonly IReadOnlyList<ICaptureReader> _readers;

    public CaptureFormats(IEnumerable<ICaptureReader> readers) => _readers = readers.ToList();

    public static CaptureFormats All { get; } = new([new HarReader(), new MitmproxyReader(), new PcapReader(), new PcapNgReader()]);

    public ICaptureReader? Detect(ReadOnlySpan<byte> head)
    {
        foreach (var reader in _readers)
        {
            if (reader.Recognises(head)) return reader;
        }
        return null;
    }

    public ICaptureReader? Detect(string path)
    {
        using var stream = File.OpenRead(path);
        return Detect(stream);
    }

    /// <summary>Detects from the stream's first bytes, read from where it stands; the caller rewinds it to read it.</summary>
    public ICaptureReader? Detect(Stream stream)
    {
        Span<byte> head = stackalloc byte[HeadBytes];
        var n = stream.ReadAtLeast(head, HeadBytes, throwOnEndOfStream: false);
        return Detect(head[..n]);
    }
}
