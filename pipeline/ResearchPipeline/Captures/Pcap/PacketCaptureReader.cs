using ResearchPipeline.Captures.Pcap.Tls;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Reads a packet capture (the container is the subclass's business) through the shared packet pipeline.
/// Damage anywhere becomes a quality record; records read before it are kept. TLS is decrypted with the key
/// logs kept beside the capture file (<c>session.keylog</c> beside <c>session.pcapng</c>, see
/// <see cref="TlsKeyLog.BesideCapture"/>) and the capture's own Decryption Secrets Blocks, wherever they lie.
/// </summary>
public abstract class PacketCaptureReader : ICaptureReader
{
    public abstract string Format { get; }

    public abstract bool Recognises(ReadOnlySpan<byte> head);

    private protected abstract IEnumerable<ContainerItem> Container(Stream input);

    private protected virtual void SecretsAhead(Stream input, TlsKeyLog keys)
    {
    }

    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits) => Read(input, limits, null);

    /// <summary>Reads with <paramref name="keys"/> besides the key logs found beside the file the stream reads.</summary>
    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits, TlsKeyLog? keys)
    {
        keys ??= new TlsKeyLog();
        var problems = new List<CaptureRecord>();
        if (input is FileStream file)
        {
            foreach (var path in TlsKeyLog.BesideCapture(file.Name))
            {
                var before = (keys.SecretLines, keys.UnreadableLines);
                try
                {
                    keys.Add(File.ReadAllBytes(path));
                    problems.Add(new CaptureProblem(keys.UnreadableLines > before.UnreadableLines ? Severity.Warning : Severity.Info,
                        $"key log {Path.GetFileName(path)} read: {keys.SecretLines - before.SecretLines} TLS secrets{(keys.UnreadableLines > before.UnreadableLines ? $", {keys.UnreadableLines - before.UnreadableLines} lines not in the NSS key log format skipped" : "")}", Path.GetFileName(path)));
                }
                catch (IOException e)
                {
                    problems.Add(new CaptureProblem(Severity.Warning, $"key log {Path.GetFileName(path)} could not be read: {e.Message}", Path.GetFileName(path)));
                }
            }
        }
        if (input.CanSeek)
        {
            try
            {
                SecretsAhead(input, keys);
            }
            catch (IOException)
            {
                // The pass over the file proper reports damage where it lies.
            }
        }
        foreach (var p in problems) yield return p;
        var pipeline = new PacketPipeline(limits, keys);
        foreach (var item in Container(input))
        {
            var failure = Process(pipeline, item);
            if (failure is not null) pipeline.Emit(failure);
            while (pipeline.TryTake(out var record)) yield return record;
        }
        var last = Finish(pipeline);
        if (last is not null) pipeline.Emit(last);
        while (pipeline.TryTake(out var record)) yield return record;
    }

    // A defect in one packet's parsing must cost that packet, not the capture: the reader promises never to throw.
    private static CaptureProblem? Process(PacketPipeline pipeline, ContainerItem item)
    {
        try
        {
            pipeline.Process(item);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Unreadable(e, item.Frame?.Location ?? "container");
        }
    }

    private static CaptureProblem? Finish(PacketPipeline pipeline)
    {
        try
        {
            pipeline.Finish();
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Unreadable(e, "end of capture");
        }
    }

    private static CaptureProblem Unreadable(Exception e, string location) =>
        new(Severity.Error, $"packet could not be read: {e.GetType().Name}: {e.Message}", location);
}

/// <summary>libpcap files, either byte order, micro- or nanosecond timestamps.</summary>
public sealed class PcapReader : PacketCaptureReader
{
    public override string Format => "pcap";
    public override bool Recognises(ReadOnlySpan<byte> head) => PcapContainer.Recognises(head);
    private protected override IEnumerable<ContainerItem> Container(Stream input) => PcapContainer.Read(input);
}

/// <summary>pcapng files: any number of sections and interfaces, each section in its own byte order.</summary>
public sealed class PcapNgReader : PacketCaptureReader
{
    public override string Format => "pcapng";
    public override bool Recognises(ReadOnlySpan<byte> head) => PcapNgContainer.Recognises(head);
    private protected override IEnumerable<ContainerItem> Container(Stream input) => PcapNgContainer.Read(input);

    // Secrets blocks may follow the packets they decrypt (tools append them): they are gathered before reading.
    private protected override void SecretsAhead(Stream input, TlsKeyLog keys)
    {
        var start = input.Position;
        try
        {
            foreach (var secrets in PcapNgContainer.TlsSecrets(input)) keys.Add(secrets);
        }
        finally
        {
            input.Position = start;
        }
    }
}
