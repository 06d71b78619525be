using System.Diagnostics;
using DuckDB.NET.Data;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Cli;
using ResearchPipeline.Dataset;
using ResearchPipeline.Study;

namespace ResearchPipeline.Tests.Cli;

public class StudyRunnerTests
{
    /// <summary>A small study: two apps, one of them with a truncated HAR and a file that is not a capture.</summary>
    private static string MakeStudy(bool withBrokenFiles = true, bool withAppsCsv = true)
    {
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        Directory.CreateDirectory(Path.Combine(raw, "web"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(raw, "quizduel", "session1.har"));
        File.Copy(TestFiles.Capture("har/chrome.har"), Path.Combine(raw, "web", "chrome.har"));
        File.Copy(TestFiles.Capture("har/firefox.har"), Path.Combine(raw, "web", "firefox.har"));
        if (withBrokenFiles)
        {
            var expressen = File.ReadAllBytes(TestFiles.Capture("har/expressen.har"));
            File.WriteAllBytes(Path.Combine(raw, "web", "cut.har"), expressen[..(expressen.Length / 3)]);
            File.WriteAllText(Path.Combine(raw, "web", "notes.txt"), "not a capture");
        }
        if (withAppsCsv)
        {
            File.WriteAllText(Path.Combine(raw, "apps.csv"),
                "capture,app_id,platform,app_name,app_version,device_id\n" +
                "quizduel,se.maginteractive.quizduel2,android,QuizDuel,1.40.14,emulator-1\n");
        }
        return raw;
    }

    private static Task<RunSummary> Run(string raw, string output, int jobs = 2) =>
        new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, jobs, ReadLimits.Default));

    [Test]
    public async Task The_parse_verb_writes_the_parse_tables_only_with_the_same_exchanges_as_a_run()
    {
        var raw = MakeStudy();
        var parsed = TestFiles.NewTempFolder("parsed");
        var run = TestFiles.NewTempFolder("run");
        var parse = await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, parsed, 2, ReadLimits.Default) { ParseOnly = true });
        var all = await Run(raw, run);

        Assert.That(parse.Files, Is.EquivalentTo(new[] { "captures.parquet", "exchanges.parquet", "quality.parquet" }));
        Assert.That(Directory.GetFiles(parsed).Select(Path.GetFileName), Is.EquivalentTo(parse.Files));
        Assert.That(parse.Exchanges, Is.EqualTo(all.Exchanges).And.GreaterThan(0));
        Assert.That(parse.InvariantFailures, Is.Empty);
    }

    [Test]
    public async Task Two_runs_and_any_number_of_jobs_give_byte_identical_files()
    {
        var raw = MakeStudy();
        var a = TestFiles.NewTempFolder("a");
        var b = TestFiles.NewTempFolder("b");
        await Run(raw, a, jobs: 1);
        await Run(raw, b, jobs: 4);
        var sumsA = File.ReadAllText(Path.Combine(a, Checksums.FileName));
        Assert.That(File.ReadAllText(Path.Combine(b, Checksums.FileName)), Is.EqualTo(sumsA));
        await Run(raw, a, jobs: 2);
        Assert.That(File.ReadAllText(Path.Combine(a, Checksums.FileName)), Is.EqualTo(sumsA));
        Assert.That(sumsA, Does.Contain("exchanges.parquet"));
    }

    [Test]
    public async Task Counts_add_up_and_every_broken_file_has_a_quality_row()
    {
        var raw = MakeStudy();
        var output = TestFiles.NewTempFolder("out");
        var summary = await Run(raw, output);
        Assert.That(summary.InvariantFailures, Is.Empty);
        Assert.That(summary.Captures, Is.EqualTo(5));

        using var db = OpenDuckDb();
        var captures = Query(db, $"select file_name, format, records_read, exchange_count, quarantined_count, app_id, app_id_source, platform from read_parquet('{output}/captures.parquet') order by file_name");
        Assert.That(captures.Select(r => r[0]), Is.EqualTo(new[] { "quizduel/session1.har", "web/chrome.har", "web/cut.har", "web/firefox.har", "web/notes.txt" }));
        foreach (var r in captures) Assert.That(Convert.ToInt64(r[2]), Is.EqualTo(Convert.ToInt64(r[3]) + Convert.ToInt64(r[4])), $"{r[0]}: records read = published + quarantined");
        var cut = captures.Single(r => (string)r[0]! == "web/cut.har");
        Assert.That(cut[4], Is.EqualTo(1), "the entry cut in half is quarantined");
        Assert.That(captures.Single(r => (string)r[0]! == "web/notes.txt")[1], Is.EqualTo("unknown"));
        var quiz = captures.Single(r => (string)r[0]! == "quizduel/session1.har");
        Assert.That(quiz[5..], Is.EqualTo(new object?[] { "se.maginteractive.quizduel2", "apps.csv", "android" }));
        Assert.That(captures.Single(r => (string)r[0]! == "web/chrome.har")[5..], Is.EqualTo(new object?[] { "web", "folder", null }));

        var quality = Query(db, $"select file_name, severity, message, location, quarantined from read_parquet('{output}/quality.parquet')");
        Assert.That(quality.Count(q => (string)q[0]! == "web/cut.har" && (bool)q[4]!), Is.EqualTo(1));
        Assert.That(quality.Single(q => (string)q[0]! == "web/notes.txt")[2], Does.Contain("not a capture format"));

        var exchanges = Query(db, $"select count(*) from read_parquet('{output}/exchanges.parquet')");
        Assert.That(Convert.ToInt64(exchanges[0][0]), Is.EqualTo(summary.Exchanges));
    }

    [Test]
    public async Task DuckDB_opens_every_table_and_finds_every_documented_column_with_its_type()
    {
        var output = TestFiles.NewTempFolder("out");
        await Run(MakeStudy(), output);
        using var db = OpenDuckDb();
        AssertColumns(db, output, Tables.Captures);
        AssertColumns(db, output, Tables.Exchanges);
        AssertColumns(db, output, Tables.Quality);

        var time = Query(db, $"select any_value(typeof(time_utc)), min(time_utc) from read_parquet('{output}/exchanges.parquet') where app_id = 'se.maginteractive.quizduel2'");
        Assert.That(time[0][0], Is.EqualTo("TIMESTAMP WITH TIME ZONE"), "timestamps are Parquet TIMESTAMP(UTC), not INT96");
        Assert.That(((DateTime)time[0][1]!).Year, Is.EqualTo(2024));
    }

    [Test]
    public async Task Published_query_strings_carry_no_access_token()
    {
        var output = TestFiles.NewTempFolder("out");
        await Run(MakeStudy(withBrokenFiles: false), output);
        using var db = OpenDuckDb();
        var withToken = Query(db, $"select query from read_parquet('{output}/exchanges.parquet') where query ilike '%access_token=%'");
        Assert.That(withToken, Is.Not.Empty, "quizduel's GET requests send an access token");
        Assert.That(withToken.Select(r => (string)r[0]!), Is.All.Contains("access_token=[redacted:access_token]"));
    }

    [Test]
    public void The_program_exits_3_with_a_one_line_reason_when_the_raw_folder_is_missing()
    {
        var (code, stdout, stderr) = RunProgram("run", "--raw", "/nonexistent/raw", "--out", TestFiles.NewTempFolder("out"), "--quiet");
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        Assert.That(FailureLines(stderr), Has.Length.EqualTo(1));
        Assert.That(stderr, Does.Contain("/nonexistent/raw"));
        Assert.That(stdout, Is.Empty);
    }

    [Test]
    public void The_program_runs_a_study_and_exits_0_with_a_summary()
    {
        var output = TestFiles.NewTempFolder("out");
        var (code, stdout, _) = RunProgram("run", "--raw", MakeStudy(), "--out", output, "--jobs", "2");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok));
        Assert.That(stdout, Does.Contain("5 captures").And.Contain("1 records quarantined"));
        Assert.That(File.Exists(Path.Combine(output, "SHA256SUMS")));
        Assert.That(Directory.GetFiles(output, "*.tmp"), Is.Empty, "no temporary file is left behind");
    }

    [Test]
    public void Help_lists_the_verbs_and_bad_options_exit_2()
    {
        var (code, stdout, _) = RunProgram("--help");
        Assert.That(code, Is.EqualTo(0));
        Assert.That(stdout, Does.Contain("run").And.Contain("parse"));
        var (bad, _, err) = RunProgram("run", "--jobs", "0");
        Assert.That(bad, Is.Not.EqualTo(0));
        Assert.That(err + "", Is.Not.Empty);
    }

    private static void AssertColumns<TRow>(DuckDBConnection db, string folder, TableDefinition<TRow> table)
    {
        var rows = Query(db, $"select column_name, column_type from (describe select * from read_parquet('{Path.Combine(folder, table.FileName)}'))");
        Assert.That(rows.Select(r => (string)r[0]!), Is.EqualTo(table.Columns.Select(c => c.Name)), table.Name);
        var expectedTypes = table.Columns.Select(c => c.TypeName switch
        {
            "string" => "VARCHAR",
            "int32" => "INTEGER",
            "int64" => "BIGINT",
            "uint32" => "UINTEGER",
            "double" => "DOUBLE",
            "boolean" => "BOOLEAN",
            "timestamp[us, UTC]" => "TIMESTAMP WITH TIME ZONE",
            var other => other,
        });
        Assert.That(rows.Select(r => (string)r[1]!), Is.EqualTo(expectedTypes), table.Name);
    }

    internal static DuckDBConnection OpenDuckDb()
    {
        var db = new DuckDBConnection("DataSource=:memory:");
        db.Open();
        return db;
    }

    internal static List<object?[]> Query(DuckDBConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            var row = new object?[reader.FieldCount];
            for (var i = 0; i < row.Length; i++) row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            rows.Add(row);
        }
        return rows;
    }

    /// <summary>
    /// Standard error's lines but the warning of a run that finds no reference lock (these runs start outside the
    /// repository, where the default lock path names nothing): what a failure says, which is one line.
    /// </summary>
    internal static string[] FailureLines(string stderr) => stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
        .Where(l => !l.StartsWith("research-pipeline: warning: no reference lock file", StringComparison.Ordinal)).ToArray();

    internal static (int Code, string Stdout, string Stderr) RunProgram(params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "research-pipeline.dll");
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

public class VerifyTests
{
    /// <summary>A study of one real HAR, published: its raw folder and its published folder.</summary>
    private static async Task<(string Raw, string Output)> PublishOneHar()
    {
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(raw, "quizduel", "a.har"));
        var output = TestFiles.NewTempFolder("out");
        await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 1, ResearchPipeline.Captures.ReadLimits.Default));
        return (raw, output);
    }

    [Test]
    public async Task Verify_passes_on_a_fresh_publication_and_fails_after_one_byte_of_a_published_file_or_an_input_changes()
    {
        var (raw, output) = await PublishOneHar();

        var (ok, stdout, _) = StudyRunnerTests.RunProgram("verify", "--out", output, "--raw", raw);
        Assert.That(ok, Is.EqualTo(ExitCodes.Ok), stdout);

        var table = Path.Combine(output, "exchanges.parquet");
        var bytes = File.ReadAllBytes(table);
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(table, bytes);
        var (changed, _, err) = StudyRunnerTests.RunProgram("verify", "--out", output, "--raw", raw);
        Assert.That(changed, Is.EqualTo(ExitCodes.VerifyFailed));
        Assert.That(err, Does.Contain("exchanges.parquet: sha256 differs from SHA256SUMS").And.Contain("exchanges.parquet: sha256 differs from the manifest"));
        bytes[bytes.Length / 2] ^= 0x01;
        File.WriteAllBytes(table, bytes);

        File.AppendAllText(Path.Combine(raw, "quizduel", "a.har"), " ");
        var (inputChanged, _, err2) = StudyRunnerTests.RunProgram("verify", "--out", output, "--raw", raw);
        Assert.That(inputChanged, Is.EqualTo(ExitCodes.VerifyFailed));
        Assert.That(err2, Does.Contain("input quizduel/a.har: changed since the dataset was made"));
    }

    [Test]
    public async Task Verify_fails_once_a_key_log_beside_a_capture_changes_or_is_put_there_since()
    {
        var raw = TestFiles.NewTempFolder("raw");
        var app = Directory.CreateDirectory(Path.Combine(raw, "app")).FullName;
        var demonstration = ResearchPipeline.Tests.Lab.DemonstrationCorpus.Raw;
        var capture = CaptureFile.Discover(demonstration).First(f => f.KeyLogs.Count > 0 && f.RelativeName.EndsWith(".pcapng", StringComparison.Ordinal));
        File.Copy(capture.FullPath, Path.Combine(app, "a.pcapng"));
        File.Copy(Path.Combine(demonstration, capture.KeyLogs[0].RelativeName), Path.Combine(app, "a.keylog"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(app, "b.har"));
        var output = TestFiles.NewTempFolder("out");
        await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 1, ResearchPipeline.Captures.ReadLimits.Default));
        Assert.That(PublishedFolderCheck.Run(output, raw), Is.Empty);

        File.AppendAllText(Path.Combine(app, "a.keylog"), "\n");
        File.WriteAllText(Path.Combine(app, "b.keylog"), "");
        Assert.That(PublishedFolderCheck.Run(output, raw), Is.EqualTo(new[]
        {
            "input app/a.keylog: changed since the dataset was made (sha256 differs from the manifest)",
            $"input app/b.keylog: in {raw} but not in the manifest (rerun make all)",
        }));
    }

    [Test]
    public async Task A_check_that_passes_says_what_it_checked_and_names_what_it_could_not()
    {
        var (raw, output) = await PublishOneHar();
        var taxonomy = Path.Combine(TestFiles.RepositoryRoot, "data", "taxonomy");
        var (code, stdout, stderr) = StudyRunnerTests.RunProgram("verify", "--out", output, "--raw", raw, "--taxonomy", taxonomy, "--lock", "/nonexistent/reference.lock.csv");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        var lines = stdout.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.That(lines[0], Is.EqualTo($"{output}: every published file matches SHA256SUMS and manifest.json, and the manifest matches the inputs in {raw} and the taxonomy in {taxonomy}"));
        Assert.That(lines[1], Is.EqualTo("not checked: the reference lock's pins (no file /nonexistent/reference.lock.csv; name it with --lock)"));

        // A published folder without its raw captures, as it is most often shared: no claim about the inputs.
        var (alone, aloneOut, _) = StudyRunnerTests.RunProgram("verify", "--out", output, "--raw", "/nonexistent/raw", "--taxonomy", "/nonexistent/taxonomy", "--lock", "/nonexistent/reference.lock.csv");
        Assert.That(alone, Is.EqualTo(ExitCodes.Ok));
        Assert.That(aloneOut.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries).Take(4), Is.EqualTo(new[]
        {
            $"{output}: every published file matches SHA256SUMS and manifest.json",
            "not checked: the inputs, captures and key logs (no folder /nonexistent/raw; name it with --raw)",
            "not checked: the taxonomy (no folder /nonexistent/taxonomy; name it with --taxonomy)",
            "not checked: the reference lock's pins (no file /nonexistent/reference.lock.csv; name it with --lock)",
        }));
    }

    [Test]
    public async Task A_check_that_passes_still_says_the_tables_came_from_a_checkout_with_changes_not_committed_or_another_commit()
    {
        var (_, output) = await PublishOneHar();
        var path = Path.Combine(output, Manifest.FileName);
        foreach (var modified in new[] { false, true })
        {
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
            manifest["tool"]!["git_commit"] = "0123456789abcdef0123456789abcdef01234567";
            manifest["tool"]!["source_modified"] = modified;
            File.WriteAllText(path, manifest.ToJsonString());
            Assert.That(PublishedFolderCheck.Caveats(output, [], "0123456789abcdef0123456789abcdef01234567"), Is.EqualTo(modified
                ? new[] { "made from a checkout with changes not committed to 0123456789abcdef0123456789abcdef01234567 (the manifest's source_modified): a re-run from that commit need not give these tables" }
                : []));
        }

        // Checked by a program built from another commit, or from none known.
        Assert.That(PublishedFolderCheck.Caveats(output, [], "fedcba9876543210fedcba9876543210fedcba98"), Has.Member(
            "made by the pipeline at commit 0123456789abcdef0123456789abcdef01234567; this program is built from fedcba9876543210fedcba9876543210fedcba98: a re-run with it need not give these tables"));
        Assert.That(PublishedFolderCheck.Caveats(output, [], "unknown"), Has.Count.EqualTo(1), "only the checkout's changes");
    }
}

public class OptionParsingTests
{
    [Test]
    public void Version_names_the_commit_the_manifest_would_name_and_whether_the_source_was_edited()
    {
        var (code, stdout, stderr) = StudyRunnerTests.RunProgram("--version");
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        var tool = ResearchPipeline.Run.Tool.Info;
        var expected = $"{tool.Version} (commit {tool.GitCommit})" + Environment.NewLine
            + (tool.SourceModified == true ? "with changes not committed to that commit" + Environment.NewLine : "");
        Assert.That(stdout, Is.EqualTo(expected));
        Assert.That(tool.GitCommit, Does.Match("^([0-9a-f]{40}|unknown)$"));
        Assert.That(StudyRunnerTests.RunProgram("--help").Stdout, Does.Contain("-v, --version"), "the help offers it");
    }

    [Test]
    public void A_misspelt_option_is_an_error_naming_it_and_nothing_is_published()
    {
        var output = Path.Combine(TestFiles.NewTempFolder("out"), "processed");
        var city = Path.Combine(TestFiles.Refdata, "maxmind-test", "GeoIP2-City-Test.mmdb");
        var (code, _, err) = StudyRunnerTests.RunProgram("run", "--raw", ResearchPipeline.Tests.Lab.DemonstrationCorpus.Raw, "--out", output, "--mmbd", city);
        Assert.That(code, Is.EqualTo(ExitCodes.Usage), err);
        Assert.That(err, Does.Contain("Unknown option 'mmbd'"));
        Assert.That(Directory.Exists(output), Is.False, "no study run without the database the user meant to name");

        // A plan is made from the listing alone: the options of the stages after it are not its own.
        var (planned, _, planErr) = StudyRunnerTests.RunProgram("plan", "--raw", ResearchPipeline.Tests.Lab.DemonstrationCorpus.Raw, "--interim", TestFiles.NewTempFolder("interim"), "--jobs", "2");
        Assert.That(planned, Is.EqualTo(ExitCodes.Usage), planErr);
        Assert.That(planErr, Does.Contain("Unknown option 'jobs'"));

        // Emit reads the raw folder and the limits from its plan: a raw folder given to it is refused, not ignored.
        var (emitted, _, emitErr) = StudyRunnerTests.RunProgram("emit", "--plan", Path.Combine(TestFiles.NewTempFolder("no-plan"), "plan.json"), "--raw=/elsewhere");
        Assert.That(emitted, Is.EqualTo(ExitCodes.Usage), emitErr);
        Assert.That(emitErr, Does.Contain("from its plan").And.EndWith("not --raw" + Environment.NewLine));
    }
}

public class UserDatabaseOptionTests
{
    [Test]
    public void A_database_named_with_mmdb_answers_before_any_other()
    {
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "app"));
        File.WriteAllText(Path.Combine(raw, "app", "s.har"), """
            {"log":{"version":"1.2","creator":{"name":"test","version":"1"},"entries":[
              {"startedDateTime":"2024-06-24T10:00:00.000Z","serverIPAddress":"81.2.69.160",
               "request":{"method":"GET","url":"https://tracker.example/collect","httpVersion":"HTTP/1.1","headers":[]},
               "response":{"status":204,"headers":[],"content":{"size":0}}}]}}
            """);
        var city = Path.Combine(TestFiles.Refdata, "maxmind-test", "GeoIP2-City-Test.mmdb");
        var output = TestFiles.NewTempFolder("out");
        var (code, _, err) = StudyRunnerTests.RunProgram("run", "--raw", raw, "--out", output, "--quiet", "--mmdb", city, "--external", TestFiles.NewTempFolder("empty"));
        Assert.That(code, Is.EqualTo(0), err);
        using var db = StudyRunnerTests.OpenDuckDb();
        var rows = StudyRunnerTests.Query(db, $"select country, city, geo_source from read_parquet('{output}/endpoints.parquet') where server_ip = '81.2.69.160'");
        Assert.That(rows, Has.Count.EqualTo(1));
        Assert.That(rows[0][0], Is.EqualTo("GB"));
        Assert.That(rows[0][1], Is.EqualTo("London"));
        Assert.That((string)rows[0][2]!, Does.Contain("GeoIP2-City"));

        // It decided the geo columns, so the manifest names it beside the pinned data, by its digest, not its path.
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(output, Manifest.FileName)))!;
        var named = manifest["reference"]!.AsArray().Where(r => (string?)r!["name"] == "user-database").ToList();
        Assert.That(named, Has.Count.EqualTo(1));
        Assert.That(((string)named[0]!["file"]!, (string)named[0]!["file_sha256"]!, (string)named[0]!["role"]!, (string)named[0]!["database_type"]!),
            Is.EqualTo(("GeoIP2-City-Test.mmdb", Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(city))), "geo", "GeoIP2-City")));
        Assert.That((string)named[0]!["built"]!, Does.Match(@"^\d{4}-\d{2}-\d{2}$"));
        Assert.That(File.ReadAllText(Path.Combine(output, Manifest.FileName)), Does.Not.Contain(TestFiles.Refdata), "no machine-specific path");

        var (missing, _, missingErr) = StudyRunnerTests.RunProgram("run", "--raw", raw, "--out", output, "--mmdb", "/nonexistent.mmdb");
        Assert.That(missing, Is.Not.EqualTo(0));
        Assert.That(missingErr, Does.Contain("/nonexistent.mmdb"));

        // verify checks it where the user holds it, given or in the external folder; without it, says it did not.
        var empty = TestFiles.NewTempFolder("empty");
        string[] Verify(params string[] more) => ["verify", "--out", output, "--raw", raw, "--external", empty, .. more];
        var (notCheckedCode, notChecked, _) = StudyRunnerTests.RunProgram(Verify());
        Assert.That(notCheckedCode, Is.EqualTo(0));
        Assert.That(notChecked, Does.Contain("not checked: the manifest names a database of the user's own, GeoIP2-City-Test.mmdb"));
        var (same, sameOut, sameErr) = StudyRunnerTests.RunProgram(Verify("--mmdb", city));
        Assert.That(same, Is.EqualTo(0), sameErr);
        Assert.That(sameOut, Does.Contain("and the databases of your own (GeoIP2-City-Test.mmdb)").And.Not.Contain("not checked: the manifest names a database"));
        var external = TestFiles.NewTempFolder("external");
        File.Copy(city, Path.Combine(external, "GeoIP2-City-Test.mmdb"));
        var (found, foundOut, _) = StudyRunnerTests.RunProgram("verify", "--out", output, "--raw", raw, "--external", external);
        Assert.That((found, foundOut), Is.EqualTo((0, sameOut)), "found in the external folder");

        var another = Path.Combine(TestFiles.NewTempFolder("another"), "GeoIP2-City-Test.mmdb");
        File.Copy(Path.Combine(TestFiles.Refdata, "maxmind-test", "GeoIP2-Country-Test.mmdb"), another);
        var (changed, _, changedErr) = StudyRunnerTests.RunProgram(Verify("--mmdb", another));
        Assert.That(changed, Is.EqualTo(ExitCodes.VerifyFailed));
        Assert.That(changedErr, Is.EqualTo("research-pipeline: verify: user database GeoIP2-City-Test.mmdb: another file than the tables were made with (sha256 differs from the manifest)" + Environment.NewLine));
        var (unnamed, _, unnamedErr) = StudyRunnerTests.RunProgram(Verify("--mmdb", city, "--mmdb", Path.Combine(TestFiles.Refdata, "maxmind-test", "GeoLite2-ASN-Test.mmdb")));
        Assert.That(unnamed, Is.EqualTo(ExitCodes.VerifyFailed));
        Assert.That(unnamedErr, Is.EqualTo("research-pipeline: verify: user database GeoLite2-ASN-Test.mmdb: not named in the manifest (the tables were made without it)" + Environment.NewLine));
    }
}
