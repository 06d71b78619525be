using System.Buffers.Binary;
using System.Security.Cryptography;
using ResearchPipeline.Captures.Pcap.Quic;

namespace ResearchPipeline.Tests.Captures;

/// <summary>
/// The real QUIC client Initial of the shared Chrome capture, and client Initial packets written around its real
/// ClientHello for other versions, split and ordered as a test needs (RFC 9000 section 17.2.2, RFC 9001 section 5).
/// </summary>
internal static class QuicPackets
{
    public const string SharedCapture = "pcap/ja4/chrome-cloudflare-quic-with-secrets.pcapng";

    /// <summary>The UDP payloads the client sent to port 443, in capture order.</summary>
    public static List<byte[]> ClientDatagrams(string path) =>
        CaptureBytes.PacketsOf(path).Select(p => UdpPayload(p.Data, toPort: 443)).OfType<byte[]>().ToList();

    /// <summary>The ClientHello Chrome sent, read by the reader from its real Initial packets.</summary>
    public static byte[] RealClientHello()
    {
        using var reader = new QuicInitialReader(64 * 1024, keepHello: true);
        foreach (var datagram in ClientDatagrams(TestFiles.Capture(SharedCapture))) reader.ClientDatagram(datagram, (_, m) => Assert.Fail(m));
        Assert.That(reader.ClientHello, Is.Not.Null, "the real Initial packets hold a whole ClientHello");
        return reader.ClientHello!;
    }

    /// <summary>Ethernet II + IPv4 or IPv6 (no extension headers) + UDP to <paramref name="toPort"/>: the UDP payload, else null.</summary>
    private static byte[]? UdpPayload(byte[] frame, ushort toPort)
    {
        if (frame.Length < 14) return null;
        var type = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12));
        int udp;
        if (type == 0x0800 && frame.Length >= 34 && frame[23] == 17) udp = 14 + (frame[14] & 0x0f) * 4;
        else if (type == 0x86DD && frame.Length >= 62 && frame[20] == 17) udp = 14 + 40;
        else return null;
        if (frame.Length < udp + 8 || BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(udp + 2)) != toPort) return null;
        return frame[(udp + 8)..];
    }

    public static byte[] Crypto(ulong offset, ReadOnlySpan<byte> data, byte type = 0x06) =>
        [type, .. Varint(offset), .. Varint((ulong)data.Length), .. data];

    public static byte[] Varint(ulong value) => value switch
    {
        < 1 << 6 => [(byte)value],
        < 1 << 14 => [(byte)(0x40 | (value >> 8)), (byte)value],
        _ => [(byte)(0x80 | (value >> 24)), (byte)(value >> 16), (byte)(value >> 8), (byte)value],
    };

    /// <summary>One client Initial packet of <paramref name="version"/> holding <paramref name="frames"/>, protected as a client would.</summary>
    public static byte[] Initial(uint version, byte[] dcid, uint packetNumber, byte[] frames)
    {
        var v = QuicVersion.Find(version)!;
        // Two-byte packet numbers; the payload is padded so the header-protection sample always exists.
        if (frames.Length < 20) frames = [.. frames, .. new byte[20 - frames.Length]];
        // First byte, version, DCID, empty SCID, empty token, a two-byte length (0x40 prefix, as most clients write it), the packet number.
        var length = 2 + frames.Length + 16;
        byte[] header = [(byte)(0xC0 | (v.InitialType << 4) | 0x01), 0, 0, 0, 0, (byte)dcid.Length, .. dcid, 0, 0,
            (byte)(0x40 | (length >> 8)), (byte)length, (byte)(packetNumber >> 8), (byte)packetNumber];
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), version);
        var pnOffset = header.Length - 2;

        using var keys = QuicInitialKeys.ForClient(v, dcid);
        var nonce = (byte[])keys.Iv.Clone();
        for (var i = 0; i < 4; i++) nonce[11 - i] ^= (byte)(packetNumber >> (8 * i));
        var ciphertext = new byte[frames.Length];
        var tag = new byte[16];
        using (var aead = new AesGcm(keys.Key, 16)) aead.Encrypt(nonce, frames, ciphertext, tag, header);
        byte[] packet = [.. header, .. ciphertext, .. tag];
        var mask = keys.Mask(packet.AsSpan(pnOffset + 4, 16));
        packet[0] ^= (byte)(mask[0] & 0x0f);
        packet[pnOffset] ^= mask[1];
        packet[pnOffset + 1] ^= mask[2];
        return packet;
    }

    /// <summary>A capture of the client datagrams (each becomes one UDP packet to port 443), answered by nothing.</summary>
    public static byte[] Capture(IEnumerable<byte[]> datagrams) =>
        CaptureBytes.Pcap(datagrams.Select((d, i) => CaptureBytes.Eth(CaptureBytes.Udp(CaptureBytes.ClientIp, 50000, CaptureBytes.ServerIp, 443, d), 1_700_000_000_000_000L + i * 1000)));
}
