using ResearchPipeline.Reference;

namespace ResearchPipeline.Tests.Enrichment;

/// <summary>
/// The pinned production reference data, where <c>research-pipeline reference</c> has unpacked it into the
/// checkout's data/external; tests that need it are skipped, saying so, where it is absent.
/// </summary>
public static class ReferenceData
{
    public static string LockPath => Path.Combine(TestFiles.RepositoryRoot, "data", "reference.lock.csv");
    public static string ExternalFolder => Path.Combine(TestFiles.RepositoryRoot, "data", "external");
    public static string TaxonomyFolder => Path.Combine(TestFiles.RepositoryRoot, "data", "taxonomy");

    public static ReferenceLock Lock => ReferenceLock.Load(LockPath);

    /// <summary>Skips the test unless every file the lock pins is unpacked.</summary>
    public static void RequireFetched()
    {
        var missing = Lock.Artefacts.Where(a => !File.Exists(a.PathUnder(ExternalFolder))).Select(a => a.Citation).ToList();
        if (missing.Count > 0)
            Assert.Ignore($"reference data not fetched into {ExternalFolder} (missing {string.Join(", ", missing)}): run research-pipeline reference");
    }

    public static string MaxMindTest(string file)
    {
        var path = Path.Combine(TestFiles.Refdata, "maxmind-test", file);
        if (!File.Exists(path)) Assert.Ignore($"MaxMind test database {file} not found at {path}");
        return path;
    }
}
