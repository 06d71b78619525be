using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Tests.Enrichment;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Analysis;

/// <summary>
/// Published folders the analysis tests read, each written once per test run by the real pipeline: the
/// committed demonstration corpus (every table has rows; recorded on loopback, so nothing is located), and a
/// study of shared real captures whose server addresses GeoIP and ASN data can place.
/// </summary>
internal static class PublishedStudies
{
    private static readonly Lazy<Task<string>> _demonstration = new(() => Publish("demonstration", DemonstrationCorpus.Raw));
    private static readonly Lazy<Task<string>> _located = new(PublishLocated);

    /// <summary>data/raw published with the pinned reference data where it is fetched.</summary>
    public static Task<string> Demonstration => _demonstration.Value;

    /// <summary>QuizDuel's HAR and the 1kxun pcap: real addresses, real Meta and ad-SDK hosts. Needs the reference data.</summary>
    public static Task<string> Located
    {
        get
        {
            ReferenceData.RequireFetched();
            return _located.Value;
        }
    }

    private static async Task<string> PublishLocated()
    {
        var raw = TestFiles.NewTempFolder("located-raw");
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(raw, "quizduel", "traffic.har"));
        Directory.CreateDirectory(Path.Combine(raw, "kankan"));
        File.Copy(TestFiles.Capture("pcap/1kxun.pcap"), Path.Combine(raw, "kankan", "traffic.pcap"));
        return await Publish("located", raw);
    }

    private static async Task<string> Publish(string name, string raw)
    {
        var output = TestFiles.NewTempFolder(name);
        var summary = await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 2, ReadLimits.Default)
        {
            ExternalFolder = ReferenceData.ExternalFolder,
            ReferenceLock = ReferenceData.LockPath,
            TaxonomyFolder = ReferenceData.TaxonomyFolder,
        });
        Assert.That(summary.InvariantFailures, Is.Empty, $"{name}: the pipeline's counts do not add up");
        return output;
    }
}
