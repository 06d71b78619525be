using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Captures.Mitmproxy;
using ResearchPipeline.Captures.Pcap;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;
using static ResearchPipeline.Tests.Lab.DemonstrationCorpus;

using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Lab;

/// <summary>
/// The packet capture of every demonstration session, decrypted with the keys it carries (its Decryption Secrets
/// Block and the key log beside it), yields the requests to Meta and the payload fields (key path, value,
/// semantic) of the session's .har and .mitm, and every one of the lab's ground-truth fields.
/// </summary>
public class PacketCaptureTruthTests
{
    private static IEnumerable<TestCaseData> AllSessions() =>
        Sessions().Select(s => new TestCaseData(s).SetArgDisplayNames(Name(s)));

    /// <summary>A published payload field of a Meta request, by the request's position among the session's requests.</summary>
    private sealed record Field(int Request, string Location, string KeyPath, string? Value, string ValueType, string? Semantic);

    /// <summary>The HTTP requests of a capture in request order; a packet capture's CONNECTs to the proxy are the tunnels, not requests.</summary>
    private static List<Exchange> Requests(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.Kind == ExchangeKind.Http && e.Method != "CONNECT").OrderBy(e => e.Ordinal).ToList();

    private static List<Field> MetaFields(List<Exchange> requests)
    {
        var fields = new List<Field>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (!IsMeta(requests[i].Target.Host)) continue;
            var decoded = TrackerDecoders.All.Decode(requests[i], DecodeLimits.From(ReadLimits.Default));
            var captureId = new string('0', 64);
            var rows = new PayloadFieldRows(decoded, ExchangeRows.ExchangeId(captureId, requests[i].Ordinal), captureId, "app", requests[i].Ordinal).Redact().ToRows();
            fields.AddRange(rows
                .Where(r => r.Location is "query" or "body")
                .Select(r => new Field(i, r.Location, r.KeyPath, r.Value, r.ValueType, r.Semantic)));
        }
        return fields;
    }

    private static List<CaptureRecord> Read(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = CaptureFormats.All.Detect(path)!;
        return reader.Read(stream, ReadLimits.Default).ToList();
    }

    [TestCaseSource(nameof(AllSessions))]
    public void The_packet_capture_yields_the_Meta_requests_and_fields_of_the_HAR_and_the_flow_file(string session)
    {
        var records = Read(session + ".pcapng");
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Severity != Severity.Info).Select(p => $"{p.Location}: {p.Message}"), Is.Empty, "the capture decrypts and reads without problems");
        var packets = Requests(records);
        var har = Requests(ReadHar(session));
        var flows = Requests(Read(session + ".mitm"));

        string Line(Exchange e) => $"{e.Method} {e.Target.Host} {e.Target.Path} {e.Target.Query}";
        Assert.That(packets.Select(Line), Is.EqualTo(har.Select(Line)), "the same requests in the same order as the HAR");
        Assert.That(packets.Where(e => IsMeta(e.Target.Host)).Select(e => (e.Target.Scheme, e.Sni == e.Target.Host, e.TlsVersion is not null, e.CipherSuite is not null)).Distinct(),
            Is.EqualTo(new[] { ("https", true, true, true) }), "requests to Meta carry scheme, SNI, TLS version and cipher suite");

        var fromPackets = MetaFields(packets);
        Assert.That(fromPackets, Is.Not.Empty);
        Assert.That(fromPackets, Is.EqualTo(MetaFields(har)), "payload fields equal the HAR's");
        Assert.That(fromPackets, Is.EqualTo(MetaFields(flows)), "payload fields equal the flow file's");

        // Against the lab's truth: every field sent is found with its semantic and value (secrets as the tables
        // publish them, behind their marker), and nothing else is reported.
        var truth = Truth(session).ToDictionary(t => (t.Request, t.Location, t.KeyPath));
        var reported = fromPackets.ToDictionary(f => (f.Request, f.Location, f.KeyPath));
        var wrong = reported.Values.Where(f => !truth.TryGetValue((f.Request, f.Location, f.KeyPath), out var t) || t.Semantic != f.Semantic
            || (f.ValueType == ValueTypes.NotSent) != t.NotSent || f.Value != SecretRedaction.RedactValue(t.KeyPath, t.Value))
            .Select(f => $"#{f.Request} {f.Location} {f.KeyPath} = {f.Value} ({f.Semantic})").ToList();
        var missed = truth.Keys.Where(k => !reported.ContainsKey(k)).Select(k => $"#{k.Request} {k.Location} {k.KeyPath}").ToList();
        Assert.That(wrong, Is.Empty, "precision 100%: every reported field is a truth field with its semantic and value");
        Assert.That(missed, Is.Empty, "recall 100%: every truth field is reported");
    }
}
