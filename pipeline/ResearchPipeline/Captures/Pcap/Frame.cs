namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// One captured packet as the container stored it. <see cref="OriginalLength"/> is the length on the wire;
/// a shorter <see cref="Data"/> means the capture tool cut the packet at its snap length.
/// </summary>
internal sealed record Frame(long Index, DateTimeOffset? TimeUtc, int LinkType, ReadOnlyMemory<byte> Data, long OriginalLength, long Offset)
{
    public bool IsCut => Data.Length < OriginalLength;
    public string Location => $"packet {Index} at byte {Offset}";
}

/// <summary>What a container reader hands to the packet pipeline: a frame, or a record of its own (a problem, secrets).</summary>
internal readonly record struct ContainerItem(Frame? Frame, CaptureRecord? Record)
{
    public static implicit operator ContainerItem(Frame frame) => new(frame, null);
    public static ContainerItem Of(CaptureRecord record) => new(null, record);
}
