using System.Globalization;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Captures.Har;
using ResearchPipeline.Captures.Mitmproxy;
using ResearchPipeline.Study;

namespace ResearchPipeline.Tests.Captures;

public class MitmproxyReaderTests
{
    private static List<CaptureRecord> ReadAll(string path, ReadLimits? limits = null)
    {
        using var stream = File.OpenRead(path);
        return new MitmproxyReader().Read(stream, limits ?? ReadLimits.Default).ToList();
    }

    private static List<CaptureRecord> ReadAll(byte[] bytes, ReadLimits? limits = null) =>
        new MitmproxyReader().Read(new MemoryStream(bytes), limits ?? ReadLimits.Default).ToList();

    private static List<Exchange> Exchanges(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    private static List<Exchange> Http(IEnumerable<CaptureRecord> records) =>
        Exchanges(records).Where(e => e.Kind == ExchangeKind.Http).ToList();

    /// <summary>Byte offsets where each top-level flow starts, read from the length prefixes (and the file's end).</summary>
    private static List<int> FlowStarts(byte[] file)
    {
        var starts = new List<int>();
        var pos = 0;
        while (pos < file.Length)
        {
            starts.Add(pos);
            var colon = Array.IndexOf(file, (byte)':', pos);
            var length = int.Parse(Encoding.ASCII.GetString(file, pos, colon - pos), CultureInfo.InvariantCulture);
            pos = colon + 1 + length + 1;
        }
        starts.Add(file.Length);
        return starts;
    }

    // HTTP flows per file and the version field each file's flows carry (PROVENANCE.md), with one request each.
    [TestCase("mitmproxy/dumpfile-010.mitm", 1, 0, "0.10", "GET", "example.com", 200)]
    [TestCase("mitmproxy/dumpfile-011.mitm", 1, 0, "0.11", "GET", "example.com", 200)]
    [TestCase("mitmproxy/dumpfile-018.mitm", 1, 0, "0.18", "GET", "www.example.com", 200)]
    [TestCase("mitmproxy/dumpfile-019.mitm", 1, 0, "7", "GET", "webrv.rtb-seller.com", null)]
    [TestCase("mitmproxy/dumpfile-10.mitm", 1, 0, "10", "GET", "example.com", null)]
    [TestCase("mitmproxy/dumpfile-19.mitm", 1, 0, "20", "GET", "cloudflare-quic.com", 200)]
    [TestCase("mitmproxy/dumpfile-7.mitm", 2, 0, "11", "GET", "example.com", 200)]
    [TestCase("mitmproxy/diff_data.mitm", 5, 2, "18", "POST", "jnn-pa.googleapis.com", 200)]
    public void Every_shared_flow_file_reads_with_all_its_flows_and_no_problem(string file, int http, int tcp, string version, string method, string host, int? status)
    {
        var records = ReadAll(TestFiles.Capture(file));
        Assert.That(records.OfType<RecordQuarantined>(), Is.Empty);
        Assert.That(records.OfType<CaptureProblem>(), Is.Empty);
        var exchanges = Exchanges(records);
        Assert.That(exchanges.Count(e => e.Kind == ExchangeKind.Http), Is.EqualTo(http));
        Assert.That(exchanges.Count(e => e.Kind == ExchangeKind.TcpFlow), Is.EqualTo(tcp));
        Assert.That(exchanges.Select(e => e.Ordinal), Is.EqualTo(Enumerable.Range(0, http + tcp)));
        Assert.That(records.OfType<CreatorFound>().Single().ToString(), Is.EqualTo($"mitmproxy flow format {version}"));
        var first = exchanges[0];
        Assert.That(first.Method, Is.EqualTo(method));
        Assert.That(first.Target.Host, Is.EqualTo(host));
        Assert.That(first.Status, Is.EqualTo(status));
        Assert.That(first.StartedUtc, Is.Not.Null);
        Assert.That(first.StartedUtc!.Value.Offset, Is.EqualTo(TimeSpan.Zero));
    }

    [Test]
    public void Version_0_10_flow_is_upgraded_and_keeps_its_gzip_body_as_bytes()
    {
        var e = Http(ReadAll(TestFiles.Capture("mitmproxy/dumpfile-010.mitm"))).Single();
        Assert.That(e.Target.Url, Is.EqualTo("http://example.com/"));
        Assert.That(e.HttpVersion, Is.EqualTo("HTTP/1.1"));
        Assert.That(e.ResponseBody.Length, Is.EqualTo(606));
        Assert.That(e.ResponseBody.Span[..2].ToArray(), Is.EqualTo(new byte[] { 0x1f, 0x8b }));
        Assert.That(e.ResponseHeader("Content-Encoding"), Is.EqualTo("gzip"));
        Assert.That(e.RequestHeaders.Select(h => h.Name).Take(2), Is.EqualTo(new[] { "Host", "Proxy-Connection" }));
        Assert.That(e.StartedUtc, Is.EqualTo(DateTimeOffset.FromUnixTimeMilliseconds(1468014849988).AddTicks(7080)));
    }

    [Test]
    public void Version_0_11_and_0_18_flows_have_their_html_bodies_and_HTTPS_targets()
    {
        var v011 = Http(ReadAll(TestFiles.Capture("mitmproxy/dumpfile-011.mitm"))).Single();
        Assert.That(v011.Target.Url, Is.EqualTo("https://example.com/"));
        Assert.That(v011.ResponseBody.Length, Is.EqualTo(1270));
        Assert.That(Encoding.ASCII.GetString(v011.ResponseBody.Span[..15]), Is.EqualTo("<!doctype html>"));
        Assert.That(v011.Sni, Is.EqualTo("example.com"));

        var v018 = Http(ReadAll(TestFiles.Capture("mitmproxy/dumpfile-018.mitm"))).Single();
        Assert.That(v018.Target.Url, Is.EqualTo("https://www.example.com/"));
        Assert.That(v018.ServerIp, Is.EqualTo("93.184.216.34"), "0.18 ip_address, unwrapped in 2.0 and renamed peername in 19");
        Assert.That(v018.RequestHeader("User-Agent"), Is.EqualTo("curl/7.35.0"));
        Assert.That(v018.ResponseBody.Length, Is.EqualTo(1270));
    }

    [Test]
    public void Version_7_HTTP2_flow_without_response_keeps_its_request_and_TLS_facts()
    {
        var e = Http(ReadAll(TestFiles.Capture("mitmproxy/dumpfile-019.mitm"))).Single();
        Assert.That(e.HttpVersion, Is.EqualTo("HTTP/2"));
        Assert.That(e.Status, Is.Null);
        Assert.That(e.ResponseHeaders, Is.Empty);
        Assert.That(e.Target.Path, Is.EqualTo("/webrv-at"));
        Assert.That(e.Target.Query, Does.StartWith("width=400&height=300&page_url=https%3A%2F%2Fwww.th"));
        Assert.That(e.ServerIp, Is.EqualTo("3.213.13.94"));
        Assert.That(e.Sni, Is.EqualTo("webrv.rtb-seller.com"));
        Assert.That(e.TlsVersion, Is.EqualTo("TLSv1.2"));
        Assert.That(e.Connection, Is.EqualTo("55f3f726-e179-47d7-b5ce-f6b1b3b832be"));
        Assert.That(e.RequestHeaders[0], Is.EqualTo(new HttpHeader(":authority", "webrv.rtb-seller.com")));
    }

    [Test]
    public void Version_20_HTTP3_flow_has_QUIC_and_the_whole_response_body()
    {
        var e = Http(ReadAll(TestFiles.Capture("mitmproxy/dumpfile-19.mitm"))).Single();
        Assert.That(e.HttpVersion, Is.EqualTo("HTTP/3"));
        Assert.That(e.TlsVersion, Is.EqualTo("QUIC"));
        Assert.That(e.Sni, Is.EqualTo("cloudflare-quic.com"), "the SNI sent upstream, not the client's 'localhost'");
        Assert.That(e.ServerIp, Is.EqualTo("104.22.8.38"));
        Assert.That(e.ResponseBody.Length, Is.EqualTo(125959));
        Assert.That(e.ResponseHeader("content-length"), Is.EqualTo("125959"));
        Assert.That(e.DurationMs, Is.EqualTo((1726927927.799734 - 1726927927.6628444) * 1000).Within(0.001));
    }

    [Test]
    public void Version_11_flows_with_sni_True_get_the_server_name()
    {
        var exchanges = Http(ReadAll(TestFiles.Capture("mitmproxy/dumpfile-7.mitm")));
        Assert.That(exchanges.Select(e => e.Target.Url), Is.All.StartWith("http"));
        Assert.That(exchanges[0].Sni, Is.EqualTo("example.com"));
        Assert.That(exchanges[0].ServerIp, Is.EqualTo("93.184.216.34"));
        Assert.That(exchanges[0].ResponseBody.Length, Is.EqualTo(1256));
    }

    [Test]
    public void Diff_data_flows_equal_the_same_flows_exported_as_HAR()
    {
        var mitm = Http(ReadAll(TestFiles.Capture("mitmproxy/diff_data.mitm")));
        var har = HarReaderTests.ReadAll(TestFiles.Capture("har/diff_data.har")).OfType<ExchangeRead>().Select(r => r.Exchange).ToList();
        Assert.That(mitm, Has.Count.EqualTo(5));
        Assert.That(mitm.Select(e => e.Method), Is.EqualTo(har.Select(e => e.Method)));
        Assert.That(mitm.Select(e => e.Target.Url), Is.EqualTo(har.Select(e => e.Target.Url)));
        Assert.That(mitm.Select(e => e.Status), Is.EqualTo(har.Select(e => e.Status)));
        // HAR writes microseconds; the flow file's float seconds round to the same instant.
        for (var i = 0; i < mitm.Count; i++)
            Assert.That((mitm[i].StartedUtc!.Value - har[i].StartedUtc!.Value).Duration(), Is.LessThan(TimeSpan.FromMilliseconds(0.01)), $"flow {i}");
        Assert.That(mitm[2].Target.Host, Is.EqualTo("s0.2mdn.net"));
        Assert.That(mitm[0].RequestBody.Length, Is.EqualTo(1020));
        Assert.That(mitm[0].HttpVersion, Is.EqualTo("HTTP/2"));
    }

    [Test]
    public void Diff_data_TCP_flows_are_exchanges_with_server_and_bytes_each_way()
    {
        var tcp = Exchanges(ReadAll(TestFiles.Capture("mitmproxy/diff_data.mitm"))).Where(e => e.Kind == ExchangeKind.TcpFlow).ToList();
        Assert.That(tcp.Select(e => e.Ordinal), Is.EqualTo(new[] { 4, 5 }));
        foreach (var e in tcp)
        {
            Assert.That(e.Target.Host, Is.EqualTo("mtalk.google.com"));
            Assert.That(e.Target.Port, Is.EqualTo(5228));
            Assert.That(e.Method, Is.Empty);
            Assert.That(e.ServerIp, Is.EqualTo("142.250.101.188"));
            Assert.That(e.Sni, Is.EqualTo("mtalk.google.com"));
            Assert.That(e.TlsVersion, Is.EqualTo("TLSv1.3"));
            Assert.That(e.RequestBody.Span.IndexOf("mcs.android.com"u8), Is.GreaterThan(0), "client messages are the request bytes");
            Assert.That(e.ResponseBody.Span.IndexOf("user@firebase.com"u8), Is.GreaterThan(0), "server messages are the response bytes");
        }
    }

    [Test]
    public void Upgrade_steps_form_one_chain_from_0_10_to_20()
    {
        var steps = FlowUpgrades.Steps;
        Assert.That(steps[0].From, Is.EqualTo(FlowFormatVersion.Release(0, 10)));
        Assert.That(steps[^1].To, Is.EqualTo(FlowUpgrades.Newest));
        for (var i = 1; i < steps.Length; i++) Assert.That(steps[i].From, Is.EqualTo(steps[i - 1].To), $"step {i}");
        Assert.That(steps.Select(s => s.From).Distinct().Count(), Is.EqualTo(steps.Length));
    }

    [TestCase(0.1)]
    [TestCase(0.37)]
    [TestCase(0.5)]
    [TestCase(0.93)]
    public void Truncated_file_keeps_the_flows_before_the_damage_and_quarantines_one(double fraction)
    {
        var full = File.ReadAllBytes(TestFiles.Capture("mitmproxy/diff_data.mitm"));
        var starts = FlowStarts(full);
        var cut = (int)(full.Length * fraction);
        var damaged = starts.FindLastIndex(s => s <= cut);
        Assume.That(starts[damaged], Is.LessThan(cut), "the cut falls inside a flow");

        var records = ReadAll(full[..cut]);
        var kept = Exchanges(records);
        var whole = Exchanges(ReadAll(full));
        Assert.That(kept.Select(e => e.Ordinal), Is.EqualTo(Enumerable.Range(0, damaged)));
        Assert.That(kept.Select(e => e.Target.Url), Is.EqualTo(whole.Take(damaged).Select(e => e.Target.Url)));
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That(q.Ordinal, Is.EqualTo(damaged));
        Assert.That(q.Location, Is.EqualTo($"flow {damaged} at byte {starts[damaged]}"));
        Assert.That(q.Reason, Does.Contain("file ends"));
    }

    [Test]
    public void File_cut_inside_a_length_prefix_quarantines_that_flow()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("mitmproxy/dumpfile-7.mitm"));
        var second = FlowStarts(full)[1];
        var records = ReadAll(full[..(second + 2)]);
        Assert.That(Exchanges(records), Has.Count.EqualTo(1));
        Assert.That(records.OfType<RecordQuarantined>().Single().Reason, Does.Contain("length prefix"));
    }

    [Test]
    public void Too_long_length_prefix_quarantines_the_flow_and_reading_stops_cleanly()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("mitmproxy/dumpfile-7.mitm"));
        var starts = FlowStarts(full);
        // Flow 0 claims 10 bytes more than it has: it swallows the start of flow 1 and ends on a wrong tag.
        var records = ReadAll(WithLength(full, starts[0], starts[1] - starts[0], delta: 10));
        Assert.That(Exchanges(records), Is.Empty);
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That(q.Ordinal, Is.EqualTo(0));
        Assert.That(q.Reason, Does.Contain("not a flow dictionary"));
        Assert.That(records.OfType<CaptureProblem>().Single().Message, Does.Contain("reading stops"));
    }

    [Test]
    public void Too_short_length_prefix_keeps_the_flows_before_it()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("mitmproxy/diff_data.mitm"));
        var starts = FlowStarts(full);
        var records = ReadAll(WithLength(full, starts[2], starts[3] - starts[2], delta: -7));
        Assert.That(Exchanges(records).Select(e => e.Ordinal), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(records.OfType<RecordQuarantined>().Single().Ordinal, Is.EqualTo(2));
        Assert.That(records.OfType<CaptureProblem>().Single().Severity, Is.EqualTo(Severity.Error));
    }

    [Test]
    public void Absurd_length_prefix_is_not_trusted_with_memory()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("mitmproxy/dumpfile-7.mitm"));
        var starts = FlowStarts(full);
        var damaged = full[..starts[1]].Concat("900000000000:"u8.ToArray()).Concat(full[(starts[1] + full.AsSpan(starts[1]).IndexOf((byte)':') + 1)..]).ToArray();
        var records = ReadAll(damaged);
        Assert.That(Exchanges(records), Has.Count.EqualTo(1));
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That(q.Ordinal, Is.EqualTo(1));
        Assert.That(q.Reason, Does.Contain("over the record limit"));
    }

    [Test]
    public void Flow_over_the_record_limit_is_skipped_and_later_flows_of_other_versions_are_read()
    {
        // Three real files back to back: formats 11, 20 (131 kB) and 10 in one stream.
        var joined = new[] { "dumpfile-7.mitm", "dumpfile-19.mitm", "dumpfile-10.mitm" }
            .SelectMany(f => File.ReadAllBytes(TestFiles.Capture("mitmproxy/" + f))).ToArray();
        var records = ReadAll(joined, ReadLimits.Default with { MaxRecordBytes = 50_000 });
        Assert.That(Exchanges(records).Select(e => e.Ordinal), Is.EqualTo(new[] { 0, 1, 3 }));
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That(q.Ordinal, Is.EqualTo(2));
        Assert.That(q.Reason, Does.Contain("record limit of 50000"));
        Assert.That(Exchanges(records)[2].Target.Host, Is.EqualTo("example.com"));
    }

    [Test]
    public void Body_over_the_body_limit_is_dropped_with_a_warning_and_the_exchange_kept()
    {
        var records = ReadAll(TestFiles.Capture("mitmproxy/dumpfile-19.mitm"), ReadLimits.Default with { MaxBodyBytes = 100_000 });
        var e = Http(records).Single();
        Assert.That(e.ResponseBody.IsEmpty, Is.True);
        Assert.That(e.Status, Is.EqualTo(200));
        Assert.That(records.OfType<CaptureProblem>().Single().Message, Does.Contain("125959 bytes is over the limit"));
    }

    [TestCase("21", "newer than 20")]
    [TestCase("[0, 9, 1]", "0.9 is unknown")]
    [TestCase("\"twenty\"", "no readable format version")]
    public void Unknown_version_is_a_clear_quarantine(string version, string expected)
    {
        var flow = TNet.Dict(("type", TNet.Text("http")), ("version", TNet.Raw(version)));
        var records = ReadAll(flow);
        Assert.That(Exchanges(records), Is.Empty);
        Assert.That(records.OfType<RecordQuarantined>().Single().Reason, Does.Contain(expected));
    }

    [Test]
    public void Non_HTTP_flow_types_are_not_dropped()
    {
        var conn = TNet.Dict(("address", TNet.List(TNet.Text("dns.google"), TNet.Int(443))), ("peername", TNet.List(TNet.Text("8.8.8.8"), TNet.Int(443))), ("id", TNet.Text("s1")));
        var udp = TNet.Dict(("type", TNet.Text("udp")), ("version", TNet.Int(20)), ("server_conn", conn), ("timestamp_created", TNet.Float("1700000000.5")),
            ("messages", TNet.List(TNet.List(TNet.Bool(true), TNet.Bytes("ping"), TNet.Float("1700000000.5")), TNet.List(TNet.Bool(false), TNet.Bytes("pong"), TNet.Float("1700000000.6")))));
        var dns = TNet.Dict(("type", TNet.Text("dns")), ("version", TNet.Int(20)),
            ("request", TNet.Dict(("questions", TNet.List(TNet.Dict(("name", TNet.Text("graph.facebook.com")), ("type", TNet.Int(1))))), ("timestamp", TNet.Float("1700000001.0")))));
        // Before format 12 a WebSocket's messages were a flow of their own, beside the handshake's HTTP flow.
        var websocket = TNet.Dict(("type", TNet.Text("websocket")), ("version", TNet.Int(11)), ("messages", TNet.List()));

        var records = ReadAll([.. udp, .. dns, .. websocket]);
        var exchanges = Exchanges(records);
        Assert.That(exchanges.Select(e => e.Kind), Is.EqualTo(new[] { ExchangeKind.UdpFlow, ExchangeKind.DnsQuery }));
        Assert.That(exchanges[0].Target.Host, Is.EqualTo("dns.google"));
        Assert.That(exchanges[0].ServerIp, Is.EqualTo("8.8.8.8"));
        Assert.That(Encoding.ASCII.GetString(exchanges[0].RequestBody.Span), Is.EqualTo("ping"));
        Assert.That(Encoding.ASCII.GetString(exchanges[0].ResponseBody.Span), Is.EqualTo("pong"));
        Assert.That(exchanges[1].Target.Host, Is.EqualTo("graph.facebook.com"));
        Assert.That(exchanges[1].ServerIp, Is.Null);
        var info = records.OfType<CaptureProblem>().Single();
        Assert.That(info.Severity, Is.EqualTo(Severity.Info));
        Assert.That(info.Message, Does.Contain("flow 2 is a websocket flow"));
    }

    [Test]
    public void Reader_holds_one_flow_at_a_time()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("mitmproxy/diff_data.mitm"));
        var starts = FlowStarts(full);
        var stream = new MemoryStream(full);
        using var records = new MitmproxyReader().Read(stream, ReadLimits.Default).GetEnumerator();
        for (var flow = 0; flow < starts.Count - 1; flow++)
        {
            while (records.MoveNext() && records.Current is not (ExchangeRead or RecordQuarantined)) { }
            Assert.That(stream.Position, Is.EqualTo(starts[flow + 1]), $"after flow {flow} the reader has read exactly up to the next flow");
        }
    }

    [Test]
    public void Recognises_flow_files_by_content_and_leaves_HAR_and_others_alone()
    {
        var reader = new MitmproxyReader();
        foreach (var file in Directory.GetFiles(Path.Combine(TestFiles.Captures, "mitmproxy"), "*.mitm"))
        {
            Assert.That(CaptureFormats.All.Detect(file), Is.InstanceOf<MitmproxyReader>(), file);
        }
        foreach (var file in Directory.GetFiles(Path.Combine(TestFiles.Captures, "har"), "*.har"))
        {
            Assert.That(reader.Recognises(Head(file)), Is.False, file);
            Assert.That(CaptureFormats.All.Detect(file), Is.InstanceOf<HarReader>(), file);
        }
        foreach (var file in Directory.GetFiles(Path.Combine(TestFiles.Captures, "pcap"), "*", SearchOption.AllDirectories))
        {
            Assert.That(reader.Recognises(Head(file)), Is.False, file);
        }
        Assert.That(reader.Recognises("hello world"u8), Is.False);
        Assert.That(reader.Recognises("12345"u8), Is.False);
        Assert.That(reader.Recognises("5:hello,"u8), Is.False, "a lone string is no flow dictionary");
        Assert.That(reader.Recognises(""u8), Is.False);
    }

    [Test]
    public void Not_a_flow_file_gives_one_error_and_no_exchange()
    {
        var records = ReadAll("{\"log\": {}}"u8.ToArray());
        Assert.That(Exchanges(records), Is.Empty);
        Assert.That(records.OfType<CaptureProblem>().Single().Severity, Is.EqualTo(Severity.Error));
    }

    [Test]
    public void Parse_stage_publishes_every_flow_of_diff_data()
    {
        var path = TestFiles.Capture("mitmproxy/diff_data.mitm");
        var file = new CaptureFile(path, "app/diff_data.mitm", "app", new FileInfo(path).Length);
        var outcome = CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default);
        Assert.That(outcome.Capture.Format, Is.EqualTo("mitmproxy"));
        Assert.That(outcome.Capture.ExchangeCount, Is.EqualTo(7));
        Assert.That(outcome.Exchanges.Count(x => x.Kind == "tcp_flow"), Is.EqualTo(2));
        Assert.That(outcome.Quality.Where(q => q.Stage == "parse"), Is.Empty);
        // Only the one HTTP request with an opaque binary body is left for a later decoder; TCP flows are not decoded.
        Assert.That(outcome.Quality.Select(q => q.Location), Is.EqualTo(new[] { "entry 3 request" }));
    }

    private static byte[] Head(string file)
    {
        var head = new byte[CaptureFormats.HeadBytes];
        using var stream = File.OpenRead(file);
        return head[..stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false)];
    }

    /// <summary>The file with the length prefix of the value at <paramref name="start"/> changed by <paramref name="delta"/>.</summary>
    private static byte[] WithLength(byte[] file, int start, int totalLength, int delta)
    {
        var colon = Array.IndexOf(file, (byte)':', start);
        var length = int.Parse(Encoding.ASCII.GetString(file, start, colon - start), CultureInfo.InvariantCulture);
        var prefix = Encoding.ASCII.GetBytes((length + delta).ToString(CultureInfo.InvariantCulture));
        Assume.That(totalLength, Is.EqualTo(colon - start + 1 + length + 1));
        return [.. file[..start], .. prefix, .. file[colon..]];
    }

    /// <summary>A minimal tnetstring writer for hand-made flows (the shared files cover the real shapes).</summary>
    private static class TNet
    {
        public static byte[] Raw(string text) => text switch
        {
            ['[', ..] => List([.. text.Trim('[', ']').Split(", ").Select(p => Int(int.Parse(p, CultureInfo.InvariantCulture)))]),
            ['"', ..] => Text(text.Trim('"')),
            _ => Int(int.Parse(text, CultureInfo.InvariantCulture)),
        };
        public static byte[] Text(string s) => Value(Encoding.UTF8.GetBytes(s), ';');
        public static byte[] Bytes(string s) => Value(Encoding.UTF8.GetBytes(s), ',');
        public static byte[] Int(long i) => Value(Encoding.ASCII.GetBytes(i.ToString(CultureInfo.InvariantCulture)), '#');
        public static byte[] Float(string f) => Value(Encoding.ASCII.GetBytes(f), '^');
        public static byte[] Bool(bool b) => Value(b ? "true"u8.ToArray() : "false"u8.ToArray(), '!');
        public static byte[] List(params byte[][] items) => Value([.. items.SelectMany(i => i)], ']');
        public static byte[] Dict(params (string Key, byte[] Value)[] entries) => Value([.. entries.SelectMany(e => Text(e.Key).Concat(e.Value))], '}');

        private static byte[] Value(byte[] payload, char tag) =>
            [.. Encoding.ASCII.GetBytes(payload.Length.ToString(CultureInfo.InvariantCulture)), (byte)':', .. payload, (byte)tag];
    }
}
