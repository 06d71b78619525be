using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Pcap;

namespace ResearchPipeline.Tests.Captures;

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

    private static List<CaptureRecord> Read(Stream stream, ReadLimits? limits)
    {
        Span<byte> head = stackalloc byte[64];
        var n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        stream.Position = 0;
        var reader = CaptureFormats.All.Detect(head[..n]);
        Assert.That(reader, Is.InstanceOf<PacketCaptureReader>(), "detected as a packet capture");
        return reader!.Read(stream, limits ?? ReadLimits.Default).ToList();
    }

    private static List<Exchange> Exchanges(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    // A target ending in a bare '?' has an empty query, which the exchanges publish as no query.
    private static string WithoutEmptyQuery(string uri) => uri.EndsWith('?') ? uri[..^1] : uri;

    private static string Uri(Exchange e) => e.Target.Path + (e.Target.Query.Length > 0 ? "?" + e.Target.Query : "");

    [TestCaseSource(nameof(SharedCaptures))]
    public void Http_requests_server_names_and_DNS_names_equal_tsharks(string file)
    {
        var path = TestFiles.Shared(file);
        var rows = Tshark.Fields(path, "http.request || tls.handshake.extensions_server_name || dns.qry.name",
            "http.request.method", "http.host", "http.request.uri", "tls.handshake.extensions_server_name", "dns.qry.name");
        var expectedHttp = rows.Where(r => r[0].Length > 0)
            .SelectMany(r => r[0].Select((m, i) => $"{m} {(i < r[1].Length ? r[1][i] : "")} {(i < r[2].Length ? WithoutEmptyQuery(r[2][i]) : "")}"))
            .Order(StringComparer.Ordinal).ToList();
        var expectedSni = rows.SelectMany(r => r[3]).ToHashSet();
        var expectedDns = rows.SelectMany(r => r[4]).Select(n => n.ToLowerInvariant()).ToHashSet();

        var exchanges = Exchanges(ReadAll(path));
        var http = exchanges.Where(e => e.Kind == ExchangeKind.Http)
            .Select(e => $"{e.Method} {e.RequestHeader("Host") ?? ""} {Uri(e)}").Order(StringComparer.Ordinal).ToList();
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
