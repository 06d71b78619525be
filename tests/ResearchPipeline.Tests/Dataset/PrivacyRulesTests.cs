using System.Text.Json;
using System.Text.RegularExpressions;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;
using ResearchPipeline.Tests.Cli;

using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>
/// The privacy rules of issue 18, each on the real capture that shows its case: the New York Times home page
/// (WebPageTest HAR, 2015: ad exchanges, a session cookie sent again percent-encoded, a timestamp cookie,
/// UUIDs under keys no adapter knows) and QuizDuel for Android (Facebook SDK).
/// </summary>
public class PrivacyRulesTests
{
    private const string NyTimes = "har/www.nytimes.com.har";

    private static readonly Lazy<Task<(string Output, RunSummary Summary)>> NyTimesRun = new(async () =>
    {
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "nytimes"));
        File.Copy(TestFiles.Capture(NyTimes), Path.Combine(raw, "nytimes", "home.har"));
        var output = TestFiles.NewTempFolder("out");
        var summary = await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 2, ReadLimits.Default) { Publication = new PublicationOptions() });
        return (output, summary);
    });

    /// <summary>The request cookies of the capture's entries, by entry index: (name, value) as the browser sent them.</summary>
    private static List<(int Entry, string Name, string Value)> RequestCookies(string har)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(har));
        var found = new List<(int, string, string)>();
        var i = 0;
        foreach (var entry in doc.RootElement.GetProperty("log").GetProperty("entries").EnumerateArray())
        {
            foreach (var h in entry.GetProperty("request").GetProperty("headers").EnumerateArray())
            {
                if (!h.GetProperty("name").GetString()!.Equals("Cookie", StringComparison.OrdinalIgnoreCase)) continue;
                foreach (var pair in h.GetProperty("value").GetString()!.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    var eq = pair.IndexOf('=');
                    found.Add(eq < 0 ? (i, "", pair) : (i, pair[..eq], pair[(eq + 1)..]));
                }
            }
            i++;
        }
        return found;
    }

    private static List<Exchange> Exchanges(string path)
    {
        var reader = CaptureFormats.All.Detect(path)!;
        using var stream = File.OpenRead(path);
        return reader.Read(stream, ReadLimits.Default).OfType<ExchangeRead>().Select(r => r.Exchange).ToList();
    }

    [Test]
    public async Task A_session_cookie_sent_again_percent_encoded_in_another_requests_query_is_not_published()
    {
        // Chartbeat's _chartbeat4 cookie ("t=DFNY...&E=5&...") is sent back as the z parameter of its ping, percent-encoded.
        var cookie = RequestCookies(TestFiles.Capture(NyTimes)).First(c => c.Name == "_chartbeat4").Value;
        var encoded = Uri.EscapeDataString(cookie);
        Assert.That(File.ReadAllText(TestFiles.Capture(NyTimes)), Does.Contain("z=" + encoded), "the capture shows the case");

        var (output, summary) = await NyTimesRun.Value;
        Assert.That(summary.Leaks, Is.Empty);
        Assert.That(PublishedFiles.WhereIs(output, encoded), Is.Empty);
        Assert.That(PublishedFiles.WhereIs(output, cookie), Is.Empty);
        using var db = StudyRunnerTests.OpenDuckDb();
        var pings = StudyRunnerTests.Query(db, $"select query from read_parquet('{output}/exchanges.parquet') where host = 'pnytimes.chartbeat.net' and query like '%&z=%'");
        Assert.That(pings, Is.Not.Empty);
        Assert.That(pings.Select(r => (string)r[0]!), Is.All.Contains("&z=[redacted:cookie]&"));
    }

    [Test]
    public void The_publication_check_finds_a_secret_in_each_encoding_the_decoder_undoes()
    {
        var cookie = RequestCookies(TestFiles.Capture(NyTimes)).First(c => c.Name == "_chartbeat4").Value;
        var check = new Pseudonymiser(StudyKey.Demonstration, true, [], [new SensitiveValue(SensitiveKind.Secret, "cookie", cookie), new SensitiveValue(SensitiveKind.Secret, "cookie", cookie + " x")]);
        var forms = new Dictionary<string, string>
        {
            ["percent-encoded"] = "h=nytimes.com&z=" + Uri.EscapeDataString(cookie) + "&i=The",
            ["form-encoded"] = "h=nytimes.com&z=" + Uri.EscapeDataString(cookie + " x").Replace("%20", "+") + "&i=The",
            ["JSON-escaped"] = "{\"z\":" + JsonSerializer.Serialize(cookie) + "}",
            ["base64"] = "state=" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(cookie)),
        };
        foreach (var (encoding, text) in forms)
        {
            Assert.That(check.Leaks(System.Text.Encoding.UTF8.GetBytes(text), out var what), Is.True, encoding);
            Assert.That(what, Is.EqualTo(encoding == "JSON-escaped" && !text.Contains("\\u") ? "a secret (cookie)" : $"a secret (cookie, {encoding})"), encoding);
            Assert.That(check.Text(text), Does.Contain("[redacted:cookie]"), encoding);
            Assert.That(check.Leaks(check.Text(text)!), Is.False, encoding);
        }
    }

    [Test]
    public async Task A_timestamp_cookie_is_not_searched_for_inside_other_values_and_no_marker_stands_inside_a_word()
    {
        // The capture's cookie c=1440877502 (seconds of the visit) is also the start of lr_uid=3.1440877502042.2856...
        var cookies = RequestCookies(TestFiles.Capture(NyTimes));
        var timestamp = cookies.First(c => c.Name == "c" && Regex.IsMatch(c.Value, @"^1\d{9}$")).Value;
        Assert.That(cookies.Any(c => c.Name == "lr_uid" && c.Value.Contains("." + timestamp, StringComparison.Ordinal) && c.Value.Length > timestamp.Length + 5), "the capture shows the case");

        var seen = Exchanges(TestFiles.Capture(NyTimes)).SelectMany(OneReading.Sensitive).ToList();
        Assert.That(seen.Select(v => v.Value), Does.Not.Contain(timestamp), "a timestamp is not a secret to search for elsewhere");
        Assert.That(seen, Is.Not.Empty);

        var (output, _) = await NyTimesRun.Value;
        var inside = PublishedFiles.AllStrings(output)
            // An escape (%27 before a quoted value) is a boundary: its hex digits are not part of the value.
            .Where(c => Regex.IsMatch(Regex.Replace(c.Value, "%[0-9A-Fa-f]{2}", " "), @"[A-Za-z0-9]\[redacted:|\[redacted:[a-z0-9_.-]+\][A-Za-z0-9]")).ToList();
        Assert.That(inside.Select(c => $"{c.File}:{c.Column}: {c.Value}"), Is.Empty);
        using var db = StudyRunnerTests.OpenDuckDb();
        var cookieValues = StudyRunnerTests.Query(db, $"select distinct value from read_parquet('{output}/payload_fields.parquet') where location = 'cookie' and value <> ''");
        Assert.That(cookieValues.Select(r => (string)r[0]!), Is.EqualTo(new[] { "[redacted:cookie]" }), "a cookie is replaced whole, short or common as its value may be");
    }

    [Test]
    public void A_seen_secret_is_replaced_as_a_whole_token_never_inside_a_longer_one()
    {
        var check = new Pseudonymiser(StudyKey.Demonstration, true, [], [new SensitiveValue(SensitiveKind.Secret, "cookie", "786792932447527911")]);
        Assert.That(check.Text("setuids('786792932447527911','')"), Is.EqualTo("setuids('[redacted:cookie]','')"));
        Assert.That(check.Text("ta_partner_did=786792932447527911&x=1"), Is.EqualTo("ta_partner_did=[redacted:cookie]&x=1"));
        Assert.That(check.Text("n=97867929324475279115"), Is.EqualTo("n=97867929324475279115"), "a longer number is another number");
        Assert.That(check.Leaks("n=97867929324475279115"), Is.False);
    }

    [Test]
    public async Task UUIDs_and_random_tokens_under_keys_no_adapter_knows_are_pseudonymised_in_every_column()
    {
        var (output, summary) = await NyTimesRun.Value;
        Assert.That(summary.Leaks, Is.Empty);
        // Krux's page view ID and a WebTrends visitor ID: a UUID under a key no adapter names.
        foreach (var (key, value) in new[] { ("_kpid", "79816aa8-435a-471a-be83-4b3e0946daf2"), ("WT.vtid", "2fc0d808-4b15-4bf8-9e25-591e55e450dc") })
        {
            Assert.That(File.ReadAllText(TestFiles.Capture(NyTimes)), Does.Contain($"{key}={value}"), "the capture shows the case");
            Assert.That(PublishedFiles.WhereIs(output, value), Is.Empty, key);
            var pseudonym = new Pseudonymiser(StudyKey.Demonstration, true, [], []).Pseudonym(value);
            using var db = StudyRunnerTests.OpenDuckDb();
            var fields = StudyRunnerTests.Query(db, $"select distinct value, semantic from read_parquet('{output}/payload_fields.parquet') where key_path = '{key}'");
            Assert.That(fields.Select(r => (r[0], r[1])), Is.EqualTo(new[] { ((object?)pseudonym, (object?)null) }), key);
            var queries = StudyRunnerTests.Query(db, $"select count(*) from read_parquet('{output}/exchanges.parquet') where query like '%{key}={pseudonym}%'");
            Assert.That(queries[0][0], Is.GreaterThan(0), $"{key}: the exchange's query carries the same pseudonym");
        }
    }

    [TestCase("sha256", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", false)]
    [TestCase("build_uuid", "5eddb9ca-88c9-4c34-a9ae-2680df2a7de7", false)]
    [TestCase("callback", "jQuery214006422341475263238_1440859440357", false)]
    [TestCase("device_key", "5eddb9ca-88c9-4c34-a9ae-2680df2a7de7", true)]
    [TestCase("ses", "1eb85142bd904f53b85e95a99419f3d9", true)]
    [TestCase("google_gid", "CAESELsCLneD2HlVN85DPb-ssuU", true)]
    [TestCase("event", "ApplicationDidBecomeActive", false)]
    [TestCase("v", "20150828-152658", false)]
    [TestCase("n", "0000000000000000000001", false)]
    public void An_identifier_shape_is_pseudonymised_unless_an_exemption_with_a_reason_covers_its_key(string key, string value, bool pseudonymised)
    {
        Assert.That(IdentifierShapes.Pseudonymise(key, value), Is.EqualTo(pseudonymised));
        foreach (var e in IdentifierShapes.Exemptions) Assert.That(e.Reason, Is.Not.Empty);
    }

    [Test]
    public void A_key_is_exempt_by_its_last_key_whatever_was_asked_before()
    {
        var hash = IdentifierShapes.Exemptions[0];
        foreach (var _ in Enumerable.Range(0, 2))
        {
            Assert.That(IdentifierShapes.Exemption("files[0].sha256"), Is.SameAs(hash));
            Assert.That(IdentifierShapes.Exemption("meta.SHA256"), Is.SameAs(hash), "exemptions ignore case");
            Assert.That(IdentifierShapes.Exemption("sha2560"), Is.Null, "a longer key is another key");
            Assert.That(IdentifierShapes.Exemption("sha25"), Is.Null);
            Assert.That(IdentifierShapes.Exemption("a/b/request_id"), Is.SameAs(IdentifierShapes.Exemptions[2]));
            Assert.That(IdentifierShapes.Exemption("device_key"), Is.Null);
        }
    }

    [Test]
    public void A_field_an_adapter_files_under_identifier_is_pseudonymised_wherever_else_its_value_is_published()
    {
        // QuizDuel's Facebook SDK sends a session UUID as custom_events[0]._session_id: no parameter name marks
        // it; the semantic dictionary's category (identifier) does.
        var exchanges = Exchanges(TestFiles.Capture("har/quizduel-android.har"));
        var decoded = exchanges.Select(e => TrackerDecoders.All.Decode(e, DecodeLimits.Default)).ToList();
        var session = decoded.SelectMany(d => d.Fields).First(f => f.Semantic?.Name == "event.session_id");
        Assert.That(session.Semantic!.Category, Is.EqualTo("identifier"));
        Assert.That(SensitiveValues.IsIdentifier("_session_id"), Is.False, "the parameter name alone would not say so");

        var seen = new List<SensitiveValue>();
        foreach (var d in decoded) SensitiveValues.AddIn(d, seen);
        Assert.That(seen, Does.Contain(new SensitiveValue(SensitiveKind.Identifier, "event.session_id", session.Field.Value!)));
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, [], seen);
        var pseudonym = pseudonymiser.Pseudonym(session.Field.Value!);
        Assert.That(pseudonymiser.Text("/v1/sessions/" + session.Field.Value + "/end"), Is.EqualTo($"/v1/sessions/{pseudonym}/end"));
        Assert.That(pseudonymiser.Query("s=" + Uri.EscapeDataString("{\"id\":\"" + session.Field.Value + "\"}")), Is.EqualTo("s=" + Uri.EscapeDataString("{\"id\":\"") + pseudonym + Uri.EscapeDataString("\"}")));
        Assert.That(pseudonymiser.FieldValue(session.Field.Value, session.Semantic.Category, false, session.ValueType), Is.EqualTo(pseudonym));
    }
}
