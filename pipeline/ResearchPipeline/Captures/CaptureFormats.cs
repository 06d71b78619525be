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
        for (var i = 0; i < _readers.Count; i++)
        {
            if (_readers[i].Recognises(head)) return _readers[i];
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
        int n;
        if (stream is FileStream { CanSeek: true } file)
        {
            // Read from the file handle, past the stream's buffer: a reader that reads the file whole the same way
            // (a packet capture) then never has the buffer allocated, nor the file's first bytes copied twice.
            n = 0;
            var at = file.Position;
            while (n < head.Length)
            {
                var read = RandomAccess.Read(file.SafeFileHandle, head[n..], at + n);
                if (read == 0) break;
                n += read;
            }
            file.Position = at + n;
        }
        else
        {
            n = stream.ReadAtLeast(head, HeadBytes, throwOnEndOfStream: false);
        }
        return Detect(head[..n]);
    }
}
