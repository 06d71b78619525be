using DuckDB.NET.Data;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Decoders.Facebook;
using ResearchPipeline.Identity;
using ResearchPipeline.Payloads;
using ResearchPipeline.Tests.Cli;
using static ResearchPipeline.Tests.Lab.DemonstrationCorpus;

namespace ResearchPipeline.Tests.Lab;

/// <summary>
/// End to end: the published tables of the demonstration corpus (data/processed, written by make all from
/// data/raw) against the lab's ground truth. Every field the lab sent to Meta comes back with its semantic and
/// with its value exactly as it must be published (the truth value put through the library's own redaction and
/// pseudonymisation under the demonstration key), and no Meta field is reported that the lab did not send.
/// Placeholders the SDK sends where it has no value (truth not_sent: iOS SDK >= 17's -1 disks, an empty ud)
/// must come back as value_type not_sent and never count as sent values.
/// </summary>
public class SemanticRecoveryTests
{
    private static string Processed => Path.Combine(TestFiles.RepositoryRoot, "data", "processed");

    private static string Table(string name) => Path.Combine(Processed, name + ".parquet").Replace('\\', '/');

    /// <summary>A published query or body field of a request to a Meta host, with the capture and request it came from.</summary>
    private sealed record Reported(string File, int Request, string Location, string KeyPath, string Value, string ValueType, string? Semantic);

    /// <summary>A truth field as it must appear when published.</summary>
    private sealed record Expected(TruthRow Truth, string Value);

    private static DuckDBConnection OpenDataset()
    {
        if (!File.Exists(Table("payload_fields")))
            Assert.Ignore($"{Table("payload_fields")} does not exist: run make all");
        var db = StudyRunnerTests.OpenDuckDb();
        var keyId = StudyRunnerTests.Query(db, $"select parameters.study_key_id, parameters.pseudonymise from read_json_auto('{Path.Combine(Processed, "manifest.json").Replace('\\', '/')}')").Single();
        Assert.That((keyId[0]?.ToString(), keyId[1]?.ToString()), Is.EqualTo((StudyKey.Demonstration.KeyId, "true")),
            "data/processed is pseudonymised with the demonstration key, as make all does without a study key");
        return db;
    }

    private static List<Reported> MetaFields(DuckDBConnection db) =>
        StudyRunnerTests.Query(db, $"""
            select c.file_name, e.ordinal, p.location, p.key_path, p.value, p.value_type, p.semantic
            from read_parquet('{Table("payload_fields")}') p
            join read_parquet('{Table("exchanges")}') e using (exchange_id)
            join read_parquet('{Table("captures")}') c on c.capture_id = e.capture_id
            where p.location in ('query', 'body') and (e.host like '%.facebook.com' or e.host like '%.fb.gg')
            """)
            .Select(r => new Reported((string)r[0]!, Convert.ToInt32(r[1]), (string)r[2]!, (string)r[3]!, r[4] as string ?? "", (string)r[5]!, r[6] as string))
            .ToList();

    [Test]
    public void Payload_fields_recover_the_ground_truth_with_full_precision_and_recall()
    {
        using var db = OpenDataset();
        var reported = MetaFields(db);
        var publish = Publication();

        var truePositives = 0;
        var falsePositives = new List<string>();
        var misses = new List<string>();
        var placeholderErrors = new List<string>();
        int truthTotal = 0, placeholders = 0, placeholdersRecognised = 0;
        foreach (var session in Sessions())
        {
            var expected = Truth(session).Select(t => new Expected(t, publish(t))).ToDictionary(e => (e.Truth.Request, e.Truth.Location, e.Truth.KeyPath));
            // The .har and the .mitm of a session are the same flows written by two tools: both are scored.
            foreach (var ext in new[] { ".har", ".mitm" })
            {
                var file = Name(session) + ext;
                var rows = reported.Where(r => r.File == file).ToList();
                var recovered = new HashSet<(int, string, string)>();
                foreach (var r in rows)
                {
                    var key = (r.Request, r.Location, r.KeyPath);
                    var line = $"{file} #{r.Request} {r.Location} {r.KeyPath} = {r.Value} ({r.Semantic ?? "no semantic"}, {r.ValueType})";
                    expected.TryGetValue(key, out var e);
                    if (r.ValueType == ValueTypes.NotSent)
                    {
                        if (e is { Truth.NotSent: true } && e.Truth.Semantic == r.Semantic && e.Value == r.Value) recovered.Add(key);
                        else placeholderErrors.Add($"{line}: published as a placeholder, but the lab sent {Describe(e)}");
                    }
                    else if (e is { Truth.NotSent: false } && e.Truth.Semantic == r.Semantic && e.Value == r.Value)
                    {
                        truePositives++;
                        recovered.Add(key);
                    }
                    else
                    {
                        falsePositives.Add($"{line}; the lab sent {Describe(e)}");
                    }
                }
                foreach (var e in expected.Values)
                {
                    var found = recovered.Contains((e.Truth.Request, e.Truth.Location, e.Truth.KeyPath));
                    if (e.Truth.NotSent)
                    {
                        placeholders++;
                        if (found) placeholdersRecognised++;
                        else placeholderErrors.Add($"{file} #{e.Truth.Request} {e.Truth.Location} {e.Truth.KeyPath}: the placeholder {Describe(e)} is not published as not_sent");
                    }
                    else
                    {
                        truthTotal++;
                        if (!found) misses.Add($"{file} #{e.Truth.Request} {e.Truth.Location} {e.Truth.KeyPath}: {Describe(e)}");
                    }
                }
            }
        }
        var reportedTotal = truePositives + falsePositives.Count;
        var precision = reportedTotal == 0 ? 0 : (double)truePositives / reportedTotal;
        var recall = truthTotal == 0 ? 0 : (double)(truthTotal - misses.Count) / truthTotal;
        TestContext.Out.WriteLine($"precision {precision:P2} ({truePositives} of {reportedTotal} reported fields), recall {recall:P2} ({truthTotal - misses.Count} of {truthTotal} truth fields)");
        TestContext.Out.WriteLine($"placeholders (not sent): {placeholdersRecognised} of {placeholders} published as not_sent, counted in neither figure");
        foreach (var line in falsePositives.Take(30)) TestContext.Out.WriteLine($"  not sent by the lab: {line}");
        foreach (var line in misses.Take(30)) TestContext.Out.WriteLine($"  missed: {line}");
        foreach (var line in placeholderErrors.Take(30)) TestContext.Out.WriteLine($"  placeholder: {line}");
        Assert.That(truthTotal, Is.GreaterThan(1000), "both captures of every session are scored");
        Assert.That(placeholders, Is.GreaterThan(0));
        Assert.That(falsePositives, Is.Empty, "every reported Meta field was sent by the lab, with that semantic and that published value");
        Assert.That(misses, Is.Empty, "every ground-truth field is recovered with its semantic and published value");
        Assert.That(placeholderErrors, Is.Empty, "placeholders are published as not_sent, and only they");
        Assert.That(precision, Is.EqualTo(1.0));
        Assert.That(recall, Is.EqualTo(1.0));
    }

    [Test]
    public void No_identifier_or_secret_the_lab_sent_is_published_as_sent()
    {
        using var db = OpenDataset();
        var publish = Publication();
        var hidden = Sessions().SelectMany(Truth).Where(t => !t.NotSent && publish(t) != t.Value).Select(t => t.Value).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        // Advertising IDs, anon_id, session IDs, the hashed e-mail and the client access tokens.
        Assert.That(hidden, Has.Count.GreaterThanOrEqualTo(20));
        var needles = string.Join(", ", hidden.Select(v => $"('{v.Replace("'", "''")}')"));
        var tables = Directory.GetFiles(Processed, "*.parquet").Order(StringComparer.Ordinal).ToList();
        Assert.That(tables.Select(Path.GetFileName), Is.SupersetOf(new[] { "payload_fields.parquet", "exchanges.parquet", "app_facebook_fields.parquet", "identifier_matches.parquet" }));
        foreach (var table in tables)
        {
            // Every column of every row, as text; case-insensitive, since an ID may be sent in either case.
            var leaks = StudyRunnerTests.Query(db, $"""
                select distinct n.needle from (values {needles}) n(needle), read_parquet('{table.Replace('\\', '/')}') t
                where contains(lower(t::varchar), lower(n.needle))
                """);
            Assert.That(leaks.Select(r => (string)r[0]!), Is.Empty, $"{Path.GetFileName(table)} publishes a raw identifier or secret");
        }
        foreach (var json in Directory.GetFiles(Processed, "*.json"))
        {
            var text = File.ReadAllText(json);
            Assert.That(hidden.Where(v => text.Contains(v, StringComparison.OrdinalIgnoreCase)), Is.Empty, Path.GetFileName(json));
        }
    }

    [Test]
    public void App_facebook_fields_lists_per_app_exactly_what_the_lab_sent_and_no_placeholder()
    {
        using var db = OpenDataset();
        var published = StudyRunnerTests.Query(db, $"select app_id, semantic, request_count from read_parquet('{Table("app_facebook_fields")}')")
            .ToDictionary(r => ((string)r[0]!, (string)r[1]!), r => Convert.ToInt32(r[2]));
        // Fields that only request headers carry (User-Agent, Accept-Language, Content-Type...) are outside the truth, which lists query and body fields.
        var headerOnly = StudyRunnerTests.Query(db, $"""
            select distinct p.app_id, p.semantic from read_parquet('{Table("payload_fields")}') p
            where p.semantic is not null
            group by all having bool_and(p.location in ('header', 'cookie'))
            """).Select(r => ((string)r[0]!, (string)r[1]!)).ToHashSet();
        var expected = new Dictionary<(string, string), int>();
        foreach (var session in Sessions())
        {
            var truth = Truth(session);
            foreach (var g in truth.Where(t => !t.NotSent).GroupBy(t => (t.App, t.Semantic)))
                expected[g.Key] = g.Select(t => t.Request).Distinct().Count();
            foreach (var semantic in truth.Where(t => t.NotSent).Select(t => t.Semantic).Distinct().Where(s => !truth.Any(t => !t.NotSent && t.Semantic == s)))
                Assert.That(published.Keys, Does.Not.Contain((truth[0].App, semantic)), $"{Name(session)} only ever sent a placeholder for {semantic}");
        }
        Assert.That(expected.Keys.Select(k => k.Item1).Distinct().Count(), Is.EqualTo(Sessions().Count()));
        // Requests are counted once per session: the HAR is the primary capture, its .mitm and .pcapng are not counted again.
        Assert.That(published.Where(p => !headerOnly.Contains(p.Key)).ToDictionary(), Is.EquivalentTo(expected));
        Assert.That(published.Keys, Has.None.Matches<(string App, string Semantic)>(k => k.App is "org.example.shopcart" or "org.example.calmnest" && k.Semantic.StartsWith("disk.", StringComparison.Ordinal)),
            "iOS SDK >= 17 sends -1 placeholders, no disk sizes");
        Assert.That(published.Keys, Does.Not.Contain(("org.example.calmnest", "user_data.hashed")), "CalmNest's ud is always the empty placeholder");
    }

    [Test]
    public void The_three_captures_of_a_session_share_it_and_publish_the_same_Meta_fields()
    {
        using var db = OpenDataset();
        var captures = StudyRunnerTests.Query(db, $"select file_name, format, session_id, primary_in_session, app_id from read_parquet('{Table("captures")}')")
            .ToDictionary(r => (string)r[0]!, r => (Format: (string)r[1]!, Session: (string)r[2]!, Primary: (bool)r[3]!, App: r[4] as string));
        var reported = MetaFields(db);
        foreach (var session in Sessions())
        {
            var name = Name(session);
            var app = Truth(session)[0].App;
            var formats = new[] { (".har", "har"), (".mitm", "mitmproxy"), (".pcapng", "pcapng") }.Select(f => captures[name + f.Item1]).ToList();
            Assert.That(formats.Select(c => c.Format), Is.EqualTo(new[] { "har", "mitmproxy", "pcapng" }), name);
            Assert.That(formats.Select(c => c.Session).Distinct().Count(), Is.EqualTo(1), $"{name}: one session in three formats");
            Assert.That(formats.Select(c => c.App), Is.All.EqualTo(app));
            Assert.That(formats.Select(c => c.Primary), Is.EqualTo(new[] { true, false, false }), $"{name}: the HAR is the capture aggregates count");
            var har = reported.Where(r => r.File == name + ".har").Select(r => (r.Request, r.Location, r.KeyPath, r.Value, r.Semantic)).Order().ToList();
            var mitm = reported.Where(r => r.File == name + ".mitm").Select(r => (r.Request, r.Location, r.KeyPath, r.Value, r.Semantic)).Order().ToList();
            Assert.That(har, Is.Not.Empty);
            Assert.That(mitm, Is.EqualTo(har), $"{name}: the flow file and the HAR publish the same Meta fields");
            // The pcapng is mitmproxy's TLS to the app, decrypted with the keys embedded in it: the same fields, in
            // the same order of requests (its ordinals differ: DNS and other flows are exchanges of a packet capture).
            List<(string, string, string, string?)> Fields(string file) => reported.Where(r => r.File == file)
                .OrderBy(r => r.Request).ThenBy(r => r.Location, StringComparer.Ordinal).ThenBy(r => r.KeyPath, StringComparer.Ordinal)
                .ThenBy(r => r.Value, StringComparer.Ordinal).Select(r => (r.Location, r.KeyPath, r.Value, r.Semantic)).ToList();
            Assert.That(Fields(name + ".pcapng"), Is.EqualTo(Fields(name + ".har")), $"{name}: the decrypted pcapng and the HAR publish the same Meta fields");
        }
    }

    private static string Describe(Expected? e) =>
        e is null ? "no such field" : $"{e.Value} ({e.Truth.Semantic}{(e.Truth.NotSent ? ", not_sent" : "")})";

    /// <summary>
    /// A truth value as it must be published: the library's secret redaction, then its pseudonymiser under the
    /// demonstration key, knowing the devices of data/raw/devices.csv and, as the pipeline knows the values it
    /// saw in the traffic, the identifiers and secrets the lab sent. What is an identifier follows from the
    /// truth's semantic (its data category in the published vocabulary) and the key, as for any published row.
    /// </summary>
    private static Func<TruthRow, string> Publication()
    {
        var categories = FacebookAdapter.LoadSemantics().Rules.GroupBy(r => r.Meaning.Name).ToDictionary(g => g.Key, g => g.First().Meaning.Category, StringComparer.Ordinal);
        var truth = Sessions().SelectMany(Truth).Where(t => !t.NotSent).ToList();
        var seen = new List<SensitiveValue>();
        foreach (var t in truth.Where(t => t.Value.Trim().Length >= SensitiveValues.MinLength))
        {
            var key = LastKey(t.KeyPath);
            if (SecretRedaction.RedactValue(t.KeyPath, t.Value) != t.Value) seen.Add(new SensitiveValue(SensitiveKind.Secret, key, t.Value.Trim()));
            else if (IsIdentifier(categories[t.Semantic], t.KeyPath)) seen.Add(new SensitiveValue(SensitiveKind.Identifier, key, t.Value.Trim()));
        }
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, enabled: true, DevicesCatalog.Load(Raw).Devices, seen);
        return t => pseudonymiser.Field(t.KeyPath, SecretRedaction.RedactValue(t.KeyPath, t.Value), categories[t.Semantic],
            t.NotSent ? ValueTypes.NotSent : ValueTypes.String).Value ?? "";
    }

    private static string LastKey(string keyPath) => keyPath[(keyPath.LastIndexOfAny(['.', ']']) + 1)..];

    private static bool IsIdentifier(string category, string keyPath) =>
        category is "identifier" or "user_data" || SensitiveValues.IsIdentifier(LastKey(keyPath)) || SensitiveValues.IsIdentifier(keyPath);
}
