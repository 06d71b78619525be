using System.Buffers.Binary;

namespace ResearchPipeline.Captures.Pcap;

internal enum Transport : byte
{
    Tcp = 6,
    Udp = 17,
}

[Flags]
internal enum TcpFlags : byte
{
    None = 0,
    Fin = 0x01,
    Syn = 0x02,
    Rst = 0x04,
    Psh = 0x08,
    Ack = 0x10,
}

/// <summary>
/// A TCP or UDP segment lifted out of a frame. <see cref="MissingBytes"/> counts payload bytes that were on
/// the wire but not in the file (the frame was cut at the snap length).
/// </summary>
internal readonly record struct Segment(Transport Transport, Endpoint Source, Endpoint Destination, TcpFlags Flags, uint Sequence, ReadOnlyMemory<byte> Payload, int MissingBytes);

/// <summary>Why a frame yielded no segment: traffic we do not read (ARP, ICMP), or damage worth a quality row.</summary>
internal readonly record struct DecodeOutcome(Segment? Segment, string? Skipped, string? Damage)
{
    public static DecodeOutcome Skip(string what) => new(null, what, null);
    public static DecodeOutcome Damaged(string why) => new(null, null, why);
}

/// <summary>Link layer, IP and transport headers, for the link types packet captures of apps come in.</summary>
internal static class PacketDecoder
{
    public const int Null = 0;
    public const int Ethernet = 1;
    public const int Raw = 101;
    public const int LinuxSll = 113;
    public const int Loop = 108;
    public const int Ipv4 = 228;
    public const int Ipv6 = 229;
    public const int LinuxSll2 = 276;

    public static DecodeOutcome Decode(Frame frame, ReadOnlyMemory<byte> data)
    {
        var missing = (int)Math.Min(int.MaxValue, frame.OriginalLength - data.Length);
        int offset;
        int etherType;
        switch (frame.LinkType)
        {
            case Ethernet:
                if (data.Length < 14) return DecodeOutcome.Damaged("Ethernet frame shorter than its 14-byte header");
                offset = 12;
                etherType = BinaryPrimitives.ReadUInt16BigEndian(data.Span[offset..]);
                offset += 2;
                // 802.1Q / 802.1ad tags, possibly stacked (QinQ).
                while (etherType is 0x8100 or 0x88A8 or 0x9100)
                {
                    if (data.Length < offset + 4) return DecodeOutcome.Damaged("VLAN tag cut short");
                    etherType = BinaryPrimitives.ReadUInt16BigEndian(data.Span[(offset + 2)..]);
                    offset += 4;
                }
                break;
            case LinuxSll:
                if (data.Length < 16) return DecodeOutcome.Damaged("Linux cooked (SLL) header cut short");
                etherType = BinaryPrimitives.ReadUInt16BigEndian(data.Span[14..]);
                offset = 16;
                break;
            case LinuxSll2:
                if (data.Length < 20) return DecodeOutcome.Damaged("Linux cooked v2 (SLL2) header cut short");
                etherType = BinaryPrimitives.ReadUInt16BigEndian(data.Span);
                offset = 20;
                break;
            case Null:
            case Loop:
            {
                if (data.Length < 4) return DecodeOutcome.Damaged("loopback header cut short");
                // DLT_NULL stores the address family in the writer's byte order, DLT_LOOP in network order;
                // AF_INET6 is 10 on Linux, 24/28/30 on the BSDs and macOS (pcap-linktype(7)).
                var family = frame.LinkType == Loop ? BinaryPrimitives.ReadUInt32BigEndian(data.Span) : BinaryPrimitives.ReadUInt32LittleEndian(data.Span);
                if (frame.LinkType == Null && family > 0xFFFF) family = BinaryPrimitives.ReadUInt32BigEndian(data.Span);
                etherType = family switch { 2 => 0x0800, 10 or 24 or 28 or 30 => 0x86DD, _ => -1 };
                if (etherType < 0) return DecodeOutcome.Skip($"loopback family {family}");
                offset = 4;
                break;
            }
            case Raw:
            case 12:
            case 14:
            case Ipv4:
            case Ipv6:
                if (data.Length < 1) return DecodeOutcome.Damaged("raw IP packet is empty");
                etherType = (data.Span[0] >> 4) switch { 4 => 0x0800, 6 => 0x86DD, _ => -1 };
                if (etherType < 0) return DecodeOutcome.Damaged($"raw IP packet has IP version {data.Span[0] >> 4}");
                offset = 0;
                break;
            default:
                return DecodeOutcome.Skip($"link type {frame.LinkType}");
        }
        return etherType switch
        {
            0x0800 => DecodeIpv4(data[offset..], missing),
            0x86DD => DecodeIpv6(data[offset..], missing),
            _ => DecodeOutcome.Skip($"ethertype 0x{etherType:x4}"),
        };
    }

    private static DecodeOutcome DecodeIpv4(ReadOnlyMemory<byte> ip, int missing)
    {
        var s = ip.Span;
        if (s.Length < 20) return DecodeOutcome.Damaged("IPv4 header cut short");
        if (s[0] >> 4 != 4) return DecodeOutcome.Damaged($"IPv4 packet has version {s[0] >> 4}");
        var headerLength = (s[0] & 0x0F) * 4;
        var total = BinaryPrimitives.ReadUInt16BigEndian(s[2..]);
        if (headerLength < 20 || s.Length < headerLength) return DecodeOutcome.Damaged($"IPv4 header length {headerLength} is not valid");
        // TCP segmentation offload writes total length 0 for large packets captured on the sending host.
        if (total == 0) total = (ushort)Math.Min(ushort.MaxValue, s.Length + missing);
        if (total < headerLength) return DecodeOutcome.Damaged($"IPv4 total length {total} is below its header length");
        var flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(s[6..]);
        if ((flagsAndOffset & 0x3FFF) != 0) return DecodeOutcome.Skip("IPv4 fragment (not reassembled)");
        var src = IpAddr.V4(s[12..]);
        var dst = IpAddr.V4(s[16..]);
        return DecodeTransport(s[9], src, dst, Payload(ip, headerLength, total, ref missing), missing);
    }

    private static DecodeOutcome DecodeIpv6(ReadOnlyMemory<byte> ip, int missing)
    {
        var s = ip.Span;
        if (s.Length < 40) return DecodeOutcome.Damaged("IPv6 header cut short");
        if (s[0] >> 4 != 6) return DecodeOutcome.Damaged($"IPv6 packet has version {s[0] >> 4}");
        var total = 40 + BinaryPrimitives.ReadUInt16BigEndian(s[4..]);
        var next = s[6];
        var src = IpAddr.V6(s[8..]);
        var dst = IpAddr.V6(s[24..]);
        var offset = 40;
        // Extension headers: hop-by-hop, routing, destination options; fragments are not reassembled.
        while (next is 0 or 43 or 60 or 44)
        {
            if (s.Length < offset + 8) return DecodeOutcome.Damaged("IPv6 extension header cut short");
            if (next == 44) return DecodeOutcome.Skip("IPv6 fragment (not reassembled)");
            var length = (s[offset + 1] + 1) * 8;
            next = s[offset];
            offset += length;
        }
        if (offset > total) return DecodeOutcome.Damaged("IPv6 extension headers run past the payload length");
        return DecodeTransport(next, src, dst, Payload(ip, offset, total, ref missing), missing);
    }

    /// <summary>The IP payload: Ethernet padding beyond the IP length is dropped; a shortfall is snap-length loss.</summary>
    private static ReadOnlyMemory<byte> Payload(ReadOnlyMemory<byte> ip, int headerLength, int total, ref int missing)
    {
        if (ip.Length >= total)
        {
            missing = 0;
            return ip[headerLength..total];
        }
        missing = total - ip.Length;
        return headerLength <= ip.Length ? ip[headerLength..] : ReadOnlyMemory<byte>.Empty;
    }

    private static DecodeOutcome DecodeTransport(byte protocol, IpAddr src, IpAddr dst, ReadOnlyMemory<byte> payload, int missing)
    {
        var s = payload.Span;
        switch (protocol)
        {
            case 6:
            {
                if (s.Length < 20) return missing > 0 ? DecodeOutcome.Damaged("TCP header cut by the snap length") : DecodeOutcome.Damaged("TCP header cut short");
                var dataOffset = (s[12] >> 4) * 4;
                if (dataOffset < 20) return DecodeOutcome.Damaged($"TCP data offset {dataOffset} is not valid");
                if (s.Length < dataOffset) return DecodeOutcome.Damaged(missing > 0 ? "TCP options cut by the snap length" : "TCP header runs past the packet");
                return new DecodeOutcome(new Segment(
                    Transport.Tcp,
                    new Endpoint(src, BinaryPrimitives.ReadUInt16BigEndian(s)),
                    new Endpoint(dst, BinaryPrimitives.ReadUInt16BigEndian(s[2..])),
                    (TcpFlags)(s[13] & 0x1F),
                    BinaryPrimitives.ReadUInt32BigEndian(s[4..]),
                    payload[dataOffset..],
                    missing), null, null);
            }
            case 17:
            {
                if (s.Length < 8) return DecodeOutcome.Damaged(missing > 0 ? "UDP header cut by the snap length" : "UDP header cut short");
                var length = BinaryPrimitives.ReadUInt16BigEndian(s[4..]);
                var data = payload[8..];
                if (length >= 8 && length - 8 < data.Length) data = data[..(length - 8)];
                return new DecodeOutcome(new Segment(
                    Transport.Udp,
                    new Endpoint(src, BinaryPrimitives.ReadUInt16BigEndian(s)),
                    new Endpoint(dst, BinaryPrimitives.ReadUInt16BigEndian(s[2..])),
                    TcpFlags.None,
                    0,
                    data,
                    missing), null, null);
            }
            default:
                return DecodeOutcome.Skip(protocol switch { 1 => "ICMP", 58 => "ICMPv6", 2 => "IGMP", _ => $"IP protocol {protocol}" });
        }
    }
}
