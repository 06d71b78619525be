using System.Security.Cryptography;
using BenchReport;
using CorpusScaler;
using ResearchPipeline.Captures;
using ResearchPipeline.Tests.Captures;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Bench;

// Smoke tests of the benchmark tooling (bench/): the scaled corpus must be deterministic, every copy must be a
// different capture, and a copy must read as the same traffic as its original.
public class CorpusScalerTests
{
    private static List<(string Method, string Host, string Path)> Requests(string path)
    {
        using var stream = File.OpenRead(path);
        return CaptureFormats.All.Detect(path)!.Read(stream, ReadLimits.Default).OfType<ExchangeRead>()
            .Select(r => (r.Exchange.Method, r.Exchange.Target.Host, r.Exchange.Target.Path)).ToList();
    }

    [Test]
    public void Scaling_the_demonstration_corpus_twice_writes_the_same_bytes_and_a_distinct_capture_id_per_file()
    {
        var seeds = CorpusPlan.Seeds(DemonstrationCorpus.Raw, shared: null);
        var first = TestFiles.NewTempFolder();
        var second = TestFiles.NewTempFolder();
        var (files, bytes) = CorpusPlan.Write(seeds, DemonstrationCorpus.Raw, 400_000, Path.Combine(first, "c"));
        CorpusPlan.Write(seeds, DemonstrationCorpus.Raw, 400_000, Path.Combine(second, "c"));

        Assert.That(bytes, Is.GreaterThanOrEqualTo(400_000));
        string Digest(string root, string f) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(Path.Combine(root, "c", f))));
        var names = Directory.GetFiles(Path.Combine(first, "c"), "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(Path.Combine(first, "c"), f)).Where(f => f.Contains('/')).Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Has.Count.EqualTo(files));
        Assert.That(names.Select(n => Digest(second, n)), Is.EqualTo(names.Select(n => Digest(first, n))));
        var originals = seeds.SelectMany(s => s.Files).Select(f => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(f))));
        Assert.That(names.Select(n => Digest(first, n)).Concat(originals), Is.Unique);
        Assert.That(File.ReadAllLines(Path.Combine(first, "c", "apps.csv")).Skip(1).Select(l => l.Split(',')[0]),
            Is.EquivalentTo(names.Select(n => n.Split('/')[0]).Distinct()));
    }

    [TestCase("meetly-ios-2020/session.har")]
    [TestCase("meetly-ios-2020/session.mitm")]
    [TestCase("meetly-ios-2020/session.pcapng")]
    public void A_varied_copy_reads_as_the_same_requests_as_its_original(string capture)
    {
        var original = Path.Combine(DemonstrationCorpus.Raw, capture);
        var copy = Path.Combine(TestFiles.NewTempFolder(), Path.GetFileName(capture));
        File.WriteAllBytes(copy, CaptureVariation.Vary(original, File.ReadAllBytes(original), 7));

        Assert.That(File.ReadAllBytes(copy), Is.Not.EqualTo(File.ReadAllBytes(original)));
        Assert.That(Requests(copy), Is.EqualTo(Requests(original)).And.Not.Empty);
    }

    [Test]
    public void A_TLS_copy_keeps_every_connection_and_its_keys_on_client_ports_of_its_own()
    {
        var original = Path.Combine(DemonstrationCorpus.Raw, "meetly-ios-2020", "session.pcapng");
        var copy = Path.Combine(TestFiles.NewTempFolder(), "session.pcapng");
        File.WriteAllBytes(copy, CaptureVariation.VaryConnections(File.ReadAllBytes(original), 7));

        List<CaptureRecord> Read(string path)
        {
            using var stream = File.OpenRead(path);
            return CaptureFormats.All.Detect(path)!.Read(stream, ReadLimits.Default).ToList();
        }
        var (before, after) = (Read(original), Read(copy));
        byte[][] Secrets(string path) => ResearchPipeline.Tests.Captures.PcapContainerAndDamageTests.SecretsBlocks(path).Select(d => d.Secrets.ToArray()).ToArray();
        Assert.That(Secrets(copy), Is.EqualTo(Secrets(original)).And.Not.Empty, "the Decryption Secrets Block is kept");
        List<Exchange> Flows(List<CaptureRecord> records) => records.OfType<ExchangeRead>().Select(r => r.Exchange).OrderBy(e => e.Ordinal).ToList();
        var (a, b) = (Flows(before), Flows(after));
        Assert.That(b.Select(e => (e.Kind, e.Target.Host, e.Target.Port, e.Sni, e.BytesToServer, e.BytesToClient)),
            Is.EqualTo(a.Select(e => (e.Kind, e.Target.Host, e.Target.Port, e.Sni, e.BytesToServer, e.BytesToClient))).And.Not.Empty);
        Assert.That(b.Select(e => e.ClientPort).Intersect(a.Select(e => e.ClientPort)), Is.Empty, "every client port moved");

        // Wireshark, with nothing but the copy's own embedded keys, decrypts the same HTTP/2 requests from it.
        string[] fields = ["http2.headers.method", "http2.headers.authority", "http2.headers.path"];
        var expected = Tshark.Fields(original, "http2.headers.method", fields).Select(r => string.Join(' ', r.Select(f => string.Join('/', f)))).ToList();
        Assert.That(Tshark.Fields(copy, "http2.headers.method", fields).Select(r => string.Join(' ', r.Select(f => string.Join('/', f)))), Is.EqualTo(expected).And.Not.Empty);
    }

    [Test]
    public void The_TLS_corpus_holds_pcapngs_with_their_key_logs_and_one_key_log_for_tshark()
    {
        var folder = Path.Combine(TestFiles.NewTempFolder(), "tls");
        var (files, bytes) = CorpusPlan.WriteTls(DemonstrationCorpus.Raw, 400_000, folder);
        var pcaps = Directory.GetFiles(folder, "session.pcapng", SearchOption.AllDirectories);
        Assert.That(bytes, Is.GreaterThanOrEqualTo(400_000));
        Assert.That(pcaps, Has.Length.EqualTo(files));
        Assert.That(pcaps.Select(p => File.Exists(Path.ChangeExtension(p, ".keylog"))), Is.All.True);
        var keys = File.ReadAllLines(Path.Combine(folder, "keylog.txt")).Where(l => l.Length > 0).ToList();
        var sessionKeys = Directory.GetFiles(DemonstrationCorpus.Raw, "session.keylog", SearchOption.AllDirectories).SelectMany(File.ReadAllLines).Where(l => l.Length > 0);
        Assert.That(keys, Is.EquivalentTo(sessionKeys));
        Assert.That(File.ReadAllLines(Path.Combine(folder, "apps.csv")).Skip(1).Select(l => l.Split(',')[0]),
            Is.EquivalentTo(pcaps.Select(p => Path.GetFileName(Path.GetDirectoryName(p)))));
    }

    [Test]
    public void The_report_shows_the_decrypting_reader_against_tshark_and_its_memory_across_sizes()
    {
        var results = BenchResults.Parse([
            "corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s",
            "tls-10MB,tls,research-pipeline,parse,1,70,10485760,500,1.00,100000,0.8,,",
            "tls-10MB,tls,tshark,fields,1,70,10485760,400,8.00,300000,,,",
            "tls-10MB,tls,research-pipeline,run,1,70,10485760,500,2.00,200000,0.8,0.1,0.5",
            // A whole run listed before the parse: the table still compares the parse with tshark.
            "tls-100MB,tls,research-pipeline,run,2,700,104857600,5000,9.00,520000,4.0,0.2,3.0",
            "tls-100MB,tls,research-pipeline,parse,1,700,104857600,5000,5.00,120000,4.5,,",
            "tls-100MB,tls,tshark,fields,1,700,104857600,4000,20.00,900000,,,",
        ]);
        var md = Report.Render(results, "");
        Assert.That(md, Does.Contain("| tls-10MB | 70 | 10.0 | 1.00 | 10.0 | 97 | 8.00 | 1.2 | 292 | 8.00x | yes |"));
        Assert.That(md, Does.Contain("| tls-100MB | 700 | 100.0 | 5.00 | 20.0 | 117 | 20.00 | 5.0 | 878 | 4.00x | **no** |"));
        Assert.That(md, Does.Contain("Peak memory from tls-10MB to tls-100MB (10.0x the bytes): 1.20x (yes flat, i.e. under 1.5x)."));
        Assert.That(md, Does.Contain("Whole run (decrypt, decode, enrich, emit) over tls-10MB, -j1: 2.00 s, peak 195 MB; under 500 MB: yes."));
        Assert.That(md, Does.Contain("Whole run (decrypt, decode, enrich, emit) over tls-100MB, -j2: 9.00 s, peak 507 MB; under 500 MB: **no**."));
    }

    [Test]
    public void The_report_states_each_target_as_a_ratio_within_one_run()
    {
        var results = BenchResults.Parse([
            "# machine: 2 cores",
            "corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s,alloc_bytes,fields",
            "1GB,all,cat,read,1,10,1073741824,,1.00,2000,,,,,",
            "1GB,all,research-pipeline,parse,1,10,1073741824,1000,4.00,100000,3.0,,0.5,900000,",
            "1GB,all,research-pipeline,run,1,10,1073741824,1000,20.00,300000,15.0,1.0,2.0,80000000,20000",
            "1GB,all,research-pipeline,run,2,10,1073741824,1000,10.00,520000,7.0,1.0,1.5,82000000,20000",
            "1GB,har,trackhar,process,1,5,536870912,500,10.00,90000,,,,,",
            "1GB,har,research-pipeline,run,1,5,536870912,500,2.00,200000,1.5,0.1,0.2,30000000,10000",
            "1GB,har,research-pipeline,run,2,5,536870912,500,1.25,210000,0.9,0.1,0.2,31000000,10000",
            "1GB,har,research-pipeline,run-one-core,1,5,536870912,500,2.50,190000,1.9,0.1,0.4,30000000,10000",
            "one-har-2GB,har,research-pipeline,run,2,1,2147483648,900000,100.00,450000,80.0,1.0,15.0,,",
        ]);
        var md = Report.Render(results, "## Notes\n");

        Assert.That(md, Does.Contain(Report.Command));
        Assert.That(md, Does.Contain("## Targets (issue 15), on the 1GB corpus"));
        Assert.That(md, Does.Contain("| end-to-end >= 3x TrackHAR's requests/s (same HARs; ours -j2, TrackHAR one process) | 8.00x (400 vs 50 requests/s) | yes |"));
        Assert.That(md, Does.Contain("| end-to-end >= 1.5x TrackHAR's requests/s (same HARs; ours -j1, TrackHAR one process) | 5.00x (250 vs 50 requests/s) | yes |"));
        Assert.That(md, Does.Contain("| parse stage within 10x of cat (-j1, all) | 4.0x cat (4.00 s vs 1.00 s) | yes |"));
        Assert.That(md, Does.Contain("| -j2 at least 1.7x faster than -j1 (whole run, har) | 1.60x (1.25 s vs 2.00 s) | **no** |"));
        Assert.That(md, Does.Contain("| -j2 at least 1.7x faster than -j1 (whole run, all) | 2.00x (10.00 s vs 20.00 s) | yes |"));
        Assert.That(md, Does.Contain("| (no target) -j2 against -j1 held to one core (taskset -c 0; whole run, har) | 2.00x (1.25 s vs 2.50 s) |  |"));
        Assert.That(md, Does.Contain("| peak memory under 500 MB | 507 MB (the highest of our runs: all run -j2) | **no** |"));
        Assert.That(md, Does.Contain("| one 2GB HAR, whole run, under 120 s (-j2) | 100.00 s, 439 MB peak | yes |"));
        Assert.That(md, Does.Contain("| (no target) bytes allocated per decoded field (whole run over the HARs, -j1) | 3000 (30000000 bytes, 10000 fields) |  |"));
        // Results written before the allocation columns still read; their rows show no bytes per field.
        Assert.That(md, Does.Contain("| 1GB | 1 | 10 | 1024.0 | 1000 | 20.00 | 51.2 | 50 | 292 | 15.00 | 1.00 | 2.00 | 20000 | 4000 |"));
        // A corpus cat reads in under the timer's 0.01 s gives no ratio, not an infinite one.
        var small = Report.Render(BenchResults.Parse(["corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s",
            "10MB,all,research-pipeline,run,1,5,10485760,100,0.30,90000,0.1,0.1,0.1",
            "10MB,har,cat,read,1,5,10485760,,0.00,2000,,,",
            "10MB,har,research-pipeline,parse,1,5,10485760,100,0.10,70000,0.1,,"]), "");
        Assert.That(small, Does.Contain("| parse stage within 10x of cat (-j1, har) | cat took under 0.01 s, the timer's resolution: no ratio (ours 0.10 s) | - |"));
        Assert.That(small, Does.Not.Contain("Infinity"));
        Assert.That(Report.Render(BenchResults.Parse(["corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s",
            "1GB,all,research-pipeline,run,1,10,1073741824,1000,20.00,300000,15.0,1.0,2.0"]), ""),
            Does.Contain("| 1GB | 1 | 10 | 1024.0 | 1000 | 20.00 | 51.2 | 50 | 292 | 15.00 | 1.00 | 2.00 |  |  |"));
    }

    [Test]
    public void The_report_pairs_the_rounds_of_the_har_comparison_and_judges_the_targets_on_the_pairs()
    {
        const string Header = "corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s,alloc_bytes,fields,round";
        // As bench/run.sh writes them: each command's round of median time, unnumbered, then every round's own row. Round 1
        // was slow for both commands and round 2 fast for TrackHAR alone: the median of the rounds' own ratios is not the
        // ratio of the median times.
        var results = BenchResults.Parse([
            Header,
            "1GB,all,research-pipeline,run,2,10,1073741824,1000,10.00,520000,7.0,1.0,1.5,,,",
            "1GB,har,research-pipeline,run,1,5,536870912,500,5.00,200000,,,,,,",
            "1GB,har,research-pipeline,run,2,5,536870912,500,3.50,210000,,,,,,",
            "1GB,har,trackhar,process,1,5,536870912,500,10.00,90000,,,,,,",
            .. Rounds("research-pipeline", "run", 1, 5.00, 4.00, 6.00),
            .. Rounds("research-pipeline", "run", 2, 3.90, 2.50, 3.50),
            .. Rounds("trackhar", "process", 1, 12.00, 8.00, 10.00),
        ]);
        var md = Report.Render(results, "");

        // Rows of median time: 10 s against 3.5 s, 2.86x, under 3x; paired by round: 12/3.9, 8/2.5, 10/3.5, median 3.08x.
        Assert.That(md, Does.Contain("| end-to-end >= 3x TrackHAR's requests/s (same HARs; ours -j2, TrackHAR one process) | 2.86x (143 vs 50 requests/s); paired by round: 3.08x (2.86x to 3.20x, 3 rounds) | yes |"));
        Assert.That(md, Does.Contain("| end-to-end >= 1.5x TrackHAR's requests/s (same HARs; ours -j1, TrackHAR one process) | 2.00x (100 vs 50 requests/s); paired by round: 2.00x (1.67x to 2.40x, 3 rounds) | yes |"));
        // -j2 against -j1: 5/3.5 by the rows; 5/3.9, 4/2.5, 6/3.5 by round. The whole corpus is not measured in rounds.
        Assert.That(md, Does.Contain("| -j2 at least 1.7x faster than -j1 (whole run, har) | 1.43x (3.50 s vs 5.00 s); paired by round: 1.60x (1.28x to 1.71x, 3 rounds) | **no** |"));
        // A round's own row is not a measurement of its own in the tables.
        Assert.That(md.Split('\n').Count(l => l.StartsWith("| 1GB | har | trackhar |", StringComparison.Ordinal)), Is.EqualTo(1));

        // A command's rounds over the HARs, numbered from 1, each taking the time given.
        static IEnumerable<string> Rounds(string tool, string step, int jobs, params double[] seconds) =>
            seconds.Select((wall, i) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"1GB,har,{tool},{step},{jobs},5,536870912,500,{wall:F2},200000,,,,,,{i + 1}"));
    }
}
