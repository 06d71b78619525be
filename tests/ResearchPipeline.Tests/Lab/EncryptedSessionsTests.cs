using ResearchPipeline.Captures;
using ResearchPipeline.Tests.Captures;
using static ResearchPipeline.Tests.Lab.DemonstrationCorpus;

namespace ResearchPipeline.Tests.Lab;

/// <summary>
/// The corpus's packet captures are the sessions of its HAR and flow files as TLS on the wire, decryptable with the
/// keys the pcapng carries itself: Wireshark, given no key log, reads the same requests out of them as the HAR holds.
/// Both HTTP versions and both TLS versions are in the corpus, so a decrypting reader meets each of them.
/// </summary>
public class EncryptedSessionsTests
{
    private static IEnumerable<TestCaseData> AllSessions() =>
        Sessions().Select(s => new TestCaseData(s).SetArgDisplayNames(Name(s)));

    private sealed record Wire(List<(string Method, string Host)> Requests, bool Http2, string ServerVersion);

    private static readonly Dictionary<string, Wire> Read = new(StringComparer.Ordinal);

    /// <summary>What tshark decrypts from the pcapng with its embedded Decryption Secrets Block and no other keys.</summary>
    private static Wire Decrypted(string session)
    {
        lock (Read)
        {
            if (Read.TryGetValue(session, out var known)) return known;
            var rows = Tshark.Fields(session + ".pcapng", "http.request || http2.type == 1 || tls.handshake.type == 2",
                "http.request.method", "http.host", "http2.headers.method", "http2.headers.authority", "tls.handshake.extensions.supported_version", "tls.handshake.version");
            var requests = new List<(string, string)>();
            var http2 = false;
            var versions = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                // The proxy's CONNECT is the tunnel, not a request of the app.
                if (row[0] is [var method] && method != "CONNECT") requests.Add((method, row[1].Single()));
                for (var i = 0; i < row[2].Length; i++)
                {
                    requests.Add((row[2][i], row[3][i]));
                    http2 = true;
                }
                if (row[5].Length > 0) versions.Add(row[4].Length > 0 ? row[4][0] : row[5][0]);
            }
            return Read[session] = new Wire(requests, http2, string.Join(',', versions));
        }
    }

    [TestCaseSource(nameof(AllSessions))]
    public void The_pcapng_decrypts_with_its_own_keys_to_the_requests_of_the_HAR(string session)
    {
        var har = ReadHar(session).OfType<ExchangeRead>().Select(e => (e.Exchange.Method, e.Exchange.Target.Host)).ToList();
        Assert.That(Decrypted(session).Requests, Is.EqualTo(har));
        Assert.That(new FileInfo(session + ".keylog").Length, Is.GreaterThan(0), "the key log is kept beside the capture");
    }

    [Test]
    public void The_corpus_has_HTTP2_sessions_and_a_TLS_12_session()
    {
        var wires = Sessions().ToDictionary(Name, Decrypted);
        Assert.That(wires.Values.Count(w => w.Http2), Is.GreaterThanOrEqualTo(2), "HTTP/2 sessions");
        Assert.That(wires.Values.Count(w => !w.Http2), Is.GreaterThanOrEqualTo(1), "HTTP/1.1 sessions");
        Assert.That(wires.Values.Count(w => w.ServerVersion == "0x0303"), Is.GreaterThanOrEqualTo(1), "sessions whose every server chose TLS 1.2");
        Assert.That(wires.Values.Count(w => w.ServerVersion == "0x0304"), Is.GreaterThanOrEqualTo(1), "sessions whose every server chose TLS 1.3");
        Assert.That(wires.Values.Where(w => w.Http2).Select(w => w.ServerVersion).Distinct().Order(), Is.EqualTo(new[] { "0x0303", "0x0304" }),
            "HTTP/2 is recorded over both TLS versions");
    }

    private static List<Exchange> Http(ICaptureReader reader, string path)
    {
        using var stream = File.OpenRead(path);
        return reader.Read(stream, ReadLimits.Default).OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.Kind == ExchangeKind.Http && e.Target.Scheme == "https").ToList();
    }

    [TestCaseSource(nameof(AllSessions))]
    public void The_flow_file_names_the_cipher_suite_as_the_decrypted_pcapng_does(string session)
    {
        // The proxy's CONNECT, in clear before the tunnel, is left out. mitmproxy writes OpenSSL's name of a TLS 1.2 suite (ECDHE-RSA-AES128-GCM-SHA256); the column holds the IANA one.
        var flows = Http(new ResearchPipeline.Captures.Mitmproxy.MitmproxyReader(), session + ".mitm").Select(e => e.CipherSuite).Distinct().ToList();
        var wire = Http(new ResearchPipeline.Captures.Pcap.PcapNgReader(), session + ".pcapng").Select(e => e.CipherSuite).Distinct().ToList();
        Assert.That(wire, Has.Count.EqualTo(1).And.None.Null, "the pcapng's connections are decrypted and name their suite");
        Assert.That(flows, Is.EqualTo(wire));
    }
}
