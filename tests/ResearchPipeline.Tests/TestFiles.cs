using System.Runtime.CompilerServices;

namespace ResearchPipeline.Tests;

/// <summary>Where tests find their inputs: the repository, and the shared captures beside it.</summary>
public static class TestFiles
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    /// <summary>
    /// The shared captures folder (<c>../shared/captures</c> beside the checkout, or RESEARCH_SHARED_CAPTURES).
    /// Tests that need it are skipped, saying why, where it is absent.
    /// </summary>
    public static string SharedCaptures
    {
        get
        {
            var env = Environment.GetEnvironmentVariable("RESEARCH_SHARED_CAPTURES");
            var folder = !string.IsNullOrEmpty(env) ? env : Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "captures"));
            if (!Directory.Exists(folder))
                Assert.Ignore($"shared captures not found at {folder}: these tests read real captures from ../shared/captures beside the checkout");
            return folder;
        }
    }

    /// <summary>The shared reference data for tests (MaxMind test databases), skipped where absent.</summary>
    public static string SharedRefdata
    {
        get
        {
            var folder = Path.GetFullPath(Path.Combine(SharedCaptures, "..", "refdata"));
            if (!Directory.Exists(folder)) Assert.Ignore($"shared refdata not found at {folder}");
            return folder;
        }
    }

    public static string Shared(string relative)
    {
        var path = Path.Combine(SharedCaptures, relative);
        if (!File.Exists(path)) Assert.Ignore($"shared capture {relative} not found at {path}");
        return path;
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
