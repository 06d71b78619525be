using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;

namespace ResearchPipeline.Tests.Captures;

// Each case runs tshark, which takes seconds: run the cases side by side.
[Parallelizable(ParallelScope.Children)]
public class PcapReaderTests
{
    private static readonly string[] SharedCaptures =
    [
        "pcap/1kxun.pcap",
        "pcap/KakaoTalk_chat.pcap",
        "pcap/alexa-app.pcapng",
        "pcap/android.pcap",
        "pcap/http_ua_splitted_in_two_pkts.pcapng",
        "pcap/ja4/browsers-x509.pcapng",
        "pcap/ja4/chrome-cloudflare-quic-with-secrets.pcapng",
        "pcap/ja4/http2-with-cookies.pcapng",
        "pcap/ja4/single-packets.pcap",
        "pcap/pinterest.pcap",
        "pcap/reddit.pcap",
        "pcap/tls12/capture.pcap",
        "pcap/tls13/capture.pcap",
        "pcap/viber.pcap",
    ];

    internal static List<CaptureRecord> ReadAll(string path, ReadLimits? limits = null)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, limits);
    }

    internal static List<CaptureRecord> ReadAll(byte[] bytes, ReadLimits? limits = null) => Read(new MemoryStream(bytes), limits);

    internal static List<CaptureRecord> Read(Stream stream, ReadLimits? limits, ResearchPipeline.Captures.Pcap.Tls.TlsKeyLog? keys = null)
    {
        Span<byte> head = stackalloc byte[64];
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        var reader = CaptureFormats.All.Detect(head[..n]);
        Assert.That(reader, Is.InstanceOf<PacketCaptureReader>(), "detected as a packet capture");
        using (stream) return ((PacketCaptureReader)reader!).Read(stream, limits ?? ReadLimits.Default, keys).ToList();
    }

    private static List<Exchange> Exchanges(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    // A target ending in a bare '?' has an empty query, which the exchanges publish as no query.
    private static string WithoutEmptyQuery(string uri) => uri.EndsWith('?') ? uri[..^1] : uri;

    private static string Uri(Exchange e) => e.Target.Path + (e.Target.Query.Length > 0 ? "?" + e.Target.Query : "");

    [TestCaseSource(nameof(SharedCaptures))]
    public void Http_requests_server_names_and_DNS_names_equal_tsharks(string file)
    {
        var path = TestFiles.Capture(file);
        // tshark decrypts TLS with a capture's own Decryption Secrets Blocks, as the reader does; HTTP/2 requests are
        // its http2 fields, HTTP/1 ones its http fields.
        var rows = Tshark.Fields(path, "http.request || http2.headers.method || tls.handshake.extensions_server_name || dns.qry.name",
            "http.request.method", "http.host", "http.request.uri", "tls.handshake.extensions_server_name", "dns.qry.name",
            "http2.headers.method", "http2.headers.authority", "http2.headers.path");
        var expectedHttp = rows.Where(r => r[0].Length > 0)
            .SelectMany(r => r[0].Select((m, i) => $"{m} {(i < r[1].Length ? r[1][i] : "")} {(i < r[2].Length ? WithoutEmptyQuery(r[2][i]) : "")}"))
            .Concat(rows.SelectMany(r => r[5].Select((m, i) => $"{m} {(i < r[6].Length ? r[6][i] : "")} {(i < r[7].Length ? WithoutEmptyQuery(r[7][i]) : "")}")))
            .Order(StringComparer.Ordinal).ToList();
        var expectedSni = rows.SelectMany(r => r[3]).ToHashSet();
        var expectedDns = rows.SelectMany(r => r[4]).Select(n => n.ToLowerInvariant()).ToHashSet();

        var exchanges = Exchanges(ReadAll(path));
        var http = exchanges.Where(e => e.Kind == ExchangeKind.Http)
            .Select(e => $"{e.Method} {(e.HttpVersion == "HTTP/2" ? e.Target.Host : e.RequestHeader("Host") ?? "")} {Uri(e)}").Order(StringComparer.Ordinal).ToList();
        var sni = exchanges.Where(e => e.Sni is not null).Select(e => e.Sni!).ToHashSet();
        var dns = exchanges.Where(e => e.Kind == ExchangeKind.DnsQuery).Select(e => e.Target.Host).ToHashSet();

        Assert.Multiple(() =>
        {
            Assert.That(http, Is.EqualTo(expectedHttp), "HTTP requests (method, Host, URI)");
            Assert.That(sni, Is.EquivalentTo(expectedSni), "TLS server names");
            Assert.That(dns, Is.EquivalentTo(expectedDns), "DNS query names");
        });
    }
}

public class PcapContainerAndDamageTests
{
    private static List<CaptureRecord> Read(byte[] bytes, ReadLimits? limits = null) => PcapReaderTests.ReadAll(bytes, limits);

    private static List<Exchange> Exchanges(IEnumerable<CaptureRecord> records) => records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    private static List<string> Requests(IEnumerable<CaptureRecord> records) =>
        Exchanges(records).Where(e => e.Kind == ExchangeKind.Http).Select(e => $"{e.Method} {e.Target.Url}").Order(StringComparer.Ordinal).ToList();

    private static List<string> Summary(IEnumerable<CaptureRecord> records) =>
        Exchanges(records).OrderBy(e => e.Ordinal).Select(e => $"{e.Ordinal} {e.Kind} {e.Method} {e.Target.Url} {e.Sni} {e.Status} {e.StartedUtc:O}").ToList();

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.ASCII.GetString(bytes.Span);

    [Test]
    public void Shared_captures_come_in_both_containers_and_three_link_types()
    {
        // What the shared files exercise: pcap with Ethernet, Linux cooked (SLL) and BSD loopback; pcapng with Ethernet.
        Assert.That(PcapReaderTests.ReadAll(TestFiles.Capture("pcap/KakaoTalk_chat.pcap")).OfType<ExchangeRead>()
            .Any(e => e.Exchange.Target.Host == "www.facebook.com" && e.Exchange.Target.Path == "/mobile/status.php"), "SLL");
        Assert.That(Exchanges(PcapReaderTests.ReadAll(TestFiles.Capture("pcap/tls12/capture.pcap"))).Select(e => e.Sni), Has.Member("example.ulfheim.net"), "loopback");
        var alexa = PcapReaderTests.ReadAll(TestFiles.Capture("pcap/alexa-app.pcapng"));
        Assert.That(Exchanges(alexa).Count(e => e.Kind == ExchangeKind.Http), Is.EqualTo(22), "pcapng Ethernet");
    }

    [TestCase(false, false)]
    [TestCase(true, false)]
    [TestCase(false, true)]
    [TestCase(true, true)]
    public void A_pcap_reads_the_same_in_either_byte_order_and_time_resolution(bool bigEndian, bool nano)
    {
        var packets = CaptureBytes.PacketsOf(TestFiles.Capture("pcap/android.pcap"));
        var original = Summary(PcapReaderTests.ReadAll(TestFiles.Capture("pcap/android.pcap")));
        Assert.That(Summary(Read(CaptureBytes.Pcap(packets, bigEndian, nano))), Is.EqualTo(original));
    }

    [TestCase((byte)6)]
    [TestCase((byte)9)]
    [TestCase((byte)0x94)]
    public void A_pcapng_with_sections_of_both_byte_orders_and_any_resolution_reads_like_the_pcap(byte resolution)
    {
        var packets = CaptureBytes.PacketsOf(TestFiles.Capture("pcap/android.pcap"));
        var original = Summary(PcapReaderTests.ReadAll(TestFiles.Capture("pcap/android.pcap")));
        // Four sections, alternating little- and big-endian; interfaces are numbered anew in each.
        var bytes = CaptureBytes.PcapNg(packets, i => i * 4 / packets.Count, resolution);
        var records = Read(bytes);
        var summary = Summary(records);
        if (resolution == 0x94)
        {
            // 2^-20 s units cannot hold every microsecond exactly: compare what does not depend on the clock.
            Assert.That(summary.Select(s => s[..s.LastIndexOf(' ')]), Is.EqualTo(original.Select(s => s[..s.LastIndexOf(' ')])));
            Assert.That(Exchanges(records).Select(e => e.StartedUtc!.Value.Year), Is.All.EqualTo(Exchanges(records)[0].StartedUtc!.Value.Year));
        }
        else
        {
            Assert.That(summary, Is.EqualTo(original));
        }
    }

    [Test]
    public void Simple_packet_blocks_are_read_without_timestamps()
    {
        var packets = CaptureBytes.PacketsOf(TestFiles.Capture("pcap/ja4/single-packets.pcap"));
        var records = Read(CaptureBytes.PcapNg(packets, simple: true));
        Assert.That(Requests(records), Is.EqualTo(Requests(PcapReaderTests.ReadAll(TestFiles.Capture("pcap/ja4/single-packets.pcap")))));
        Assert.That(Exchanges(records).Select(e => e.StartedUtc), Is.All.Null);
    }

    [TestCase(1, Description = "Ethernet with an 802.1Q VLAN tag")]
    [TestCase(101, Description = "raw IP")]
    [TestCase(228, Description = "raw IPv4")]
    [TestCase(113, Description = "Linux cooked SLL")]
    [TestCase(276, Description = "Linux cooked SLL2")]
    [TestCase(0, Description = "BSD loopback, host byte order")]
    [TestCase(108, Description = "OpenBSD loopback, network byte order")]
    public void Every_link_type_yields_the_same_requests(int linkType)
    {
        var path = TestFiles.Capture("pcap/ja4/single-packets.pcap");
        var packets = CaptureBytes.PacketsOf(path).Select(p => CaptureBytes.Relink(p, linkType)).ToList();
        var expected = Requests(PcapReaderTests.ReadAll(path));
        Assert.That(expected, Has.Count.EqualTo(8));
        Assert.That(Requests(Read(CaptureBytes.Pcap(packets))), Is.EqualTo(expected));
    }

    /// <summary>The Decryption Secrets Blocks the container holds; the reader uses them and never hands key material on.</summary>
    internal static List<DecryptionSecretsFound> SecretsBlocks(string path)
    {
        using var stream = File.OpenRead(path);
        return PcapNgContainer.Read(stream).Select(i => i.Record).OfType<DecryptionSecretsFound>().ToList();
    }

    [Test]
    public void Decryption_secrets_blocks_are_kept_as_a_tls_key_log()
    {
        var path = TestFiles.Capture("pcap/ja4/chrome-cloudflare-quic-with-secrets.pcapng");
        var records = PcapReaderTests.ReadAll(path);
        var secrets = SecretsBlocks(path);
        Assert.That(secrets, Has.Count.EqualTo(1));
        Assert.That(secrets[0].Kind, Is.EqualTo("tls-key-log"));
        Assert.That(Text(secrets[0].Secrets), Does.Contain("CLIENT_HANDSHAKE_TRAFFIC_SECRET").Or.Contain("CLIENT_RANDOM"));
        Assert.That(records.OfType<CaptureProblem>().Any(p => p.Severity == Severity.Info && p.Message.Contains("decryption secrets")));
        Assert.That(records.OfType<DecryptionSecretsFound>(), Is.Empty, "key material stays inside the reader");
    }

    [Test]
    public void A_truncated_pcap_keeps_every_packet_before_the_cut_and_says_where()
    {
        var path = TestFiles.Capture("pcap/ja4/single-packets.pcap");
        var bytes = File.ReadAllBytes(path);
        var full = Requests(PcapReaderTests.ReadAll(path));
        // Cut in the middle of the last packet's data, then inside the last record header, then inside the file header.
        var lastRecord = CaptureBytes.Pcap(CaptureBytes.PacketsOf(path).SkipLast(1)).Length;
        foreach (var (cut, packet) in new[] { (bytes.Length - 10, "packet 8"), (lastRecord + 7, "packet 8"), (10, "byte 0") })
        {
            var records = Read(bytes[..cut]);
            var error = records.OfType<CaptureProblem>().Single(p => p.Severity == Severity.Error);
            Assert.That(error.Message, Does.Contain("file ends inside"), $"cut at {cut}");
            Assert.That(error.Location, Does.Contain(packet), $"cut at {cut}");
        }
        var cutInLast = Requests(Read(bytes[..(lastRecord + 7)]));
        Assert.That(cutInLast, Is.SubsetOf(full));
        Assert.That(cutInLast, Has.Count.GreaterThanOrEqualTo(6), "the packets before the cut are read");
    }

    [Test]
    public void A_pcap_record_with_an_impossible_length_stops_there_and_keeps_what_came_before()
    {
        var path = TestFiles.Capture("pcap/ja4/single-packets.pcap");
        var packets = CaptureBytes.PacketsOf(path);
        var bytes = CaptureBytes.Pcap(packets);
        var fifth = CaptureBytes.Pcap(packets.Take(4)).Length;
        BitConverter.GetBytes(0x7FFFFFF0u).CopyTo(bytes, fifth + 8);
        var records = Read(bytes);
        var error = records.OfType<CaptureProblem>().Single(p => p.Severity == Severity.Error);
        Assert.That(error.Message, Does.Contain("record length"));
        Assert.That(error.Location, Does.StartWith("packet 4 at byte " + fifth));
        Assert.That(Requests(records), Has.Count.EqualTo(Requests(Read(CaptureBytes.Pcap(packets.Take(4)))).Count));
    }

    [Test]
    public void A_pcapng_block_with_a_bad_length_stops_there_and_keeps_what_came_before()
    {
        var path = TestFiles.Capture("pcap/ja4/single-packets.pcap");
        var packets = CaptureBytes.PacketsOf(path);
        var bytes = CaptureBytes.PcapNg(packets);
        var sixth = CaptureBytes.PcapNg(packets.Take(5)).Length;
        BitConverter.GetBytes(13u).CopyTo(bytes, sixth + 4);
        var records = Read(bytes);
        var error = records.OfType<CaptureProblem>().Single(p => p.Severity == Severity.Error);
        Assert.That(error.Message, Does.Contain("block length 13"));
        Assert.That(error.Location, Is.EqualTo($"block at byte {sixth}"));
        Assert.That(Requests(records), Is.EqualTo(Requests(Read(CaptureBytes.PcapNg(packets.Take(5))))));
        // A truncated pcapng says so too.
        var cut = Read(CaptureBytes.PcapNg(packets)[..(sixth + 30)]);
        Assert.That(cut.OfType<CaptureProblem>().Single(p => p.Severity == Severity.Error).Message, Does.Contain("file ends inside a block"));
    }

    [Test]
    public void Packets_cut_at_the_snap_length_are_reported_and_the_rest_still_read()
    {
        var path = TestFiles.Capture("pcap/KakaoTalk_chat.pcap");
        var packets = CaptureBytes.PacketsOf(path);
        var records = Read(CaptureBytes.Pcap(packets, snapLength: 96));
        var cut = records.OfType<CaptureProblem>().Where(p => p.Message.StartsWith("packet cut at the snap length")).ToList();
        Assert.That(cut, Has.Count.EqualTo(20), "the first twenty are listed one by one");
        Assert.That(cut[0].Location, Does.StartWith("packet "));
        Assert.That(records.OfType<CaptureProblem>().Any(p => p.Message.Contains("more like this not listed one by one")));
        Assert.That(Exchanges(records).Where(e => e.Kind == ExchangeKind.DnsQuery).Select(e => e.Target.Host), Has.Member("graph.facebook.com"),
            "DNS queries are short enough to survive a 96-byte snap length");
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Severity == Severity.Error), Is.Empty);
    }

    private static readonly byte[] PostRequest = CaptureBytes.Ascii("POST /collect?x=1 HTTP/1.1\r\nHost: example.org\r\nContent-Length: 5\r\n\r\nhello");
    private static readonly byte[] GetRequest = CaptureBytes.Ascii("GET /pixel.gif HTTP/1.1\r\nHost: example.org\r\n\r\n");
    private static readonly byte[] ChunkedResponse = CaptureBytes.Ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;ext=1\r\npedia\r\n0\r\nX-Trailer: 1\r\n\r\n");
    private static readonly byte[] LengthResponse = CaptureBytes.Ascii("HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnop");

    private static List<TestPacket> PipelinedConversation() => CaptureBytes.Conversation(40000, 80,
        (true, PostRequest[..30]), (true, [.. PostRequest[30..], .. GetRequest]), (false, ChunkedResponse[..50]), (false, ChunkedResponse[50..]), (false, LengthResponse));

    [Test]
    public void Pipelined_requests_pair_with_chunked_and_length_framed_responses_in_order()
    {
        var records = Read(CaptureBytes.Pcap(PipelinedConversation()));
        var http = Exchanges(records).Where(e => e.Kind == ExchangeKind.Http).OrderBy(e => e.Ordinal).ToList();
        Assert.That(http.Select(e => $"{e.Method} {e.Target.Url} {e.Status}"), Is.EqualTo(new[]
        {
            "POST http://example.org/collect?x=1 200",
            "GET http://example.org/pixel.gif 204",
        }));
        Assert.That(Text(http[0].RequestBody), Is.EqualTo("hello"));
        Assert.That(Text(http[0].ResponseBody), Is.EqualTo("Wikipedia"), "chunks joined, extensions and trailers dropped");
        Assert.That(http[0].ServerIp, Is.EqualTo("93.184.216.34"));
        Assert.That(http[0].BytesToServer, Is.EqualTo(PostRequest.Length));
        Assert.That(records.OfType<CaptureProblem>().Single(p => p.Severity == Severity.Warning).Message, Does.Contain("answers no captured request"),
            "the 404 has no third request to answer");
    }

    [Test]
    public void Out_of_order_duplicated_and_overlapping_segments_reassemble_to_the_same_exchanges()
    {
        var inOrder = Summary(Read(CaptureBytes.Pcap(PipelinedConversation())));
        var packets = PipelinedConversation();
        // Swap the two request segments and the two response segments, repeat one, and add a segment that
        // overlaps both halves of the request (a retransmission with different segmentation).
        var shuffled = new List<TestPacket>(packets);
        (shuffled[3], shuffled[4]) = (shuffled[4], shuffled[3]);
        (shuffled[5], shuffled[6]) = (shuffled[6], shuffled[5]);
        shuffled.Insert(7, shuffled[6]);
        var overlap = CaptureBytes.Eth(CaptureBytes.Tcp(CaptureBytes.ClientIp, 40000, CaptureBytes.ServerIp, 80, 1001 + 20, CaptureBytes.Ack | CaptureBytes.Psh, PostRequest.AsSpan(20, 30)), packets[4].Microseconds);
        shuffled.Insert(5, overlap);
        var records = Read(CaptureBytes.Pcap(shuffled));
        Assert.That(Summary(records).Select(s => s[..s.LastIndexOf(' ')]), Is.EqualTo(inOrder.Select(s => s[..s.LastIndexOf(' ')])));
        Assert.That(Exchanges(records).Where(e => e.Kind == ExchangeKind.Http).Select(e => Text(e.ResponseBody)), Has.Member("Wikipedia"));
    }

    [Test]
    public void A_lost_segment_is_a_quality_problem_and_the_exchange_is_kept_incomplete()
    {
        var body = new string('a', 3000);
        var response = CaptureBytes.Ascii($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var packets = CaptureBytes.Conversation(40001, 80, (true, GetRequest), (false, response[..1000]), (false, response[1000..2000]), (false, response[2000..]));
        packets.RemoveAt(5);
        var records = Read(CaptureBytes.Pcap(packets));
        var exchange = Exchanges(records).Single(e => e.Kind == ExchangeKind.Http);
        Assert.That(exchange.Status, Is.EqualTo(200));
        Assert.That(exchange.ResponseBody.Length, Is.EqualTo(response.Length - 1000 - (response.Length - body.Length)));
        var problem = records.OfType<CaptureProblem>().Single(p => p.Message.Contains("not captured"));
        Assert.That(problem.Location, Does.Contain("packet ").And.Contain("flow tcp 10.0.0.2:40001 > 93.184.216.34:80"));
    }

    [Test]
    public void A_full_reassembly_buffer_gives_up_the_hole_and_says_so()
    {
        var chunks = Enumerable.Range(0, 10).Select(i => (true, CaptureBytes.Ascii(new string((char)('a' + i), 1000)))).ToArray();
        var packets = CaptureBytes.Conversation(40002, 9000, chunks);
        packets.RemoveAt(3);
        var records = Read(CaptureBytes.Pcap(packets), ReadLimits.Default with { MaxReassemblyBytes = 4000 });
        Assert.That(records.OfType<CaptureProblem>().Any(p => p.Message.Contains("reassembly buffer")));
        var flow = Exchanges(records).Single();
        Assert.That(flow.Kind, Is.EqualTo(ExchangeKind.TcpFlow));
        Assert.That(flow.BytesToServer, Is.EqualTo(10_000), "a given-up hole still counts as bytes sent");
    }

    [Test]
    public void A_broken_HTTP_stream_is_quarantined_with_its_place_and_nothing_throws()
    {
        var garbage = CaptureBytes.Ascii("GET /ok HTTP/1.1\r\nHost: a\r\n\r\nPOST /x HTTP/1.1\r\nContent-Length: zz\r\n\r\n");
        var records = Read(CaptureBytes.Pcap(CaptureBytes.Conversation(40003, 80, (true, garbage))));
        Assert.That(Requests(records), Is.EqualTo(new[] { "GET http://a/ok" }));
        var quarantined = records.OfType<RecordQuarantined>().Single();
        Assert.That(quarantined.Reason, Does.Contain("Content-Length"));
        Assert.That(quarantined.Location, Does.Contain("flow tcp"));
        Assert.That(Exchanges(records).Select(e => e.Ordinal).Append(quarantined.Ordinal).Order(), Is.EqualTo(new[] { 0, 1 }));
    }

    private static byte[] ClientHello(string serverName)
    {
        var name = CaptureBytes.Ascii(serverName);
        byte[] sni = [0, 0, .. U16(name.Length + 5), .. U16(name.Length + 3), 0, .. U16(name.Length), .. name];
        byte[] padding = [0, 21, .. U16(600), .. new byte[600]];
        byte[] extensions = [.. sni, .. padding];
        byte[] body = [3, 3, .. new byte[32], 0, 0, 2, 0x13, 0x01, 1, 0, .. U16(extensions.Length), .. extensions];
        byte[] handshake = [1, 0, .. U16(body.Length), .. body];
        return [0x16, 3, 1, .. U16(handshake.Length), .. handshake];
    }

    private static byte[] U16(int v) => [(byte)(v >> 8), (byte)v];

    [Test]
    public void A_ClientHello_split_over_segments_out_of_order_still_gives_the_server_name()
    {
        var hello = ClientHello("graph.facebook.com");
        var packets = CaptureBytes.Conversation(40004, 443, (true, hello[..3]), (true, hello[3..200]), (true, hello[200..]), (false, [0x17, 3, 3, 0, 2, 9, 9]));
        (packets[4], packets[5]) = (packets[5], packets[4]);
        var flow = Exchanges(Read(CaptureBytes.Pcap(packets))).Single();
        Assert.That(flow.Kind, Is.EqualTo(ExchangeKind.TlsFlow));
        Assert.That(flow.Sni, Is.EqualTo("graph.facebook.com"));
        Assert.That(flow.Target.Host, Is.EqualTo("graph.facebook.com"));
        Assert.That(flow.Target.Path, Is.Empty);
        Assert.That(flow.BytesToServer, Is.EqualTo(hello.Length));
        Assert.That(flow.BytesToClient, Is.EqualTo(7));
    }

    [Test]
    public void A_TLS_flow_without_a_hello_is_named_by_the_DNS_answer_the_app_got()
    {
        byte[] query = [0x12, 0x34, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, .. CaptureBytes.Ascii("graph"), 8, .. CaptureBytes.Ascii("facebook"), 3, .. CaptureBytes.Ascii("com"), 0, 0, 1, 0, 1];
        byte[] answer = [0x12, 0x34, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, .. query[12..], 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, .. CaptureBytes.ServerIp];
        var dns = new List<TestPacket>
        {
            CaptureBytes.Eth(CaptureBytes.Udp(CaptureBytes.ClientIp, 5000, [8, 8, 8, 8], 53, query), 1_699_999_999_000_000),
            CaptureBytes.Eth(CaptureBytes.Udp([8, 8, 8, 8], 53, CaptureBytes.ClientIp, 5000, answer), 1_699_999_999_000_100),
        };
        // The capture starts after the handshake: only application data records.
        var tls = CaptureBytes.Conversation(40005, 443, (true, [0x17, 3, 3, 0, 1, 7]), (false, [0x17, 3, 3, 0, 1, 8]));
        var records = Read(CaptureBytes.Pcap([.. dns, .. tls.Skip(3)]));
        var exchanges = Exchanges(records).OrderBy(e => e.Ordinal).ToList();
        Assert.That(exchanges.Select(e => e.Kind), Is.EqualTo(new[] { ExchangeKind.DnsQuery, ExchangeKind.TlsFlow }));
        Assert.That(exchanges[0].Target.Host, Is.EqualTo("graph.facebook.com"));
        Assert.That(exchanges[0].DnsAnswers, Is.EqualTo(new[] { "93.184.216.34" }));
        Assert.That(exchanges[1].Target.Host, Is.EqualTo("graph.facebook.com"));
        Assert.That(exchanges[1].Sni, Is.Null);
        Assert.That(exchanges[1].ServerIp, Is.EqualTo("93.184.216.34"));
    }

    [Test]
    public void Garbage_never_throws_out_of_the_reader()
    {
        var random = new Random(5);
        var packets = CaptureBytes.PacketsOf(TestFiles.Capture("pcap/ja4/single-packets.pcap"));
        for (var round = 0; round < 200; round++)
        {
            var damaged = packets.Select(p =>
            {
                var data = (byte[])p.Data.Clone();
                for (var k = 0; k < 8; k++) data[random.Next(14, data.Length)] = (byte)random.Next(256);
                return p with { Data = data[..random.Next(1, data.Length + 1)] };
            });
            Assert.DoesNotThrow(() => Read(CaptureBytes.Pcap(damaged)));
        }
    }

    [Test]
    public void Ordinals_are_unique_contiguous_and_the_same_on_every_read()
    {
        foreach (var file in new[] { "pcap/1kxun.pcap", "pcap/viber.pcap", "pcap/alexa-app.pcapng" })
        {
            var first = PcapReaderTests.ReadAll(TestFiles.Capture(file));
            var ordinals = Exchanges(first).Select(e => e.Ordinal).Concat(first.OfType<RecordQuarantined>().Select(q => q.Ordinal)).Order().ToList();
            Assert.That(ordinals, Is.EqualTo(Enumerable.Range(0, ordinals.Count)), file);
            Assert.That(Summary(PcapReaderTests.ReadAll(TestFiles.Capture(file))), Is.EqualTo(Summary(first)), file);
        }
    }

    [TestCase("pcap/1kxun.pcap")]
    [TestCase("pcap/alexa-app.pcapng")]
    public void A_capture_arriving_a_few_bytes_at_a_time_reads_the_same_as_from_its_file(string file)
    {
        // Packets and blocks then straddle every read the container makes, and the files are larger than its buffer.
        var path = TestFiles.Capture(file);
        var whole = PcapReaderTests.ReadAll(path);
        var trickled = PcapReaderTests.Read(new TrickleStream(File.ReadAllBytes(path)), null);
        Assert.That(Details(trickled), Is.EqualTo(Details(whole)));
        Assert.That(Exchanges(whole), Is.Not.Empty);
    }

    private static List<string> Details(IEnumerable<CaptureRecord> records) => records.Select(r => r switch
    {
        ExchangeRead { Exchange: var e } => $"{e.Ordinal} {e.Kind} {e.Target.Url} {e.Status} {e.StartedUtc:O} {e.BytesToServer} {e.BytesToClient} "
            + $"{Convert.ToHexString(e.RequestBody.Span)} {Convert.ToHexString(e.ResponseBody.Span)} {string.Join(",", e.RequestHeaders)} {string.Join(",", e.DnsAnswers)}",
        CaptureProblem p => $"{p.Severity} {p.Message} {p.Location}",
        _ => r.ToString(),
    }).ToList();

    /// <summary>A stream that hands out at most 7 bytes per read, as a slow pipe would.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(Span<byte> buffer) => base.Read(buffer[..Math.Min(buffer.Length, 7)]);
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 7));
    }
}
