using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>payload_fields and app_facebook_fields as the run publishes them.</summary>
public class PayloadTablesTests
{
    private static async Task<string> RunOn(string appFolder, string harName, string harText, bool taxonomy = false)
    {
        var raw = TestFiles.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(raw, appFolder));
        await File.WriteAllTextAsync(Path.Combine(raw, appFolder, harName), harText);
        var output = Path.Combine(TestFiles.NewTempFolder(), "out");
        var options = new RunOptions(raw, output, 2, ReadLimits.Default);
        if (taxonomy) options = options with { TaxonomyFolder = Path.Combine(TestFiles.RepositoryRoot, "data", "taxonomy") };
        await new StudyRunner(new SilentProgress()).RunAsync(options);
        return output;
    }

    private static List<object?[]> Query(string sql)
    {
        using var db = StudyRunnerTests.OpenDuckDb();
        return StudyRunnerTests.Query(db, sql);
    }

    private static string Quizduel() => File.ReadAllText(TestFiles.Capture("har/quizduel-android.har"));

    [Test]
    public async Task App_facebook_fields_lists_what_the_app_sent_to_Meta()
    {
        var output = await RunOn("any.app", "capture.har", Quizduel());
        var rows = Query($"select semantic, platform, request_count, endpoints, sdk, example_value, personal_data from read_parquet('{output}/app_facebook_fields.parquet')")
            .ToDictionary(r => (string)r[0]!, r => r);
        foreach (var semantic in new[] { "device.model", "device.advertising_id", "install.anon_id", "timezone.name", "carrier", "screen.width", "event.name", "locale.accept_language" })
            Assert.That(rows, Contains.Key(semantic));
        var model = rows["device.model"];
        Assert.That(model[1], Is.EqualTo("android"), "platform from the SDK identity when apps.csv says nothing");
        Assert.That(model[2], Is.EqualTo(3));
        Assert.That(model[3], Is.EqualTo("activities"));
        Assert.That((string)model[4]!, Does.StartWith("FBAndroidSDK "));
        Assert.That(model[5], Is.EqualTo("sdk_gphone_x86_64"));
        Assert.That(rows["device.advertising_id"][6], Is.True);
        Assert.That(rows["request.fields"][3], Is.EqualTo("app_settings,gatekeepers,model_asset"));
    }

    [Test]
    public async Task App_tracker_fields_names_who_received_each_datum_with_identifiers_as_published()
    {
        var output = await RunOn("any.app", "capture.har", Quizduel(), taxonomy: true);
        var rows = Query($"select organisation, parent_organisation, tracker, adapter, semantic, category, request_count, example_value from read_parquet('{output}/app_tracker_fields.parquet')");
        var advertising = rows.Single(r => (string)r[4]! == "device.advertising_id");
        Assert.That(advertising[3], Is.EqualTo("facebook"));
        Assert.That(advertising[2], Is.EqualTo("facebook_graph"));
        Assert.That(advertising[1], Is.Not.Null);
        Assert.That(advertising[6], Is.EqualTo(3));
        // Firebase Installations and Crashlytics: the same vocabulary for another organisation's installation IDs.
        var installs = rows.Where(r => (string)r[4]! == "install.id").ToList();
        Assert.That(installs.Select(r => (string)r[2]!), Is.SupersetOf(new[] { "firebase_installations", "firebase_crashlytics" }));
        Assert.That(installs.Select(r => (string)r[3]!), Is.All.EqualTo("google"));
        // Examples are published values: every identifier is a pseudonym, and the same as in payload_fields.
        Assert.That(rows.Where(r => (string)r[5]! == "identifier").Select(r => (string)r[7]!), Is.Not.Empty.And.All.StartWith("hmac:"));
        var published = Query($"select distinct value from read_parquet('{output}/payload_fields.parquet')").Select(r => r[0]).ToHashSet();
        Assert.That(rows.Select(r => r[7]).Where(v => v is not null), Is.All.Matches<object>(published.Contains));
        var gap = Query($"select tracker_requests, generic_tracker_requests from read_parquet('{output}/captures.parquet')").Single();
        Assert.That(gap[0], Is.EqualTo(12), "all 12 requests go to hosts the overlay attributes: Graph API 8, Crashlytics 2, Firebase 1, Helpshift 1");
        Assert.That(gap[1], Is.EqualTo(1), "Helpshift has no adapter");
    }

    [Test]
    public async Task Exchanges_carry_the_SDK_and_Graph_version_and_secrets_are_not_published()
    {
        var output = await RunOn("any.app", "capture.har", Quizduel());
        var fb = Query($"select distinct sdk, graph_api_version from read_parquet('{output}/exchanges.parquet') where host = 'graph.facebook.com'");
        Assert.That(fb, Has.Count.EqualTo(1));
        Assert.That((string)fb[0][0]!, Does.Match(@"^FBAndroidSDK \d+\.\d+\.\d+$"));
        Assert.That(fb[0][1], Is.EqualTo("v16.0"));
        var tokens = Query($"select distinct value from read_parquet('{output}/payload_fields.parquet') where key_path in ('access_token', 'x-goog-api-key')");
        Assert.That(tokens.Select(r => r[0]), Is.EquivalentTo(new[] { "[redacted:access_token]", "[redacted:x-goog-api-key]" }));
        var leaks = Query($"select count(*) from read_parquet('{output}/payload_fields.parquet') where value like '%|%' and value similar to '.*[0-9]{{10,}}\\|[0-9a-f]{{32}}.*'");
        Assert.That(leaks[0][0], Is.EqualTo(0L));
    }

    [Test]
    public async Task Payload_fields_have_a_total_order_and_a_decode_stage_for_problems()
    {
        var output = await RunOn("any.app", "capture.har", Quizduel());
        var counts = Query($"select count(*), count(distinct exchange_id || '/' || ordinal) from read_parquet('{output}/payload_fields.parquet')");
        Assert.That(counts[0][0], Is.EqualTo(counts[0][1]));
        var transforms = Query($"select distinct transforms from read_parquet('{output}/payload_fields.parquet') where key_path = 'extinfo[5]'");
        Assert.That(transforms.Single()[0], Is.EqualTo("form>json"));
    }

    [Test]
    public async Task An_unseen_Android_app_gives_the_same_kind_of_rows()
    {
        // The same SDK traffic with another app id, package, version, device and time zone: nothing may hinge on quizduel's values.
        var other = new StringBuilder(Quizduel())
            .Replace("2464117140490217", "101010101010101")
            .Replace("se.maginteractive.quizduel2", "org.example.weather")
            .Replace("1.40.14", "7.0.3").Replace("140140462", "70003")
            .Replace("sdk_gphone_x86_64", "SM-S911B")
            .Replace("Europe", "America").Replace("Berlin", "Sao_Paulo")
            .Replace("eefc9fd3-1cfb-4717-b774-eaae02f212a3", "0f0e0d0c-0b0a-4909-8807-060504030201")
            .ToString();
        var a = await RunOn("first", "a.har", Quizduel());
        var b = await RunOn("second", "b.har", other);
        string Sql(string o) => $"select semantic, category, personal_data, request_count, endpoints from read_parquet('{o}/app_facebook_fields.parquet') order by semantic";
        Assert.That(Query(Sql(b)), Is.EqualTo(Query(Sql(a))));
        var values = Query($"select semantic, example_value from read_parquet('{b}/app_facebook_fields.parquet') where semantic in ('device.model', 'timezone.name', 'app.id') order by semantic");
        Assert.That(values.Select(r => r[1]), Is.EqualTo(new[] { "org.example.weather", "SM-S911B", "America/Sao_Paulo" }));
    }

    [Test]
    public async Task An_undecodable_body_is_one_undecoded_field_and_a_decode_quality_row()
    {
        var gz = ResearchPipeline.Tests.Payloads.Requests.Gzip("event=CUSTOM_APP_EVENTS&anon_id=XZ1234&extinfo=%5B%22a2%22%5D&");
        var cut = Convert.ToBase64String(gz[..(gz.Length - 10)]);
        var har = $$$"""
            {"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":[{"startedDateTime":"2024-06-24T09:29:40.000Z","time":1,
            "request":{"method":"POST","url":"https://graph.facebook.com/v16.0/1/activities","httpVersion":"HTTP/1.1","headers":[{"name":"Content-Encoding","value":"gzip"}],
            "queryString":[],"cookies":[],"headersSize":-1,"bodySize":{{{gz.Length - 10}}},"postData":{"mimeType":"application/x-www-form-urlencoded","text":"{{{cut}}}","encoding":"base64"}},
            "response":{"status":200,"statusText":"OK","httpVersion":"HTTP/1.1","headers":[],"cookies":[],"content":{"size":0,"mimeType":"text/plain"},"redirectURL":"","headersSize":-1,"bodySize":0},
            "cache":{},"timings":{"send":0,"wait":1,"receive":0}}]}}
            """;
        var output = await RunOn("any.app", "bad.har", har);
        var quality = Query($"select stage, severity, message, location from read_parquet('{output}/quality.parquet') where capture_id <> ''");
        Assert.That(quality, Has.Count.EqualTo(1));
        Assert.That(quality[0][0], Is.EqualTo("decode"));
        Assert.That((string)quality[0][2]!, Does.Contain("gzip"));
        Assert.That(quality[0][3], Is.EqualTo("entry 0 request"));
        var body = Query($"select key_path, value_type, endpoint from read_parquet('{output}/payload_fields.parquet') where location = 'body'");
        Assert.That(body.Single(), Is.EqualTo(new object?[] { "$body", "undecoded", "activities" }));
    }
}
