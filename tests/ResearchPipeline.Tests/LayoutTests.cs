using System.Text.RegularExpressions;

namespace ResearchPipeline.Tests;

/// <summary>
/// The library's folders are the stages in the order the data flows; a folder may use only folders before it,
/// so the layout reads as the flow and no stage reaches back into a later one.
/// </summary>
public partial class LayoutTests
{
    /// <summary>The flow, first to last. A new folder is placed here, where its dependencies allow.</summary>
    private static readonly string[] Flow =
    [
        "Study", "Captures", "Payloads", "Decoders", "Identity", "Reference", "Enrichment", "Taxonomy",
        "Dataset", "Privacy", "Cluster", "Run", "Analysis", "Site",
    ];

    private static string Library => Path.Combine(TestFiles.RepositoryRoot, "pipeline", "ResearchPipeline");

    private static IEnumerable<string> Folders() => Directory.EnumerateDirectories(Library)
        .Select(Path.GetFileName).Where(n => n is not ("bin" or "obj")).Order(StringComparer.Ordinal)!;

    [Test]
    public void Every_folder_of_the_library_has_its_place_in_the_flow()
    {
        Assert.That(Folders(), Is.EquivalentTo(Flow));
    }

    [Test]
    public void A_folder_uses_only_the_folders_before_it()
    {
        var backwards = new List<string>();
        foreach (var folder in Flow)
        {
            var allowed = Flow.TakeWhile(f => f != folder).ToHashSet(StringComparer.Ordinal);
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Library, folder), "*.cs", SearchOption.AllDirectories))
            {
                foreach (Match m in StageReference().Matches(File.ReadAllText(file)))
                {
                    var used = m.Groups[1].Value;
                    if (used != folder && Flow.Contains(used) && !allowed.Contains(used))
                        backwards.Add($"{Path.GetRelativePath(Library, file)} uses {used}");
                }
            }
        }
        Assert.That(backwards.Distinct(), Is.Empty);
    }

    [Test]
    public void The_readme_layout_lists_every_folder_of_the_library()
    {
        var readme = File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "README.md"));
        var layout = readme[readme.IndexOf("## Layout", StringComparison.Ordinal)..];
        var listed = ReadmeFolder().Matches(layout).Select(m => m.Groups[1].Value).ToList();
        Assert.That(listed, Is.EquivalentTo(Folders()));
        Assert.That(listed, Is.EqualTo(Flow.Where(listed.Contains)), "listed in the order of the flow");
    }

    // "using ResearchPipeline.Payloads;" and qualified names such as "ResearchPipeline.Taxonomy.TrackerAttribution".
    [GeneratedRegex(@"\bResearchPipeline\.([A-Z][A-Za-z]+)\b")]
    private static partial Regex StageReference();

    // The library's folders in the README's layout block: "  Captures/   parse: ...".
    [GeneratedRegex(@"(?m)^  ([A-Z][A-Za-z]+)/ ")]
    private static partial Regex ReadmeFolder();
}
