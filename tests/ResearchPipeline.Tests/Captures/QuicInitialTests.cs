using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap.Quic;

namespace ResearchPipeline.Tests.Captures;

/// <summary>
/// QUIC connections are named by the ClientHello of their Initial packets, decrypted with the keys every QUIC
/// version derives from the client's destination connection ID; their HTTP/3 payload is counted as unread.
/// </summary>
public class QuicInitialTests
{
    private static readonly byte[] RfcConnectionId = Convert.FromHexString("8394c8f03e515708");

    // RFC 9001 appendix A.1 and RFC 9369 appendix A.1: the client Initial keys of connection ID 8394c8f03e515708.
    [TestCase(0x00000001u, "1f369613dd76d5467730efcbe3b1a22d", "fa044b2f42a3fd3b46fb255c", "9f50449e04a0e810283a1e9933adedd2")]
    [TestCase(0x6b3343cfu, "8b1a0bc121284290a29e0971b5cd045d", "91f73e2351d8fa91660e909f", "45b95e15235d6f45a6b19cbcb0294ba9")]
    public void Client_Initial_keys_are_the_RFC_test_vectors(uint version, string key, string iv, string hp)
    {
        using var keys = QuicInitialKeys.ForClient(QuicVersion.Find(version)!, RfcConnectionId);
        Assert.That(Convert.ToHexStringLower(keys.Key), Is.EqualTo(key));
        Assert.That(Convert.ToHexStringLower(keys.Iv), Is.EqualTo(iv));
        Assert.That(Convert.ToHexStringLower(keys.Hp), Is.EqualTo(hp));
    }

    [Test]
    public void The_QUIC_server_name_and_ALPN_are_tsharks()
    {
        var path = TestFiles.Capture(QuicPackets.SharedCapture);
        var rows = Tshark.Fields(path, "quic && tls.handshake.type == 1", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str");
        var expectedNames = rows.SelectMany(r => r[0]).ToHashSet();
        Assert.That(expectedNames, Is.Not.Empty, "tshark reads a ClientHello in the QUIC Initial packets");

        var records = PcapReaderTests.ReadAll(path);
        var quic = records.OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.Target.Scheme == "quic").ToList();
        Assert.That(quic.Select(e => e.Sni).ToHashSet(), Is.EquivalentTo(expectedNames));
        Assert.That(quic.Select(e => e.Target.Host).ToHashSet(), Is.EquivalentTo(expectedNames), "the connection is named by its SNI");
        Assert.That(quic.All(e => e.Kind == ExchangeKind.UdpFlow && e.Target.Port == 443));
        Assert.That(records.OfType<CaptureProblem>().Select(p => p.Message),
            Has.Some.StartsWith($"{quic.Count} QUIC connections whose payload stays unread (HTTP/3 is not decrypted): {quic.Count} named"));
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Message.Contains("QUIC", StringComparison.Ordinal) && p.Severity != Severity.Info), Is.Empty);

        using var reader = new QuicInitialReader(64 * 1024);
        foreach (var datagram in QuicPackets.ClientDatagrams(path)) reader.ClientDatagram(datagram, (_, m) => Assert.Fail(m));
        Assert.That(reader.Alpn, Is.EqualTo(rows.Where(r => r[1].Length > 0).SelectMany(r => r[1]).ToList()));
        Assert.That(reader.Version, Is.EqualTo(1u));
    }

    // v2 renumbers the long-header types and labels its keys "quicv2"; the drafts, mvfst and Google's T051 differ in salt or frame type.
    [TestCase(0x6b3343cfu)]
    [TestCase(0xff00001du)]
    [TestCase(0xff00001bu)]
    [TestCase(0xff000016u)]
    [TestCase(0xfaceb001u)]
    [TestCase(0xfaceb002u)]
    [TestCase(0xfaceb00eu)]
    [TestCase(0x54303531u)]
    public void A_ClientHello_split_across_Initial_packets_out_of_order_is_read_in_every_version(uint version)
    {
        var hello = QuicPackets.RealClientHello();
        var dcid = Convert.FromHexString("5a1e0c3f9b27d4e6");
        var frameType = QuicVersion.Find(version)!.Handshake == QuicHandshake.Tls ? (byte)0x06 : (byte)0x08;
        var third = hello.Length / 3;
        byte[][] parts = [hello[..third], hello[third..(2 * third)], hello[(2 * third)..]];
        // The last part first, the first part with a PING before it, the middle part coalesced behind the first.
        var last = QuicPackets.Initial(version, dcid, 2, QuicPackets.Crypto((ulong)(2 * third), parts[2], frameType));
        var first = QuicPackets.Initial(version, dcid, 0, [0x01, .. QuicPackets.Crypto(0, parts[0], frameType)]);
        var middle = QuicPackets.Initial(version, dcid, 1, QuicPackets.Crypto((ulong)third, parts[1], frameType));

        var records = PcapReaderTests.ReadAll(QuicPackets.Capture([last, [.. first, .. middle]]));
        var flow = records.OfType<ExchangeRead>().Single().Exchange;
        Assert.That(flow.Sni, Is.EqualTo("cloudflare-quic.com"));
        Assert.That(flow.Target.Url, Does.StartWith("quic://cloudflare-quic.com"));
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Severity != Severity.Info).Select(p => p.Message), Is.Empty);
    }

    [Test]
    public void A_Google_Q050_CHLO_is_named_by_its_SNI_tag()
    {
        // CHLO, 2 tags (little-endian count), padding; (tag, end offset) pairs; values end to end.
        byte[] chlo = [.. "CHLO"u8, 2, 0, 0, 0, .. "PAD\0"u8, 3, 0, 0, 0, .. "SNI\0"u8, 3 + 11, 0, 0, 0, .. "---"u8, .. "www.example"u8];
        var packet = QuicPackets.Initial(0x51303530, Convert.FromHexString("0102030405060708"), 1, QuicPackets.Crypto(0, chlo, 0x08));
        var flow = PcapReaderTests.ReadAll(QuicPackets.Capture([packet])).OfType<ExchangeRead>().Single().Exchange;
        Assert.That(flow.Sni, Is.EqualTo("www.example"));
    }

    [Test]
    public void A_packet_that_does_not_decrypt_is_a_quality_row_and_the_others_are_kept()
    {
        var hello = QuicPackets.RealClientHello();
        var dcid = Convert.FromHexString("0011223344556677");
        var half = hello.Length / 2;
        var damaged = QuicPackets.Initial(1, dcid, 0, QuicPackets.Crypto(0, hello[..half]));
        damaged[^5] ^= 0x40; // inside the authentication tag
        var again = QuicPackets.Initial(1, dcid, 2, QuicPackets.Crypto(0, hello[..half]));
        var rest = QuicPackets.Initial(1, dcid, 1, QuicPackets.Crypto((ulong)half, hello[half..]));

        var records = PcapReaderTests.ReadAll(QuicPackets.Capture([damaged, rest, again]));
        var problem = records.OfType<CaptureProblem>().Single(p => p.Severity == Severity.Warning);
        Assert.That(problem.Message, Does.Contain("Initial packet 0 does not decrypt"));
        Assert.That(problem.Location, Does.StartWith("packet 0"), "the first packet of the capture");
        Assert.That(records.OfType<ExchangeRead>().Single().Exchange.Sni, Is.EqualTo("cloudflare-quic.com"), "the retransmission completes the hello");
    }

    [Test]
    public void Cut_packets_and_unknown_versions_are_reported_and_still_counted_as_QUIC()
    {
        var whole = QuicPackets.Initial(1, Convert.FromHexString("0011223344556677"), 0, QuicPackets.Crypto(0, QuicPackets.RealClientHello()));
        byte[] unknownVersion = [0xC3, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x40, 0x20, .. new byte[40]];
        var records = PcapReaderTests.ReadAll(CaptureBytes.Pcap([
            CaptureBytes.Eth(CaptureBytes.Udp(CaptureBytes.ClientIp, 50000, CaptureBytes.ServerIp, 443, whole[..60]), 1_700_000_000_000_000L),
            CaptureBytes.Eth(CaptureBytes.Udp(CaptureBytes.ClientIp, 50001, CaptureBytes.ServerIp, 443, unknownVersion), 1_700_000_000_001_000L),
        ]));
        var flows = records.OfType<ExchangeRead>().Select(r => r.Exchange).OrderBy(e => e.ClientPort).ToList();
        Assert.That(flows.Select(f => (f.Target.Scheme, f.Sni)), Is.EqualTo(new[] { ("quic", (string?)null), ("quic", null) }));
        var messages = records.OfType<CaptureProblem>().Select(p => p.Message).ToList();
        Assert.That(messages, Has.One.Contains("QUIC v1 packet: length field beyond the datagram"));
        Assert.That(messages, Has.One.EqualTo("2 QUIC connections whose payload stays unread (HTTP/3 is not decrypted): 0 named from the ClientHello of their Initial packets; Initial packets not read for version 0x1a2a3a4a"));
    }

    [Test]
    public void A_hello_longer_than_the_limit_is_given_up_with_a_quality_row()
    {
        using var reader = new QuicInitialReader(256);
        var dcid = Convert.FromHexString("0011223344556677");
        var problems = new List<string>();
        reader.ClientDatagram(QuicPackets.Initial(1, dcid, 0, QuicPackets.Crypto(0, QuicPackets.RealClientHello()[..200])), (_, m) => problems.Add(m));
        Assert.That(problems, Has.One.Contains("over the 256-byte limit"));
        Assert.That(reader.HelloRead, Is.False);
    }
}
