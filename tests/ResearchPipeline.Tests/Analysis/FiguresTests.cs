using DuckDB.NET.Data;
using ResearchPipeline.Analysis;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Analysis;

/// <summary>
/// The figures show what the published tables say: each figure's numbers are checked against the same question
/// asked of the Parquet files in SQL through DuckDB, and `research-pipeline figures` writes the same PNG bytes twice.
/// </summary>
public class FiguresTests
{
    private const string Counted = "exchanges e join captures c using (capture_id) where c.primary_in_session and e.kind <> 'dns_query'";

    [Test]
    public async Task The_heat_map_has_exactly_the_app_and_field_pairs_of_app_facebook_fields()
    {
        var folder = await PublishedStudies.Demonstration;
        var matrix = FigureData.MetaFields(DatasetFrames.Load(folder, "app_facebook_fields"));

        using var db = Open(folder);
        var expected = StudyRunnerTests.Query(db, "select app_id || ' (' || platform || ')', semantic, personal_data from app_facebook_fields")
            .Select(r => ((string)r[0]!, (string)r[1]!, (bool)r[2]!)).Order().ToList();
        Assert.That(matrix.Cells.Select(c => (c.App, c.Field, c.PersonalData)).Order(), Is.EqualTo(expected));
        Assert.That(matrix.Apps, Is.EqualTo(expected.Select(e => e.Item1).Distinct().Order(StringComparer.Ordinal)), "every app a row, in order");
        Assert.That(matrix.Fields, Is.EquivalentTo(expected.Select(e => e.Item2).Distinct()), "every field a column");
        Assert.That(matrix.FieldCategories, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "columns grouped by category");
        Assert.That(matrix.Apps, Does.Contain("org.example.meetly (ios)"));
    }

    [Test]
    public async Task Organisations_count_the_distinct_apps_that_reached_any_host_of_theirs()
    {
        var folder = await PublishedStudies.Demonstration;
        var reach = FigureData.OrganisationsByApps(Load(folder, "captures"), Load(folder, "exchanges"), Load(folder, "trackers"));

        using var db = Open(folder);
        var expected = StudyRunnerTests.Query(db,
                $"select coalesce(t.parent_organisation, t.organisation), count(distinct e.app_id) from {Counted.Replace("where", "join trackers t on t.host = e.host where")} and coalesce(t.organisation, t.parent_organisation) is not null group by 1")
            .Select(r => ((string)r[0]!, (int)(long)r[1]!)).Order().ToList();
        Assert.That(reach.Select(r => (r.Parent, r.Apps.Count)).Order(), Is.EqualTo(expected));
        Assert.That(reach.Select(r => r.Apps.Count), Is.Ordered.Descending, "largest reach first");
        Assert.That(reach[0].Parent, Is.EqualTo("Meta Platforms, Inc."), "every demonstration app talks to Meta");
    }

    [Test]
    public async Task Loopback_and_missing_addresses_are_labelled_not_located_rather_than_dropped()
    {
        var folder = await PublishedStudies.Demonstration;
        var byCountry = FigureData.RequestsByCountry(Load(folder, "captures"), Load(folder, "exchanges"), Load(folder, "endpoints"));

        using var db = Open(folder);
        var counted = (long)StudyRunnerTests.Query(db, $"select count(*) from {Counted}")[0][0]!;
        Assert.That(byCountry.Sum(c => c.Count), Is.EqualTo(counted), "every counted request is in a bar");
        Assert.That(byCountry.Select(c => c.Label), Is.EqualTo(new[] { FigureData.NoAddress }),
            "the demonstration HARs were answered inside mitmproxy, so they record no server address");
    }

    [Test]
    public async Task Requests_by_country_and_network_agree_with_a_SQL_join_of_exchanges_and_endpoints()
    {
        var folder = await PublishedStudies.Located;
        var (captures, exchanges, endpoints) = (Load(folder, "captures"), Load(folder, "exchanges"), Load(folder, "endpoints"));
        var byCountry = FigureData.RequestsByCountry(captures, exchanges, endpoints);
        var byNetwork = FigureData.RequestsByNetwork(captures, exchanges, endpoints);

        using var db = Open(folder);
        List<(string, int)> Expected(string located) => StudyRunnerTests.Query(db, $"""
            select coalesce({located}, case when e.server_ip is null then '{FigureData.NoAddress}' else '(not located: ' || coalesce(n.address_class, 'unknown') || ' address)' end), count(*)
            from {Counted.Replace("where", "left join endpoints n on n.host = e.host and n.server_ip is not distinct from e.server_ip where")}
            group by 1
            """).Select(r => ((string)r[0]!, (int)(long)r[1]!)).Order().ToList();
        Assert.That(byCountry.Select(c => (c.Label, c.Count)).Order(), Is.EqualTo(Expected("n.country")));
        Assert.That(byNetwork.Select(c => (c.Label, c.Count)).Order(), Is.EqualTo(Expected("'AS' || n.asn || ' ' || n.as_org")));
        Assert.That(byCountry.Where(c => c.Label.Length == 2), Is.Not.Empty, "real addresses are placed in a country");
        Assert.That(byNetwork.Where(c => c.Label.StartsWith("AS", StringComparison.Ordinal)), Is.Not.Empty, "and in an autonomous system");
        Assert.That(byCountry.Select(c => c.Count), Is.Ordered.Descending);
    }

    [Test]
    public async Task Every_figure_has_a_title_and_labelled_axes()
    {
        foreach (var figure in Figures.All(await PublishedStudies.Demonstration))
        {
            Assert.That(figure.Plot.Axes.Title.Label.Text, Is.Not.Empty, figure.FileName);
            Assert.That(figure.Plot.Axes.Bottom.Label.Text, Is.Not.Empty, figure.FileName);
            Assert.That(figure.Plot.Axes.Left.Label.Text, Is.Not.Empty, figure.FileName);
        }
    }

    [Test]
    public async Task The_figures_verb_writes_the_same_PNG_bytes_twice()
    {
        var folder = await PublishedStudies.Demonstration;
        var first = TestFiles.NewTempFolder("figures-1");
        var second = TestFiles.NewTempFolder("figures-2");

        var run1 = StudyRunnerTests.RunProgram("figures", "--processed", folder, "--out", first);
        var run2 = StudyRunnerTests.RunProgram("figures", "--processed", folder, "--out", second);

        Assert.That(run1.Code, Is.Zero, run1.Stderr);
        Assert.That(run2.Code, Is.Zero, run2.Stderr);
        var names = Directory.GetFiles(first).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(new[] { "meta-fields-by-app.png", "organisations-by-apps.png", "requests-by-asn.png", "requests-by-country.png" }));
        foreach (var name in names)
        {
            var bytes = File.ReadAllBytes(Path.Combine(first, name!));
            Assert.That(bytes[..8], Is.EqualTo(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0d, 0x0a, 0x1a, 0x0a }), $"{name} is a PNG");
            Assert.That(File.ReadAllBytes(Path.Combine(second, name!)), Is.EqualTo(bytes), $"{name} is byte-identical across runs");
        }
    }

    [Test]
    public void The_figures_verb_names_a_missing_table()
    {
        var empty = TestFiles.NewTempFolder("empty");
        var (code, _, stderr) = StudyRunnerTests.RunProgram("figures", "--processed", empty, "--out", TestFiles.NewTempFolder("figures"));
        Assert.That(code, Is.EqualTo(3));
        Assert.That(stderr, Does.Contain("captures.parquet"));
    }

    private static Microsoft.Data.Analysis.DataFrame Load(string folder, string table) => DatasetFrames.Load(folder, table);

    /// <summary>DuckDB with each published table as a view of its Parquet file.</summary>
    private static DuckDBConnection Open(string folder)
    {
        var db = StudyRunnerTests.OpenDuckDb();
        foreach (var file in Directory.GetFiles(folder, "*.parquet"))
            StudyRunnerTests.Query(db, $"create view {Path.GetFileNameWithoutExtension(file)} as select * from read_parquet('{file}')");
        return db;
    }
}
