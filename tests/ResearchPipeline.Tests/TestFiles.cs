using System.Runtime.CompilerServices;

namespace ResearchPipeline.Tests;

/// <summary>Where tests find their inputs: the repository and the real captures copied into it (tests/fixtures).</summary>
public static class TestFiles
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>The real captures and reference data copied into the repository, with PROVENANCE.md.</summary>
    public static string Fixtures { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures");

    /// <summary>
    /// The real captures folder: RESEARCH_SHARED_CAPTURES when set (a larger collection of one's own), else the
    /// repository's tests/fixtures/captures. Tests that need it are skipped, saying why, where none exists.
    /// </summary>
    public static string Captures
    {
        get
        {
            var folder = FindCaptures();
            if (folder is null)
                Assert.Ignore($"no real captures: neither {string.Join(" nor ", CaptureFolders())} exists");
            return folder!;
        }
    }

    /// <summary>The reference data for tests (MaxMind test databases): tests/fixtures/refdata.</summary>
    public static string Refdata
    {
        get
        {
            var folder = Path.Combine(Fixtures, "refdata");
            if (!Directory.Exists(folder)) Assert.Ignore($"no reference data for tests: {folder} does not exist");
            return folder;
        }
    }

    /// <summary>
    /// One real capture by its path under the captures folder, from the first folder that has it; skipped, naming
    /// it, where none has it.
    /// </summary>
    public static string Capture(string relative)
    {
        var path = CaptureFolders().Select(folder => Path.Combine(folder, relative)).FirstOrDefault(File.Exists);
        if (path is null)
            Assert.Ignore($"real capture {relative} not found in {string.Join(" nor ", CaptureFolders())} (tests/fixtures/PROVENANCE.md says which captures the repository holds)");
        return path!;
    }

    /// <summary>The captures folder <see cref="Captures"/> names, or null where none exists (for test case sources).</summary>
    public static string? FindCaptures() => CaptureFolders().FirstOrDefault(Directory.Exists);

    private static IEnumerable<string> CaptureFolders()
    {
        var env = Environment.GetEnvironmentVariable("RESEARCH_SHARED_CAPTURES");
        if (!string.IsNullOrEmpty(env)) yield return env;
        yield return Path.Combine(Fixtures, "captures");
    }

    /// <summary>A fresh folder for one test's outputs, removed when the test run ends.</summary>
    public static string NewTempFolder([CallerMemberName] string name = "")
    {
        var folder = Path.Combine(Path.GetTempPath(), "research-pipeline-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string FindRepositoryRoot([CallerFilePath] string thisFile = "")
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ResearchPipeline.sln"))) dir = dir.Parent;
        if (dir is not null) return dir.FullName;
        return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(thisFile)!, "..", ".."));
    }
}
