namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// One captured packet as the container stored it, without its bytes: flows and messages keep frames to say
/// when and where they were seen, long after the bytes are gone. <see cref="OriginalLength"/> is the length on
/// the wire; a shorter <see cref="CapturedLength"/> means the capture tool cut the packet at its snap length.
/// </summary>
internal sealed record Frame(long Index, DateTimeOffset? TimeUtc, int LinkType, int CapturedLength, long OriginalLength, long Offset)
{
    public bool IsCut => CapturedLength < OriginalLength;
    public string Location => $"packet {Index} at byte {Offset}";
}

/// <summary>
/// What a container reader hands to the packet pipeline: a frame with its bytes, or a record of its own (a
/// problem, secrets). <see cref="Data"/> lies in the container's read buffer and is valid only until the next
/// item is asked for: whoever needs bytes longer copies them.
/// </summary>
internal readonly record struct ContainerItem(Frame? Frame, ReadOnlyMemory<byte> Data, CaptureRecord? Record)
{
    public static ContainerItem Packet(Frame frame, ReadOnlyMemory<byte> data) => new(frame, data, null);
    public static ContainerItem Of(CaptureRecord record) => new(null, ReadOnlyMemory<byte>.Empty, record);
}
