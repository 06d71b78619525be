namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Reads a packet capture (the container is the subclass's business) through the shared packet pipeline.
/// Damage anywhere becomes a quality record; records read before it are kept.
/// </summary>
public abstract class PacketCaptureReader : ICaptureReader
{
    public abstract string Format { get; }

    public abstract bool Recognises(ReadOnlySpan<byte> head);

    private protected abstract IEnumerable<ContainerItem> Container(Stream input);

    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits)
    {
        var pipeline = new PacketPipeline(limits);
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
}
