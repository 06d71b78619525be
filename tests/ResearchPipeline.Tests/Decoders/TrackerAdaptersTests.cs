using System.Text;
using CsvHelper;
using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Decoders.Facebook;
using ResearchPipeline.Payloads;
using ResearchPipeline.Tests.Captures;
using ResearchPipeline.Tests.Lab;
using static ResearchPipeline.Tests.Payloads.Requests;

using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Decoders;

/// <summary>The declared tracker adapters, their shared vocabulary, and their coverage of real captures.</summary>
public class TrackerAdaptersTests
{
    private static DecodedExchange Decode(Exchange e) => TrackerDecoders.All.Decode(e, DecodeLimits.Default);

    private static IEnumerable<(string Adapter, SemanticRule Rule)> AllRules() =>
        TrackerDecoders.All.Adapters.SelectMany(a => a switch
        {
            FacebookAdapter f => f.Semantics.Rules.Select(r => (a.Name, r)),
            DeclarativeAdapter d => d.Semantics.Rules.Select(r => (a.Name, r)),
            _ => [],
        });

    [Test]
    public void Every_semantic_of_every_adapter_is_in_the_vocabulary_with_its_category_and_personal_data()
    {
        var vocabulary = Vocabulary.Default;
        var wrong = AllRules()
            .Where(x => vocabulary.Find(x.Rule.Meaning.Name) is not { } t || t.Category != x.Rule.Meaning.Category || t.PersonalData != x.Rule.Meaning.PersonalData)
            .Select(x => $"{x.Adapter} line {x.Rule.Line}: {x.Rule.Meaning.Name} ({x.Rule.Meaning.Category}, {x.Rule.Meaning.PersonalData}) vs vocabulary {vocabulary.Find(x.Rule.Meaning.Name)}")
            .ToList();
        Assert.That(wrong, Is.Empty);
        Assert.That(TrackerDecoders.All.Adapters.Count, Is.GreaterThanOrEqualTo(40));
    }

    [Test]
    public void Identifiers_of_every_tracker_are_in_the_identifier_category()
    {
        // The privacy rule pseudonymises by category: the IDs that tie a person's requests together must be identifiers.
        foreach (var name in new[] { "device.advertising_id", "device.vendor_id", "device.id", "install.id", "install.anon_id", "user.id", "session.id", "browser.id",
                     "device.push_token", "device.firebase_installation_id", "device.mac_address", "account.app_user_id", "ad.click_id" })
            Assert.That(Vocabulary.Default.Find(name)?.Category, Is.EqualTo("identifier"), name);
        foreach (var name in new[] { "device.model", "os.version", "app.id", "app.version", "location.lat", "locale.language" })
            Assert.That(Vocabulary.Default.Find(name)?.Category, Is.Not.EqualTo("identifier"), name);
    }

    [Test]
    public void An_endpoint_is_given_its_own_hints_after_those_for_every_request_and_any_other_endpoint_only_those()
    {
        ValueHint Hint(string pattern, ValueForm form) => new(new KeyPattern(pattern), form, "test");
        var (all1, own, all2, other) = (Hint("$body", ValueForm.Protobuf), Hint("a", ValueForm.Url), Hint("b", ValueForm.Form), Hint("c", ValueForm.JsonLines));
        var adapter = new DeclarativeAdapter("t", [new("t.example", "test")], [], [new("*", all1), new("upload", own), new("*", all2), new("sync", other)], new SemanticDictionary([]));

        Assert.That(adapter.HintsFor("upload"), Is.EqualTo(new[] { all1, own, all2 }));
        Assert.That(adapter.HintsFor("sync"), Is.EqualTo(new[] { all1, all2, other }));
        Assert.That(adapter.HintsFor(DeclarativeAdapter.OtherEndpoint), Is.EqualTo(new[] { all1, all2 }));
        Assert.That(adapter.HintsFor(null), Is.EqualTo(new[] { all1, all2 }));
        // The google adapter's declared hint, read from its file, for its endpoint only.
        var google = TrackerDecoders.All.Adapters.OfType<DeclarativeAdapter>().Single(a => a.Name == "google");
        Assert.That(google.HintsFor("app-measurement").Select(h => h.Form), Is.EqualTo(new[] { ValueForm.Protobuf }));
        Assert.That(google.HintsFor(DeclarativeAdapter.OtherEndpoint), Is.Empty);
    }

    [Test]
    public void Every_endpoint_a_dictionary_row_names_is_declared_and_no_host_has_two_adapters()
    {
        var declared = TrackerDecoders.All.Adapters.OfType<DeclarativeAdapter>().ToList();
        foreach (var a in declared)
        {
            var endpoints = a.Endpoints.Select(e => e.Name).Append(DeclarativeAdapter.OtherEndpoint).Append("*").ToHashSet();
            var unknown = a.Semantics.Rules.SelectMany(r => r.Endpoints).Where(e => !endpoints.Contains(e)).Distinct().ToList();
            Assert.That(unknown, Is.Empty, $"{a.Name}: rows name endpoints it does not declare");
            Assert.That(a.Hints.Select(h => h.Endpoint).Where(e => !endpoints.Contains(e)), Is.Empty, $"{a.Name}: hints name undeclared endpoints");
        }
        var owners = declared.SelectMany(a => a.Hosts.Select(h => (h.Name, a.Name))).GroupBy(x => x.Item1).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.That(owners, Is.Empty, "a host is claimed by two adapters");
        Assert.That(declared.SelectMany(a => a.Hosts).Where(h => FacebookAdapter.IsMetaHost(h.Name)), Is.Empty, "a Meta host is claimed by a declared adapter");
    }

    /// <summary>The overlay's mobile trackers that issue 18 lists: each must have an adapter for its hosts.</summary>
    private static readonly HashSet<string> NotListed = ["helpshift", "liftoff", "whatsapp", "instagram", "instagram_graph"];

    private static List<(string Host, string Tracker)> OverlayHosts()
    {
        using var reader = CsvReader.Create(File.OpenRead(Path.Combine(TestFiles.RepositoryRoot, "data", "taxonomy", "mobile-overlay.csv")), new CsvReaderOptions { CommentPrefix = '#' });
        var list = new List<(string, string)>();
        while (reader.Read()) list.Add((reader.GetStringOrNull("host")!, reader.GetStringOrNull("tracker")!));
        return list;
    }

    [Test]
    public void Every_listed_tracker_of_the_overlay_has_an_adapter_for_its_hosts()
    {
        var missing = OverlayHosts().Where(h => !NotListed.Contains(h.Tracker) && TrackerDecoders.All.AdapterForHost(h.Host) is null).ToList();
        Assert.That(missing, Is.Empty);
    }

    private static IEnumerable<string> CoverageCaptures()
    {
        var shared = TestFiles.Captures;
        foreach (var f in Directory.GetFiles(Path.Combine(shared, "har"), "*.har").Order(StringComparer.Ordinal)) yield return f;
        foreach (var f in Directory.GetFiles(Path.Combine(shared, "mitmproxy"), "*.mitm").Order(StringComparer.Ordinal)) yield return f;
        // The packet captures with plaintext HTTP to trackers (PROVENANCE.md).
        foreach (var f in new[] { "pcap/1kxun.pcap", "pcap/http_ua_splitted_in_two_pkts.pcapng", "pcap/ja4/single-packets.pcap", "pcap/KakaoTalk_chat.pcap", "pcap/alexa-app.pcapng" })
            yield return TestFiles.Capture(f);
        foreach (var s in DemonstrationCorpus.Sessions()) { yield return s + ".har"; yield return s + ".mitm"; }
    }

    private static List<Exchange> Http(string path)
    {
        using var stream = File.OpenRead(path);
        var reader = CaptureFormats.All.Detect(path) ?? throw new AssertionException($"{path}: no reader");
        return reader.Read(stream, ReadLimits.Default).OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.Kind == ExchangeKind.Http).ToList();
    }

    [Test]
    public void On_the_shared_captures_and_the_demonstration_corpus_every_request_to_a_tracker_with_an_adapter_is_decoded_by_it()
    {
        var overlay = OverlayHosts();
        var report = new StringBuilder("capture, http requests, requests to trackers, decoded by their adapter, still generic\n");
        var wrong = new List<string>();
        var perTracker = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var path in CoverageCaptures())
        {
            int http = 0, tracker = 0, generic = 0;
            foreach (var e in Http(path))
            {
                http++;
                var host = e.Target.Host;
                var adapter = TrackerDecoders.All.AdapterForHost(host);
                var listed = overlay.Any(o => !NotListed.Contains(o.Tracker) && (host == o.Host || host.EndsWith("." + o.Host, StringComparison.Ordinal)));
                if (adapter is null && !listed) continue;
                tracker++;
                var d = Decode(e);
                perTracker[d.Decoder] = perTracker.GetValueOrDefault(d.Decoder) + 1;
                if (d.Decoder == TrackerDecoders.Generic) generic++;
                if (adapter is null || d.Decoder != adapter.Name) wrong.Add($"{Path.GetFileName(path)} entry {e.Ordinal} {host}{e.Target.Path}: {d.Decoder}, expected {adapter?.Name ?? "an adapter"}");
            }
            report.Append(path.StartsWith(DemonstrationCorpus.Raw, StringComparison.Ordinal) ? DemonstrationCorpus.Name(path) : Path.GetRelativePath(TestFiles.Captures, path)).Append(", ").Append(http).Append(", ").Append(tracker).Append(", ").Append(tracker - generic).Append(", ").Append(generic).Append('\n');
        }
        TestContext.Out.WriteLine(report.ToString());
        TestContext.Out.WriteLine(string.Join("\n", perTracker.Select(kv => $"{kv.Key}: {kv.Value} requests")));
        Assert.That(wrong, Is.Empty);
        Assert.That(perTracker.Keys, Is.SupersetOf(new[] { "facebook", "google", "rayjump", "start-io", "magnite", "pubmatic" }));
    }

    [Test]
    public void The_adapter_kept_per_endpoint_is_the_first_that_claims_each_request_of_the_real_captures()
    {
        // A fresh set of decoders, each request decoded twice: the second answer comes from what the first kept,
        // the adapter and the endpoint it named, which every field of a declared tracker's request carries.
        var decoders = new TrackerDecoders(TrackerDecoders.All.Adapters);
        var wrong = new List<string>();
        var requests = 0;
        var declared = 0;
        foreach (var path in CoverageCaptures())
        {
            foreach (var e in Http(path))
            {
                requests++;
                var adapter = TrackerDecoders.All.Adapters.FirstOrDefault(a => a.Matches(e, out _));
                var expected = adapter?.Name ?? TrackerDecoders.Generic;
                // Worked out afresh from the patterns, as each field's endpoint was before the claim kept it.
                var endpoint = (adapter as DeclarativeAdapter)?.EndpointOf(e);
                var first = decoders.Decode(e, DecodeLimits.Default);
                var second = decoders.Decode(e, DecodeLimits.Default);
                if (first.Decoder != expected || second.Decoder != expected)
                    wrong.Add($"{Path.GetFileName(path)} entry {e.Ordinal} {e.Method} {e.Target.Url}: {first.Decoder}, then {second.Decoder}, expected {expected}");
                if (endpoint is null) continue;
                declared++;
                var endpoints = first.Fields.Concat(second.Fields).Select(f => f.Endpoint).Distinct().ToList();
                if (endpoints.Any(x => x != endpoint))
                    wrong.Add($"{Path.GetFileName(path)} entry {e.Ordinal} {e.Method} {e.Target.Url}: endpoints {string.Join(", ", endpoints)}, expected {endpoint}");
            }
        }
        Assert.That(requests, Is.GreaterThan(500));
        Assert.That(declared, Is.GreaterThan(100));
        Assert.That(wrong, Is.Empty);
    }

    [TestCase("POST", "GET")]
    [TestCase("GET", "POST")]
    public void The_adapter_kept_for_an_endpoint_is_kept_per_method(string firstMethod, string thenMethod)
    {
        // Meta's Conversions API gateways run on any host and take only POST: the same URL asked with another
        // method is another endpoint.
        var decoders = new TrackerDecoders(TrackerDecoders.All.Adapters);
        string Decoder(string method, string url) => JsonRequestDecoder(decoders, method, url);
        const string gateway = "https://shop.example/capi/123/events";
        Assert.That(Decoder(firstMethod, gateway), Is.EqualTo(firstMethod == "POST" ? "facebook" : TrackerDecoders.Generic));
        Assert.That(Decoder(thenMethod, gateway), Is.EqualTo(thenMethod == "POST" ? "facebook" : TrackerDecoders.Generic));
    }

    [Test]
    public void The_adapter_kept_for_an_endpoint_is_kept_per_host_and_path()
    {
        var decoders = new TrackerDecoders(TrackerDecoders.All.Adapters);
        string Decoder(string url) => JsonRequestDecoder(decoders, "POST", url);
        Assert.Multiple(() =>
        {
            Assert.That(Decoder("https://graph.facebook.com/v1/x"), Is.EqualTo("facebook"));
            Assert.That(Decoder("https://example.org/v1/x"), Is.EqualTo(TrackerDecoders.Generic), "another host");
            Assert.That(Decoder("https://shop.example/capi/1/events"), Is.EqualTo("facebook"));
            Assert.That(Decoder("https://shop.example/capi/1/events/more"), Is.EqualTo(TrackerDecoders.Generic), "another path");
        });
    }

    /// <summary>The decoder that reads a request with an empty JSON body.</summary>
    private static string JsonRequestDecoder(TrackerDecoders decoders, string method, string url) =>
        decoders.Decode(Make(method, url, Encoding.UTF8.GetBytes("{}"), ("Content-Type", "application/json")), DecodeLimits.Default).Decoder;

    [Test]
    public void Meta_Pixel_requests_on_real_pages_name_their_parameters()
    {
        var pixel = HarReaderTests.ReadAll(TestFiles.Capture("har/expressen.har")).OfType<ExchangeRead>().Select(r => r.Exchange)
            .Where(e => e.Target.Host == "www.facebook.com" && e.Target.Path.TrimEnd('/') == "/tr").Select(Decode).ToList();
        Assert.That(pixel, Has.Count.EqualTo(6));
        foreach (var d in pixel)
        {
            Assert.That(d.Decoder, Is.EqualTo(FacebookAdapter.AdapterName));
            var named = d.Fields.Where(f => f.Field.Location == PayloadLocation.Query).ToDictionary(f => f.Field.KeyPath, f => f.Semantic?.Name);
            Assert.That(named, Is.EquivalentTo(new Dictionary<string, string?>
            {
                ["id"] = "app.property_id", ["ev"] = "event.name", ["dl"] = "page.url", ["rl"] = "page.referrer", ["if"] = "pixel.in_iframe", ["ts"] = "event.time", ["v"] = "sdk.version",
            }));
            Assert.That(d.Fields.Select(f => f.Endpoint), Is.All.EqualTo("pixel"));
        }
    }

    [Test]
    public void Kochava_install_bodies_of_real_apps_are_named()
    {
        foreach (var file in new[] { "bodies/3275-airbnb-kochava.json", "bodies/5407-audible-kochava.json" })
        {
            var body = File.ReadAllBytes(TestFiles.Capture(file));
            var d = Decode(Make("POST", "https://control.kochava.com/track/json", body, ("Content-Type", "application/json")));
            Assert.That(d.Decoder, Is.EqualTo("kochava"));
            var named = d.Fields.Where(f => f.Semantic is not null).ToDictionary(f => f.Field.KeyPath, f => f.Semantic!.Name);
            Assert.That(named["kochava_device_id"], Is.EqualTo("install.id"));
            Assert.That(named["data.idfv"], Is.EqualTo("device.vendor_id"));
            Assert.That(named["data.device"], Is.EqualTo("device.model"));
            Assert.That(named["data.timezone"], Is.EqualTo("timezone"));
            Assert.That(d.Fields.Single(f => f.Field.KeyPath == "data.idfv").Semantic!.Category, Is.EqualTo("identifier"));
        }
    }

    /// <summary>A protobuf Batch as the Firebase SDK sends it (field numbers of app-measurement.proto), built here byte by byte.</summary>
    private static byte[] MeasurementBatch()
    {
        static byte[] Varint(ulong v) { var b = new List<byte>(); do { var x = (byte)(v & 0x7f); v >>= 7; b.Add(v == 0 ? x : (byte)(x | 0x80)); } while (v != 0); return [.. b]; }
        static byte[] Field(int n, byte[] bytes) => [.. Varint((ulong)(n << 3 | 2)), .. Varint((ulong)bytes.Length), .. bytes];
        static byte[] Text(int n, string s) => Field(n, Encoding.UTF8.GetBytes(s));
        static byte[] Number(int n, ulong v) => [.. Varint((ulong)(n << 3)), .. Varint(v)];
        var param = Field(1, [.. Text(1, "ga_screen"), .. Text(2, "MainActivity")]);
        var ev = Field(2, [.. param, .. Text(2, "screen_view"), .. Number(3, 1719221405511)]);
        var bundle = Field(1, [.. Number(1, 1), .. ev, .. Text(8, "android"), .. Text(9, "11"), .. Text(10, "sdk_gphone_x86_64"), .. Text(14, "se.example.app"),
            .. Text(16, "1.40.14"), .. Text(19, "eefc9fd3-1111-4222-8333-944445555666"), .. Text(21, "2b7e1516a0f4c2a1b2c3d4e5f6a7b8c9")]);
        return bundle;
    }

    [Test]
    public void Firebase_app_measurement_protobuf_is_read_by_field_number_and_named()
    {
        var d = Decode(Make("POST", "https://app-measurement.com/a", Gzip(MeasurementBatch()), ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Encoding", "gzip")));
        Assert.That(d.Decoder, Is.EqualTo("google"));
        var named = d.Fields.ToDictionary(f => f.Field.KeyPath, f => (f.Field.Value, f.Semantic?.Name));
        Assert.That(named["1[0].14"], Is.EqualTo(("se.example.app", "app.id")));
        Assert.That(named["1[0].19"], Is.EqualTo(("eefc9fd3-1111-4222-8333-944445555666", "device.advertising_id")));
        Assert.That(named["1[0].21"], Is.EqualTo(("2b7e1516a0f4c2a1b2c3d4e5f6a7b8c9", "install.id")));
        Assert.That(named["1[0].10"], Is.EqualTo(("sdk_gphone_x86_64", "device.model")));
        Assert.That(named["1[0].2[0].2"], Is.EqualTo(("screen_view", "event.name")));
        Assert.That(named["1[0].2[0].1[0].2"], Is.EqualTo(("MainActivity", "event.properties")));
        Assert.That(d.Fields.Single(f => f.Field.KeyPath == "1[0].14").Field.Transforms, Is.EqualTo("gzip>protobuf"));
    }

    [Test]
    public void A_body_that_is_not_protobuf_falls_back_to_its_shape()
    {
        var d = Decode(Make("POST", "https://app-measurement.com/a", Encoding.UTF8.GetBytes("{\"a\":\"b\"}"), ("Content-Type", "application/json")));
        Assert.That(d.Fields.Where(f => f.Field.Location == PayloadLocation.Body).Select(f => (f.Field.KeyPath, f.Field.Transforms)), Is.EqualTo(new[] { ("a", "json") }));
    }

    [Test]
    public void Firebase_installation_and_Crashlytics_settings_requests_of_a_real_app_are_named()
    {
        var d = HarReaderTests.ReadAll(TestFiles.Capture("har/quizduel-android.har")).OfType<ExchangeRead>().Select(r => r.Exchange)
            .Where(e => e.Target.Host is "firebase-settings.crashlytics.com" or "firebaseinstallations.googleapis.com").Select(Decode).ToList();
        Assert.That(d, Has.Count.EqualTo(3));
        Assert.That(d.Select(x => x.Decoder), Is.All.EqualTo("google"));
        var named = d.SelectMany(x => x.Fields).Where(f => f.Semantic is not null).Select(f => (f.Field.KeyPath, f.Semantic!.Name)).ToHashSet();
        Assert.That(named, Is.SupersetOf(new[]
        {
            ("x-crashlytics-installation-id", "install.id"), ("x-crashlytics-device-model", "device.model"), ("x-crashlytics-os-display-version", "os.version"),
            ("build_version", "app.build"), ("display_version", "app.version"), ("fid", "install.id"), ("x-android-package", "app.id"),
        }));
    }

    [Test]
    public void A_Sentry_envelope_is_read_line_by_line()
    {
        var envelope = "{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\",\"dsn\":\"https://e12d836b15bb49d7bbf99e64295d995b@o1.ingest.sentry.io/42\",\"sdk\":{\"name\":\"sentry.java.android\",\"version\":\"7.3.0\"}}\n"
            + "{\"type\":\"event\",\"length\":0}\n"
            + "{\"contexts\":{\"device\":{\"model\":\"Pixel 7\",\"id\":\"4f1b1a9c-2d0e-4f57-9a36-5f0b1b8d2c11\"},\"os\":{\"name\":\"Android\",\"version\":\"14\"}},\"user\":{\"id\":\"u-31337\"}}\n";
        var d = Decode(Make("POST", "https://o1.ingest.sentry.io/api/42/envelope/", Encoding.UTF8.GetBytes(envelope), ("Content-Type", "application/x-sentry-envelope")));
        Assert.That(d.Decoder, Is.EqualTo("sentry"));
        var named = d.Fields.Where(f => f.Field.Location == PayloadLocation.Body).ToDictionary(f => f.Field.KeyPath, f => f.Semantic?.Name);
        Assert.That(named["[2].contexts.device.model"], Is.EqualTo("device.model"));
        Assert.That(named["[2].contexts.device.id"], Is.EqualTo("install.id"));
        Assert.That(named["[2].user.id"], Is.EqualTo("user.id"));
        Assert.That(named["[0].sdk.version"], Is.EqualTo("sdk.version"));
        Assert.That(named["[1].type"], Is.Null);
    }
}
