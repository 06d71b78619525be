using ResearchPipeline.Site;
using ResearchPipeline.Tests.Analysis;

namespace ResearchPipeline.Tests.Site;

/// <summary>The site of the demonstration corpus, published by the real pipeline and written once per test run.</summary>
internal static class GeneratedSite
{
    private static readonly Lazy<Task<string>> _folder = new(() => Write("site"));

    public static Task<string> Folder => _folder.Value;

    public static string Citation => Path.Combine(TestFiles.RepositoryRoot, "CITATION.cff");

    /// <summary>A new site of the demonstration study in a folder of its own.</summary>
    public static async Task<string> Write(string name)
    {
        var processed = await PublishedStudies.Demonstration;
        var folder = TestFiles.NewTempFolder(name);
        await SiteWriter.WriteAsync(processed, folder, Citation, SiteWriter.ZoomReconstruction);
        return folder;
    }

    public static string Url(string folder, string page) => new Uri(Path.Combine(folder, page)).AbsoluteUri;
}
