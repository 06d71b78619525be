using System.Diagnostics;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Captures.Pcap.Tls;

namespace ResearchPipeline.Tests.Captures.Tls;

/// <summary>
/// TLS decryption against Wireshark: the shared TLS 1.2 and 1.3 captures, decrypted with their key logs,
/// give exactly the application bytes tshark's "follow tls" gives for every TCP stream; the HTTP/2 capture
/// with its keys in a Decryption Secrets Block gives the requests tshark's HTTP/2 dissector reads.
/// </summary>
public class TlsDecryptionTests
{
    /// <summary>Both directions' decrypted application bytes of every TCP connection, in first-packet order.</summary>
    internal static List<(byte[] Client, byte[] Server)> DecryptedStreams(string capture, TlsKeyLog keys, bool raw = false)
    {
        using var stream = File.OpenRead(capture);
        var head = new byte[12];
        stream.ReadExactly(head);
        stream.Position = 0;
        var items = PcapNgContainer.Recognises(head) ? PcapNgContainer.Read(stream) : PcapContainer.Read(stream);
        var connections = new Dictionary<(Endpoint, Endpoint), Follow>();
        var order = new List<Follow>();
        foreach (var item in items)
        {
            if (item.Frame is null) continue;
            var decoded = PacketDecoder.Decode(item.Frame, item.Data);
            if (decoded.Segment is not { Transport: Transport.Tcp } segment) continue;
            var key = segment.Source.CompareTo(segment.Destination) <= 0 ? (segment.Source, segment.Destination) : (segment.Destination, segment.Source);
            var syn = (segment.Flags & TcpFlags.Syn) != 0;
            if (!connections.TryGetValue(key, out var follow))
            {
                if (segment.Payload.Length == 0 && !syn) continue;
                follow = new Follow(keys, syn && (segment.Flags & TcpFlags.Ack) != 0 ? segment.Destination : segment.Source, raw);
                connections[key] = follow;
                order.Add(follow);
            }
            var toServer = segment.Source == follow.ClientEnd;
            var direction = toServer ? follow.ToServer : follow.ToClient;
            var sequence = segment.Sequence;
            if (syn)
            {
                direction.Syn(sequence);
                sequence++;
            }
            direction.Segment(sequence, segment.Payload.Span, segment.MissingBytes, false, item.Frame);
        }
        return order.Select(f => (f.Client.ToArray(), f.Server.ToArray())).ToList();
    }

    private sealed class Follow : ITlsApplication
    {
        public Follow(TlsKeyLog keys, Endpoint client, bool raw)
        {
            Raw = raw;
            ClientEnd = client;
            Session = new TlsSession(keys, (_, _, message, _) => Problems.Add(message)) { Application = this };
            ToServer = new TcpReassembler(new Sink(this, true), 1 << 20);
            ToClient = new TcpReassembler(new Sink(this, false), 1 << 20);
        }

        public Endpoint ClientEnd { get; }
        /// <summary>Collect the TCP stream's own bytes rather than the decrypted ones.</summary>
        public bool Raw { get; }
        public TlsSession Session { get; }
        public TcpReassembler ToServer { get; }
        public TcpReassembler ToClient { get; }
        public MemoryStream Client { get; } = new();
        public MemoryStream Server { get; } = new();
        public List<string> Problems { get; } = [];

        public void Data(bool toServer, ReadOnlySpan<byte> bytes, Frame frame) => (toServer ? Client : Server).Write(bytes);
        public void Gap(bool toServer, long bytes, Frame frame, long? recordPlaintext) => Problems.Add($"gap {bytes}");
        public void Resumed(bool toServer, long? lostPlaintext, Frame frame) => Problems.Add($"resumed {lostPlaintext}");

        private sealed class Sink(Follow follow, bool toServer) : IStreamSink
        {
            public void Data(ReadOnlySpan<byte> bytes, Frame frame)
            {
                if (follow.Raw) (toServer ? follow.Client : follow.Server).Write(bytes);
                else follow.Session.Feed(toServer, bytes, frame);
            }
            public void Gap(long bytes, Frame frame) => follow.Session.Gap(toServer, bytes, frame);
        }
    }

    internal static TlsKeyLog KeyLog(string path)
    {
        var keys = new TlsKeyLog();
        keys.Add(File.ReadAllBytes(path));
        return keys;
    }

    /// <summary>tshark's "follow tls raw" of one TCP stream: node 0's bytes (unindented lines) and node 1's (indented).</summary>
    internal static (byte[] Node0, byte[] Node1) TsharkFollow(string capture, string keylog, int stream)
    {
        var start = new ProcessStartInfo(Tshark.Path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", "-r", capture, "-o", $"tls.keylog_file:{keylog}", "-q", "-z", $"follow,tls,raw,{stream}" }) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) Assert.Fail($"tshark failed on {capture}: {stderr.Result}");
        var node0 = new MemoryStream();
        var node1 = new MemoryStream();
        var body = output.Split("===================================================================")[1];
        foreach (var line in body.Split('\n'))
        {
            if (line.Length == 0 || line.StartsWith("Follow:", StringComparison.Ordinal) || line.StartsWith("Filter:", StringComparison.Ordinal) || line.StartsWith("Node ", StringComparison.Ordinal)) continue;
            var indented = line.StartsWith('\t');
            (indented ? node1 : node0).Write(Convert.FromHexString(line.Trim()));
        }
        return (node0.ToArray(), node1.ToArray());
    }

    [TestCase("pcap/tls12/capture.pcap", "TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")]
    [TestCase("pcap/tls13/capture.pcap", "TLS 1.3", "TLS_AES_256_GCM_SHA384")]
    public void Decrypts_to_the_application_bytes_tshark_follows(string file, string version, string suite)
    {
        var capture = TestFiles.Capture(file);
        var keylog = Path.Combine(Path.GetDirectoryName(capture)!, "keylog.txt");
        var streams = DecryptedStreams(capture, KeyLog(keylog));
        Assert.That(streams, Is.Not.Empty);
        for (var i = 0; i < streams.Count; i++)
        {
            var (node0, node1) = TsharkFollow(capture, keylog, i);
            // tshark's node 0 is whichever end sent application data first; both directions must match as a pair.
            var ours = new[] { streams[i].Client, streams[i].Server };
            Assert.That(ours.Sum(b => b.Length), Is.GreaterThan(0), $"stream {i} decrypted");
            Assert.That(new[] { node0, node1 }, Is.EquivalentTo(ours), $"stream {i}: decrypted bytes equal tshark's follow tls");
        }

        var exchanges = PcapReaderTests.Read(File.OpenRead(capture), null, KeyLog(keylog)).OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.Kind == ExchangeKind.TlsFlow).ToList();
        Assert.That(exchanges.Select(e => (e.TlsVersion, e.CipherSuite)).Distinct(), Is.EqualTo(new[] { (version, suite) }));
    }

    [Test]
    public void Without_keys_the_connection_stays_an_encrypted_flow_and_is_counted()
    {
        var records = PcapReaderTests.ReadAll(TestFiles.Capture("pcap/tls13/capture.pcap"));
        var flows = records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();
        Assert.That(flows.Select(e => e.Kind).Distinct(), Is.EqualTo(new[] { ExchangeKind.TlsFlow }));
        Assert.That(flows[0].CipherSuite, Is.EqualTo("TLS_AES_256_GCM_SHA384"));
        Assert.That(records.OfType<CaptureProblem>().Select(p => p.Message), Has.Some.Contains("1 of 1 TLS connections have no secrets in the key log"));
    }

    [Test]
    public void HTTP2_requests_decrypted_with_the_secrets_block_equal_tsharks()
    {
        var capture = TestFiles.Capture("pcap/ja4/http2-with-cookies.pcapng");
        var rows = Tshark.Fields(capture, "http2.headers.method", "http2.headers.method", "http2.headers.authority", "http2.headers.path");
        var expected = rows.SelectMany(r => r[0].Select((m, i) => $"{m} {r[1][i]} {r[2][i]}")).ToList();
        Assert.That(expected, Has.Count.GreaterThan(10), "tshark reads the HTTP/2 requests with the capture's own secrets");

        var records = PcapReaderTests.ReadAll(capture);
        var http2 = records.OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.HttpVersion == "HTTP/2").OrderBy(e => e.Ordinal).ToList();
        var ours = http2.Select(e => $"{e.Method} {e.Target.Host} {e.Target.Path}{(e.Target.Query.Length > 0 ? "?" + e.Target.Query : "")}").ToList();
        Assert.That(ours, Is.EqualTo(expected), "HTTP/2 requests (method, :authority, :path) in stream order");
        Assert.That(http2.Select(e => (e.Target.Scheme, e.TlsVersion, e.CipherSuite)).Distinct(), Is.EqualTo(new[] { ("https", "TLS 1.3", "TLS_AES_128_GCM_SHA256") }));
        Assert.That(http2.Where(e => e.Status is null), Is.Empty, "every stream has its response");
        Assert.That(http2.Select(e => e.Sni).Distinct().Count(), Is.GreaterThanOrEqualTo(1));
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Severity != Severity.Info).Select(p => $"{p.Location}: {p.Message}"), Is.Empty);
    }
}
