using System.Security.Cryptography;
using BenchReport;
using CorpusScaler;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Tests.Bench;

// Smoke tests of the benchmark tooling (bench/): the scaled corpus must be deterministic, every copy must be a
// different capture, and a copy must read as the same traffic as its original.
public class CorpusScalerTests
{
    private static string Raw => Path.Combine(TestFiles.RepositoryRoot, "data", "raw");

    private static List<(string Method, string Host, string Path)> Requests(string path)
    {
        using var stream = File.OpenRead(path);
        return CaptureFormats.All.Detect(path)!.Read(stream, ReadLimits.Default).OfType<ExchangeRead>()
            .Select(r => (r.Exchange.Method, r.Exchange.Target.Host, r.Exchange.Target.Path)).ToList();
    }

    [Test]
    public void Scaling_the_demonstration_corpus_twice_writes_the_same_bytes_and_a_distinct_capture_id_per_file()
    {
        var seeds = CorpusPlan.Seeds(Raw, shared: null);
        var first = TestFiles.NewTempFolder();
        var second = TestFiles.NewTempFolder();
        var (files, bytes) = CorpusPlan.Write(seeds, Raw, 400_000, Path.Combine(first, "c"));
        CorpusPlan.Write(seeds, Raw, 400_000, Path.Combine(second, "c"));

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
        var original = Path.Combine(Raw, capture);
        var copy = Path.Combine(TestFiles.NewTempFolder(), Path.GetFileName(capture));
        File.WriteAllBytes(copy, CaptureVariation.Vary(original, File.ReadAllBytes(original), 7));

        Assert.That(File.ReadAllBytes(copy), Is.Not.EqualTo(File.ReadAllBytes(original)));
        Assert.That(Requests(copy), Is.EqualTo(Requests(original)).And.Not.Empty);
    }

    [Test]
    public void The_report_states_each_target_as_a_ratio_within_one_run()
    {
        var results = BenchResults.Parse([
            "# machine: 2 cores",
            "corpus,subset,tool,step,jobs,files,bytes,requests,wall_s,peak_rss_kb,stage_parse_s,stage_enrich_s,stage_emit_s",
            "1GB,all,cat,read,1,10,1073741824,,1.00,2000,,,",
            "1GB,all,research-pipeline,parse,1,10,1073741824,1000,4.00,100000,3.0,,0.5",
            "1GB,all,research-pipeline,run,1,10,1073741824,1000,20.00,300000,15.0,1.0,2.0",
            "1GB,har,trackhar,process,1,5,536870912,500,10.00,90000,,,",
            "1GB,har,research-pipeline,run,1,5,536870912,500,2.00,200000,1.5,0.1,0.2",
        ]);
        var md = Report.Render(results, "## Notes\n");

        Assert.That(md, Does.Contain(Report.Command));
        Assert.That(md, Does.Contain("| end-to-end >= 10x TrackHAR's requests/s (same HARs; ours -j1, TrackHAR one process) | 5.00x (250 vs 50 requests/s) | **no** |"));
        Assert.That(md, Does.Contain("| parse stage within 5x of cat (-j1) | 4.0x cat (4.00 s vs 1.00 s) | yes |"));
        Assert.That(md, Does.Contain("| enrichment under 5% of the run (-j1) | 5.00% (1.00 s of 20.00 s) | **no** |"));
    }
}
