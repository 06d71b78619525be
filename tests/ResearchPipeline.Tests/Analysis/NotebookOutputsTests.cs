using System.Text.Json;
using ResearchPipeline.Analysis;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Tests.Analysis;

/// <summary>
/// The outputs committed in the notebooks are those of the committed published tables: cells whose output the
/// library alone determines are recomputed from data/processed and compared with what the notebook stores.
/// A change to the data or to the library that is not followed by <c>make notebooks</c> fails here (CI also
/// re-executes the notebooks and fails on any difference).
/// </summary>
public class NotebookOutputsTests
{
    private static string Processed => Path.Combine(TestFiles.RepositoryRoot, "data", "processed");

    /// <summary>The stored text/html and stream text of the code cell whose source is exactly <paramref name="source"/>.</summary>
    private static (List<string> Html, string Stream) Outputs(string notebook, string source)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "notebooks", notebook)));
        var cell = doc.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .FirstOrDefault(c => Join(c.GetProperty("source")) == source);
        Assert.That(cell.ValueKind, Is.EqualTo(JsonValueKind.Object), $"{notebook} has no cell `{source}`");
        var html = new List<string>();
        var stream = "";
        foreach (var output in cell.GetProperty("outputs").EnumerateArray())
        {
            if (output.TryGetProperty("data", out var data) && data.TryGetProperty("text/html", out var h)) html.Add(Join(h));
            if (output.TryGetProperty("text", out var text)) stream += Join(text);
        }
        return (html, stream);
    }

    private static string Join(JsonElement lines) =>
        lines.ValueKind == JsonValueKind.Array ? string.Concat(lines.EnumerateArray().Select(l => l.GetString())) : lines.GetString() ?? "";

    private static Microsoft.Data.Analysis.DataFrame Table(string name) => DatasetFrames.Load(Processed, name);

    private static IEnumerable<TestCaseData> FrameCells()
    {
        yield return new TestCaseData("01-overview.ipynb", "ShowFrame(Table(\"quality\"));", "quality", 50);
        yield return new TestCaseData("03-where-data-goes.ipynb", "ShowFrame(Table(\"taxonomy_conflicts\"));", "taxonomy_conflicts", 50);
    }

    [TestCaseSource(nameof(FrameCells))]
    public void A_stored_table_is_the_published_table(string notebook, string source, string table, int maxRows)
    {
        var (html, _) = Outputs(notebook, source);
        Assert.That(html, Is.EqualTo(new[] { FrameHtml.Render(Table(table), maxRows) }),
            $"{notebook}: the stored {table} is not data/processed's: run make notebooks");
    }

    [Test]
    public void The_stored_endpoints_are_the_published_endpoints()
    {
        var (html, _) = Outputs("03-where-data-goes.ipynb", "var endpoints = Table(\"endpoints\");\nShowFrame(endpoints, maxRows: 100);");
        Assert.That(html, Is.EqualTo(new[] { FrameHtml.Render(Table("endpoints"), 100) }), "run make notebooks");
    }

    [Test]
    public void The_stored_table_sizes_are_the_published_ones()
    {
        var (html, _) = Outputs("01-overview.ipynb",
            "using ResearchPipeline.Dataset;\n\nShow(Tables.All.Select(t => new { table = t.Name, rows = Table(t.Name).Rows.Count, columns = t.Columns.Count, one_row_is = t.RowMeaning }));");
        var expected = FrameHtml.Render(Tables.All.Select(t => new { table = t.Name, rows = Table(t.Name).Rows.Count, columns = t.Columns.Count, one_row_is = t.RowMeaning }));
        Assert.That(html, Is.EqualTo(new[] { expected }), "run make notebooks");
    }

    [Test]
    public void The_stored_counts_are_the_published_ones()
    {
        var captures = Table("captures");
        var apps = FrameColumns.Strings(captures, "app_id").Distinct().Count();
        var sessions = FrameColumns.Strings(captures, "session_id").Distinct().Count();
        Assert.That(Outputs("01-overview.ipynb", Source("01-overview.ipynb", "recording sessions")).Stream,
            Does.StartWith($"{captures.Rows.Count} captures of {sessions} recording sessions, {apps} apps\n"));

        Assert.That(Outputs("01-overview.ipynb", Source("01-overview.ipynb", "in primary captures outside DNS")).Stream,
            Does.StartWith($"{Table("exchanges").Rows.Count} exchanges; "));

        var matrix = FigureData.MetaFields(Table("app_facebook_fields"));
        Assert.That(Outputs("02-facebook-fields.ipynb", Source("02-facebook-fields.ipynb", "(app, field) pairs")).Stream,
            Is.EqualTo($"{matrix.Apps.Count} apps, {matrix.Fields.Count} distinct fields, {matrix.Cells.Count} (app, field) pairs\n"));

        Assert.That(Outputs("04-identifiers.ipynb", Source("04-identifiers.ipynb", "matches in all captures")).Stream,
            Does.StartWith($"{Table("identifier_matches").Rows.Count} matches in all captures, "));
    }

    /// <summary>The source of the one code cell containing <paramref name="text"/>.</summary>
    private static string Source(string notebook, string text)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "notebooks", notebook)));
        var sources = doc.RootElement.GetProperty("cells").EnumerateArray()
            .Where(c => c.GetProperty("cell_type").GetString() == "code")
            .Select(c => Join(c.GetProperty("source"))).Where(s => s.Contains(text, StringComparison.Ordinal)).ToList();
        Assert.That(sources, Has.Count.EqualTo(1), $"{notebook}: one cell mentions `{text}`");
        return sources[0];
    }
}
