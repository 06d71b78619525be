using System.Text;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Site;

/// <summary>
/// Writes the dataset site: one folder of static HTML, one stylesheet and one small script, nothing fetched from
/// elsewhere. The folder's pages are replaced whole on every run, so a page of an app no longer in the dataset
/// does not linger, and the same tables give the same bytes.
/// </summary>
public static class SiteWriter
{
    /// <summary>The default worked example: the demonstration corpus's reconstruction of the 2020 Zoom iOS case.</summary>
    public static readonly WorkedExample ZoomReconstruction = new(
        "org.example.meetly",
        "the 2020 Zoom reconstruction",
        "Meetly is a demonstration app recorded to reconstruct what the Zoom iOS app was found in March 2020 to send to Facebook each time it opened, whether or not its user had a Facebook account.");

    private static readonly string[] Assets = ["style.css", "site.js"];

    /// <summary>Writes the site of the published folder <paramref name="processed"/> into <paramref name="outFolder"/>; returns the files written, relative and sorted.</summary>
    public static async Task<IReadOnlyList<string>> WriteAsync(string processed, string outFolder, string? citationFile, WorkedExample example, CancellationToken cancel = default)
    {
        var data = SiteDataset.Load(processed);
        var citation = citationFile is not null && File.Exists(citationFile) ? await File.ReadAllTextAsync(citationFile, cancel) : null;
        var files = new SortedDictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var page in new SitePages(data, example, citation).All()) files[page.Path] = Utf8(page.Content);
        foreach (var asset in Assets) files[asset] = Asset(asset);
        if (citation is not null) files["citation.cff"] = Utf8(citation.ReplaceLineEndings("\n"));

        foreach (var folder in new[] { "apps", "organisations" })
        {
            var old = Path.Combine(outFolder, folder);
            if (Directory.Exists(old))
                foreach (var stale in Directory.EnumerateFiles(old, "*.html")) File.Delete(stale);
        }
        foreach (var (path, bytes) in files)
            await AtomicFile.WriteAsync(Path.Combine(outFolder, path), s => s.WriteAsync(bytes, cancel).AsTask(), cancel);
        return [.. files.Keys];
    }

    private static byte[] Utf8(string text) => new UTF8Encoding(false).GetBytes(text);

    private static byte[] Asset(string name)
    {
        using var stream = typeof(SiteWriter).Assembly.GetManifestResourceStream("ResearchPipeline.Site." + name)
            ?? throw new InvalidOperationException($"the site asset {name} is not embedded in the library");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
