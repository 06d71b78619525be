using System.Buffers.Binary;
using System.Text;
using ResearchPipeline.Captures.Pcap;

namespace ResearchPipeline.Tests.Captures;

/// <summary>A packet for a test capture: link type, bytes, when, and its length on the wire.</summary>
internal sealed record TestPacket(int LinkType, byte[] Data, long Microseconds, int OriginalLength);

/// <summary>
/// Writes pcap and pcapng files in every byte order and resolution the readers must accept, and builds
/// Ethernet/IPv4/TCP/UDP frames, so that tests can re-encode real captures and stage damage exactly.
/// </summary>
internal static class CaptureBytes
{
    /// <summary>The packets of a real capture, as the container reader sees them.</summary>
    public static List<TestPacket> PacketsOf(string path)
    {
        using var stream = File.OpenRead(path);
        IEnumerable<ContainerItem> items = PcapNgContainer.Recognises(File.ReadAllBytes(path).AsSpan(0, 12)) ? PcapNgContainer.Read(stream) : PcapContainer.Read(stream);
        // An item's bytes are valid only until the next item is read: each is copied as it comes.
        return items.Where(i => i.Frame is not null)
            .Select(i => new TestPacket(i.Frame!.LinkType, i.Data.ToArray(), (i.Frame.TimeUtc!.Value - DateTimeOffset.UnixEpoch).Ticks / 10, (int)i.Frame.OriginalLength)).ToList();
    }

    public static byte[] Pcap(IEnumerable<TestPacket> packets, bool bigEndian = false, bool nano = false, int snapLength = 262144)
    {
        var list = packets.ToList();
        var ms = new MemoryStream();
        var h = new byte[24];
        U32(h, 0, nano ? 0xA1B23C4D : 0xA1B2C3D4, bigEndian);
        U16(h, 4, 2, bigEndian);
        U16(h, 6, 4, bigEndian);
        U32(h, 16, (uint)snapLength, bigEndian);
        U32(h, 20, (uint)(list.Count > 0 ? list[0].LinkType : 1), bigEndian);
        ms.Write(h);
        foreach (var p in list)
        {
            var data = p.Data.Length > snapLength ? p.Data[..snapLength] : p.Data;
            var r = new byte[16];
            U32(r, 0, (uint)(p.Microseconds / 1_000_000), bigEndian);
            U32(r, 4, (uint)(nano ? p.Microseconds % 1_000_000 * 1000 : p.Microseconds % 1_000_000), bigEndian);
            U32(r, 8, (uint)data.Length, bigEndian);
            U32(r, 12, (uint)Math.Max(p.OriginalLength, p.Data.Length), bigEndian);
            ms.Write(r);
            ms.Write(data);
        }
        return ms.ToArray();
    }

    /// <summary>
    /// A pcapng file; <paramref name="sectionOf"/> puts each packet in a section (a new section header whenever it
    /// changes, alternating byte order), <paramref name="resolution"/> is the interfaces' if_tsresol.
    /// </summary>
    public static byte[] PcapNg(IEnumerable<TestPacket> packets, Func<int, int>? sectionOf = null, byte resolution = 6, bool simple = false, byte[]? tlsKeyLog = null)
    {
        var ms = new MemoryStream();
        var section = -1;
        var i = 0;
        foreach (var p in packets)
        {
            var s = sectionOf?.Invoke(i) ?? 0;
            var bigEndian = s % 2 == 1;
            if (s != section)
            {
                section = s;
                Block(ms, 0x0A0D0D0A, bigEndian, body =>
                {
                    U32Into(body, 0x1A2B3C4D, bigEndian);
                    U16Into(body, 1, bigEndian);
                    U16Into(body, 0, bigEndian);
                    body.Write(Enumerable.Repeat((byte)0xFF, 8).ToArray());
                });
                Block(ms, 1, bigEndian, body =>
                {
                    U16Into(body, (ushort)p.LinkType, bigEndian);
                    U16Into(body, 0, bigEndian);
                    U32Into(body, 262144, bigEndian);
                    U16Into(body, 9, bigEndian);
                    U16Into(body, 1, bigEndian);
                    body.Write([resolution, 0, 0, 0]);
                    U32Into(body, 0, bigEndian);
                });
                if (tlsKeyLog is not null && i == 0)
                {
                    Block(ms, 0x0A, bigEndian, body =>
                    {
                        U32Into(body, 0x544C534B, bigEndian);
                        U32Into(body, (uint)tlsKeyLog.Length, bigEndian);
                        body.Write(tlsKeyLog);
                        body.Write(new byte[(4 - tlsKeyLog.Length % 4) % 4]);
                    });
                }
            }
            if (simple)
            {
                Block(ms, 3, bigEndian, body =>
                {
                    U32Into(body, (uint)p.OriginalLength, bigEndian);
                    body.Write(p.Data);
                    body.Write(new byte[(4 - p.Data.Length % 4) % 4]);
                });
            }
            else
            {
                var units = (resolution & 0x80) == 0
                    ? (ulong)(p.Microseconds * (decimal)Math.Pow(10, resolution - 6))
                    : (ulong)((decimal)p.Microseconds * (decimal)Math.Pow(2, resolution & 0x7F) / 1_000_000m);
                Block(ms, 6, bigEndian, body =>
                {
                    U32Into(body, 0, bigEndian);
                    U32Into(body, (uint)(units >> 32), bigEndian);
                    U32Into(body, (uint)units, bigEndian);
                    U32Into(body, (uint)p.Data.Length, bigEndian);
                    U32Into(body, (uint)p.OriginalLength, bigEndian);
                    body.Write(p.Data);
                    body.Write(new byte[(4 - p.Data.Length % 4) % 4]);
                });
            }
            i++;
        }
        return ms.ToArray();
    }

    private static void Block(MemoryStream ms, uint type, bool bigEndian, Action<MemoryStream> writeBody)
    {
        var body = new MemoryStream();
        writeBody(body);
        var bytes = body.ToArray();
        var length = (uint)(12 + bytes.Length);
        var head = new byte[8];
        if (type == 0x0A0D0D0A) BinaryPrimitives.WriteUInt32LittleEndian(head, type);
        else U32(head, 0, type, bigEndian);
        U32(head, 4, length, bigEndian);
        ms.Write(head);
        ms.Write(bytes);
        var tail = new byte[4];
        U32(tail, 0, length, bigEndian);
        ms.Write(tail);
    }

    // Frames: Ethernet II, IPv4, TCP or UDP, with the fields the readers look at.
    public static readonly byte[] ClientIp = [10, 0, 0, 2];
    public static readonly byte[] ServerIp = [93, 184, 216, 34];

    public static byte[] Tcp(byte[] src, ushort srcPort, byte[] dst, ushort dstPort, uint seq, byte flags, ReadOnlySpan<byte> payload)
    {
        var tcp = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), seq);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        payload.CopyTo(tcp.AsSpan(20));
        return Ethernet(Ipv4(src, dst, 6, tcp));
    }

    public static byte[] Udp(byte[] src, ushort srcPort, byte[] dst, ushort dstPort, ReadOnlySpan<byte> payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp.AsSpan(8));
        return Ethernet(Ipv4(src, dst, 17, udp));
    }

    private static byte[] Ipv4(byte[] src, byte[] dst, byte protocol, byte[] payload)
    {
        var ip = new byte[20 + payload.Length];
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip.AsSpan(2), (ushort)ip.Length);
        ip[8] = 64;
        ip[9] = protocol;
        src.CopyTo(ip, 12);
        dst.CopyTo(ip, 16);
        payload.CopyTo(ip, 20);
        return ip;
    }

    private static byte[] Ethernet(byte[] ip)
    {
        var frame = new byte[14 + ip.Length];
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), 0x0800);
        ip.CopyTo(frame, 14);
        return frame;
    }

    public const byte Fin = 0x01, Syn = 0x02, Rst = 0x04, Psh = 0x08, Ack = 0x10;

    /// <summary>
    /// A TCP conversation written as segments: handshake, then each (toServer, bytes) chunk as one segment, then FIN.
    /// Returns the packets in wire order; tests reorder, repeat or drop them to stage damage.
    /// </summary>
    public static List<TestPacket> Conversation(ushort clientPort, ushort serverPort, params (bool ToServer, byte[] Bytes)[] chunks)
    {
        const uint clientIsn = 1000, serverIsn = 50000;
        var c = clientIsn + 1;
        var s = serverIsn + 1;
        var t = 1_700_000_000_000_000L;
        var packets = new List<TestPacket>
        {
            Eth(Tcp(ClientIp, clientPort, ServerIp, serverPort, clientIsn, Syn, []), t++),
            Eth(Tcp(ServerIp, serverPort, ClientIp, clientPort, serverIsn, Syn | Ack, []), t++),
            Eth(Tcp(ClientIp, clientPort, ServerIp, serverPort, c, Ack, []), t++),
        };
        foreach (var (toServer, bytes) in chunks)
        {
            if (toServer)
            {
                packets.Add(Eth(Tcp(ClientIp, clientPort, ServerIp, serverPort, c, Psh | Ack, bytes), t++));
                c += (uint)bytes.Length;
            }
            else
            {
                packets.Add(Eth(Tcp(ServerIp, serverPort, ClientIp, clientPort, s, Psh | Ack, bytes), t++));
                s += (uint)bytes.Length;
            }
        }
        packets.Add(Eth(Tcp(ClientIp, clientPort, ServerIp, serverPort, c, Fin | Ack, []), t++));
        packets.Add(Eth(Tcp(ServerIp, serverPort, ClientIp, clientPort, s, Fin | Ack, []), t));
        return packets;
    }

    /// <summary>An Ethernet/IPv4 packet re-framed in another link type, VLAN-tagged when <paramref name="linkType"/> is 1.</summary>
    public static TestPacket Relink(TestPacket p, int linkType)
    {
        Assert.That(p.LinkType, Is.EqualTo(1));
        var ethertype = p.Data.AsSpan(12, 2).ToArray();
        var ip = p.Data[14..];
        byte[] header = linkType switch
        {
            1 => [.. p.Data[..12], 0x81, 0x00, 0x00, 0x05, .. ethertype],
            101 or 228 => [],
            113 => [0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, .. ethertype],
            276 => [.. ethertype, 0, 0, 0, 0, 0, 2, 0, 1, 4, 6, 1, 2, 3, 4, 5, 6, 0, 0],
            108 => [0, 0, 0, 2],
            0 => [2, 0, 0, 0],
            _ => throw new ArgumentOutOfRangeException(nameof(linkType)),
        };
        byte[] data = [.. header, .. ip];
        return new TestPacket(linkType, data, p.Microseconds, p.OriginalLength - p.Data.Length + data.Length);
    }

    public static TestPacket Eth(byte[] frame, long microseconds) => new(1, frame, microseconds, frame.Length);

    public static byte[] Ascii(string s) => Encoding.ASCII.GetBytes(s);

    private static void U16(byte[] b, int at, ushort v, bool be)
    {
        if (be) BinaryPrimitives.WriteUInt16BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(at), v);
    }

    private static void U32(byte[] b, int at, uint v, bool be)
    {
        if (be) BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), v);
        else BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
    }

    private static void U16Into(Stream s, ushort v, bool be)
    {
        var b = new byte[2];
        U16(b, 0, v, be);
        s.Write(b);
    }

    private static void U32Into(Stream s, uint v, bool be)
    {
        var b = new byte[4];
        U32(b, 0, v, be);
        s.Write(b);
    }
}
