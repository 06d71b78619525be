using System.Buffers.Binary;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// The classic libpcap file: a 24-byte header, then records of a 16-byte header and the packet bytes.
/// The magic number gives both the byte order of the writer and the time resolution (micro or nano seconds).
/// </summary>
internal static class PcapContainer
{
    public const uint MagicMicro = 0xA1B2C3D4;
    public const uint MagicNano = 0xA1B23C4D;

    // No real capture has a record larger than the largest snap length tools use (256 KiB); a length field
    // beyond this is damage, and trusting it would swallow the rest of the file.
    private const int MaxRecordLength = 1 << 20;

    public static bool Recognises(ReadOnlySpan<byte> head)
    {
        if (head.Length < 4) return false;
        var le = BinaryPrimitives.ReadUInt32LittleEndian(head);
        var be = BinaryPrimitives.ReadUInt32BigEndian(head);
        return le is MagicMicro or MagicNano || be is MagicMicro or MagicNano;
    }

    public static IEnumerable<ContainerItem> Read(Stream stream) => Read(new ContainerInput(stream));

    /// <summary>Reads the records <paramref name="input"/> holds, and disposes of it when done.</summary>
    public static IEnumerable<ContainerItem> Read(ContainerInput input)
    {
        using var _ = input;
        var header = new byte[24];
        var n = input.Read(header);
        if (n < 24)
        {
            yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"file ends inside the 24-byte pcap header ({n} bytes)", "byte 0"));
            yield break;
        }
        var bigEndian = BinaryPrimitives.ReadUInt32BigEndian(header) is MagicMicro or MagicNano;
        var magic = bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(header) : BinaryPrimitives.ReadUInt32LittleEndian(header);
        var nano = magic == MagicNano;
        var major = U16(header.AsSpan(4), bigEndian);
        var minor = U16(header.AsSpan(6), bigEndian);
        // The top bits of the link-type field carry FCS information (pcap spec, "LinkType and additional information").
        var linkType = (int)(U32(header.AsSpan(20), bigEndian) & 0xFFFF);
        yield return ContainerItem.Of(new CreatorFound("pcap", $"{major}.{minor}{(nano ? " nanosecond" : "")}{(bigEndian ? " big-endian" : "")}"));

        long index = 0;
        while (true)
        {
            var offset = input.Offset;
            var recordHeader = input.Take(16).Span;
            n = recordHeader.Length;
            if (n == 0) yield break;
            if (n < 16)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"file ends inside the record header of packet {index} ({n} of 16 bytes)", $"packet {index} at byte {offset}"));
                yield break;
            }
            var seconds = U32(recordHeader, bigEndian);
            var fraction = U32(recordHeader[4..], bigEndian);
            var included = U32(recordHeader[8..], bigEndian);
            var original = U32(recordHeader[12..], bigEndian);
            if (included > MaxRecordLength)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"record length {included} is not plausible (over {MaxRecordLength}); the rest of the file cannot be framed and was not read", $"packet {index} at byte {offset}"));
                yield break;
            }
            // The pipeline is done with a packet's bytes before it asks for the next: they are not copied.
            var data = input.Take((int)included);
            var got = data.Length;
            var ticks = (Int128)seconds * 10_000_000 + (nano ? fraction / 100 : (Int128)fraction * 10);
            var frame = new Frame(index, CaptureClock.FromUnixTicks(ticks), linkType, got, Math.Max(original, got), offset);
            var packet = ContainerItem.Packet(frame, data);
            if (got < included)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"file ends inside packet {index}: {got} of {included} bytes; the bytes present were read", frame.Location));
                if (got > 0) yield return packet;
                yield break;
            }
            yield return packet;
            index++;
        }
    }

    private static ushort U16(ReadOnlySpan<byte> s, bool be) => be ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    private static uint U32(ReadOnlySpan<byte> s, bool be) => be ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
