using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Mitmproxy;
using ResearchPipeline.Decoders.Facebook;
using static ResearchPipeline.Tests.Lab.DemonstrationCorpus;

namespace ResearchPipeline.Tests.Lab;

/// <summary>
/// The demonstration corpus was recorded by real mitmproxy, and its ground truth describes exactly the bytes
/// that were recorded: every field the truth names is in the request, and nothing sent to Meta is missing from it.
/// </summary>
public class DemonstrationCorpusTests
{
    private static IEnumerable<TestCaseData> AllSessions() =>
        Sessions().Select(s => new TestCaseData(s).SetArgDisplayNames(Name(s)));

    [Test]
    public void The_corpus_has_at_least_six_apps_on_both_platforms()
    {
        var sessions = Sessions().ToList();
        Assert.That(sessions, Has.Count.GreaterThanOrEqualTo(6));
        var platforms = sessions.Select(s => ReadHar(s).OfType<ExchangeRead>().Select(e => e.Exchange.RequestHeader("User-Agent") ?? "")
            .FirstOrDefault(ua => ua.StartsWith("FB", StringComparison.Ordinal))?.Split('.')[0]).Distinct().Order();
        Assert.That(platforms, Is.EqualTo(new[] { "FBAndroidSDK", "FBiOSSDK" }));
    }

    [TestCaseSource(nameof(AllSessions))]
    public void The_HAR_was_written_by_mitmproxy_har_dump_and_reads_without_problems(string session)
    {
        var records = ReadHar(session);
        Assert.That(records.OfType<CreatorFound>().Single().Name, Is.EqualTo("mitmproxy har_dump"));
        Assert.That(records.OfType<RecordQuarantined>(), Is.Empty);
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Severity == Severity.Error), Is.Empty);
        Assert.That(records.OfType<ExchangeRead>(), Is.Not.Empty);
    }

    [TestCaseSource(nameof(AllSessions))]
    public void The_flow_file_parses_and_holds_the_same_requests_as_the_HAR(string session)
    {
        var records = ReadFlows(session);
        var flows = records.OfType<ExchangeRead>().Select(e => e.Exchange).ToList();
        var exchanges = ReadHar(session).OfType<ExchangeRead>().Select(e => e.Exchange).ToList();
        // Flow format 17 is what mitmproxy 8.x writes (mitmproxy/io/compat.py).
        Assert.That(records.OfType<CreatorFound>().Select(c => c.ToString()).Distinct(), Is.EqualTo(new[] { "mitmproxy flow format 17" }));
        Assert.That(records.OfType<RecordQuarantined>(), Is.Empty);
        Assert.That(flows, Has.Count.EqualTo(exchanges.Count));
        for (var i = 0; i < flows.Count; i++)
        {
            Assert.That(flows[i].Kind, Is.EqualTo(ExchangeKind.Http), $"flow {i}");
            Assert.That(flows[i].Method, Is.EqualTo(exchanges[i].Method), $"flow {i}");
            Assert.That(flows[i].Target.Host, Is.EqualTo(exchanges[i].Target.Host), $"flow {i}");
            // A flow answered inside the proxy has a response and a server connection that never had an address.
            Assert.That(flows[i].Status, Is.Not.Null, $"flow {i}");
            Assert.That(flows[i].ServerIp, Is.Null, "no upstream address: nothing left the machine");
        }
    }

    [TestCaseSource(nameof(AllSessions))]
    public void Meta_bodies_are_gzip_in_the_flow_file_and_decoded_by_har_dump(string session)
    {
        var flows = ReadFlows(session).OfType<ExchangeRead>().Select(e => e.Exchange).ToList();
        var exchanges = ReadHar(session).OfType<ExchangeRead>().Select(e => e.Exchange).ToList();
        var posts = Enumerable.Range(0, flows.Count).Where(i => exchanges[i].Method == "POST" && IsMeta(exchanges[i].Target.Host)).ToList();
        Assert.That(posts, Is.Not.Empty);
        foreach (var i in posts)
        {
            var raw = flows[i].RequestBody.ToArray();
            Assert.That(raw[..2], Is.EqualTo(new byte[] { 0x1f, 0x8b }), $"flow {i} keeps the gzip body as sent");
            Assert.That(exchanges[i].RequestHeader("Content-Encoding"), Is.EqualTo("gzip"));
            // har_dump.py stores request.get_text(), which undoes Content-Encoding but keeps the header.
            Assert.That(exchanges[i].RequestBody.Span[0], Is.AnyOf((byte)'{', (byte)'a', (byte)'f'), $"entry {i} holds the decoded text");
        }
    }

    [TestCaseSource(nameof(AllSessions))]
    public void The_truth_lists_exactly_the_fields_of_every_request_to_Meta(string session)
    {
        var exchanges = ReadHar(session).OfType<ExchangeRead>().Select(e => e.Exchange).ToList();
        var truth = Truth(session);
        Assert.That(truth.Select(t => t.App).Distinct().Count(), Is.EqualTo(1));
        Assert.That(truth.Select(t => t.Location).Distinct(), Is.SubsetOf(new[] { "query", "body" }));
        for (var i = 0; i < exchanges.Count; i++)
        {
            var expected = truth.Where(t => t.Request == i).Select(t => (t.Location, t.KeyPath, t.Value)).ToHashSet();
            if (!IsMeta(exchanges[i].Target.Host))
            {
                Assert.That(expected, Is.Empty, $"request {i} to {exchanges[i].Target.Host} has no truth");
                continue;
            }
            var sent = Leaves(exchanges[i]);
            Assert.That(sent.Except(expected), Is.Empty, $"request {i}: sent but not in the truth");
            Assert.That(expected.Except(sent), Is.Empty, $"request {i}: in the truth but not sent");
        }
        Assert.That(truth.Max(t => t.Request), Is.LessThan(exchanges.Count));
    }

    [Test]
    public void The_consent_first_app_contacts_no_Meta_host_before_its_consent_decision()
    {
        var exchanges = ReadHar(Sessions().Single(s => Name(s).StartsWith("calmnest"))).OfType<ExchangeRead>().Select(e => e.Exchange).ToList();
        var decision = exchanges.FindIndex(e => e.Method == "POST" && e.Target.Path == "/v1/decision");
        Assert.That(decision, Is.GreaterThan(0));
        Assert.That(exchanges.Take(decision + 1).Select(e => e.Target.Host), Has.None.Matches<string>(IsMeta));
        Assert.That(exchanges.Skip(decision + 1).Select(e => e.Target.Host), Has.Some.Matches<string>(IsMeta));
    }

    [Test]
    public void The_consent_refusing_app_sends_the_advertising_ID_only_before_the_refusal()
    {
        var truth = Truth(Sessions().Single(s => Name(s).StartsWith("weatherly")));
        var refusal = truth.First(t => t.KeyPath == "advertiser_id_collection_enabled" && t.Value == "false").Request;
        var withId = truth.Where(t => t.Semantic == "device.advertising_id").Select(t => t.Request).Distinct().ToList();
        Assert.That(withId, Is.Not.Empty);
        Assert.That(withId, Is.All.LessThan(refusal));
    }

    [Test]
    public void The_Zoom_reconstruction_sends_the_device_profile_and_IDFA_on_every_open()
    {
        var truth = Truth(Sessions().Single(s => Name(s).StartsWith("meetly")));
        var opens = truth.Where(t => t.Semantic == "event.name" && t.Value == "fb_mobile_activate_app").Select(t => (t.Request, Prefix: t.KeyPath[..t.KeyPath.IndexOf("custom_events", StringComparison.Ordinal)])).ToList();
        Assert.That(opens, Has.Count.EqualTo(2));
        string[] profile = ["device.model", "os.version", "timezone.name", "carrier", "screen.width", "device.cpu_cores", "disk.total_gb", "device.advertising_id"];
        foreach (var (request, prefix) in opens)
        {
            var sent = truth.Where(t => t.Request == request && t.KeyPath.StartsWith(prefix, StringComparison.Ordinal)).Select(t => t.Semantic);
            Assert.That(profile, Is.SubsetOf(sent), $"request {request}");
        }
        Assert.That(truth.Where(t => t.Semantic == "sdk.kit_included").Select(t => t.KeyPath.Split('.')[^1]).Order(),
            Is.EqualTo(new[] { "core_lib_included", "login_lib_included" }), "the app links only the login kit");
    }

    [Test]
    public void iOS_SDK_17_and_later_send_minus_one_disks_as_placeholders()
    {
        var truth = Sessions().Where(s => Name(s).StartsWith("shopcart") || Name(s).StartsWith("calmnest")).SelectMany(Truth).ToList();
        var disks = truth.Where(t => t.KeyPath.EndsWith("extinfo[13]", StringComparison.Ordinal) || t.KeyPath.EndsWith("extinfo[14]", StringComparison.Ordinal)).ToList();
        Assert.That(disks, Is.Not.Empty);
        Assert.That(disks.Select(d => (d.Semantic, d.Value, d.NotSent)).Distinct().Order(),
            Is.EqualTo(new[] { ("disk.free_gb", "-1", true), ("disk.total_gb", "-1", true) }));
        var others = Sessions().Where(s => !Name(s).StartsWith("shopcart") && !Name(s).StartsWith("calmnest")).SelectMany(Truth).ToList();
        Assert.That(others.Where(t => t.Semantic.StartsWith("disk.", StringComparison.Ordinal)).Select(t => t.NotSent), Is.Not.Empty.And.All.False,
            "iOS SDK 5 and every Android SDK send real disk sizes");
    }

    [Test]
    public void Placeholders_are_only_the_minus_one_disks_and_the_empty_ud()
    {
        var placeholders = Sessions().SelectMany(Truth).Where(t => t.NotSent).Select(t => (t.Semantic, t.Value)).Distinct().Order();
        Assert.That(placeholders, Is.EqualTo(new[] { ("disk.free_gb", "-1"), ("disk.total_gb", "-1"), ("user_data.hashed", "{}") }));
    }

    [Test]
    public void The_truth_names_every_field_in_the_decoder_dictionary_vocabulary()
    {
        // The lab chooses each field's name from its own script; the names must be the published vocabulary.
        var vocabulary = FacebookAdapter.LoadSemantics().Rules.Select(r => r.Meaning.Name).ToHashSet(StringComparer.Ordinal);
        var used = Sessions().SelectMany(Truth).Select(t => t.Semantic).Distinct().Order(StringComparer.Ordinal).ToList();
        Assert.That(used, Has.Count.GreaterThan(40));
        Assert.That(used.Where(u => !vocabulary.Contains(u)), Is.Empty);
    }

    private static List<CaptureRecord> ReadFlows(string session)
    {
        using var stream = File.OpenRead(session + ".mitm");
        return new MitmproxyReader().Read(stream, ReadLimits.Default).ToList();
    }
}
