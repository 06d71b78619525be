using System.Text;
using ResearchPipeline.Taxonomy;
using ResearchPipeline.Run;
using ResearchPipeline.Tests.Enrichment;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Taxonomy;

public class TrackerTaxonomyTests
{
    private static OrganisationCatalog Organisations() =>
        OrganisationCatalog.Load(Path.Combine(ReferenceData.TaxonomyFolder, "organisations.csv"));

    private static TaxonomyOverlay Overlay(OrganisationCatalog organisations) =>
        TaxonomyOverlay.Load(Path.Combine(ReferenceData.TaxonomyFolder, "mobile-overlay.csv"), organisations);

    // A TrackerDB in the shape of dist/trackerdb.json, small enough to read in the test.
    private static TrackerDb SmallTrackerDb() => TrackerDb.Read(Encoding.UTF8.GetBytes("""
        {
          "categories": { "advertising": {}, "social_media": {}, "site_analytics": {} },
          "organizations": {
            "facebook": { "name": "Meta", "country": "US" },
            "somebody": { "name": "Somebody Else", "country": "FR" }
          },
          "patterns": {
            "instagram_com": { "name": "Instagram", "category": "social_media", "organization": "facebook" },
            "adjust": { "name": "Adjust", "category": "advertising", "organization": "somebody" },
            "webonly": { "name": "Web Only", "category": "advertising", "organization": "somebody" }
          },
          "domains": { "instagram.com": "instagram_com", "adjust.com": "adjust", "webonly.example": "webonly" }
        }
        """), "@ghostery/trackerdb@test");

    [Test]
    public void An_Instagram_host_belongs_to_Meta_Platforms_and_keeps_Instagram_as_its_tracker()
    {
        var organisations = Organisations();
        var taxonomy = new TrackerTaxonomy(Overlay(organisations), organisations, null);

        var row = taxonomy.Attribute([("i.instagram.com", "instagram.com")]).Trackers.Single();

        Assert.That(row.Organisation, Is.EqualTo("Meta Platforms, Inc."));
        Assert.That(row.TrackerName, Does.Contain("Instagram"));
        Assert.That(row.ParentOrganisation, Is.EqualTo("Meta Platforms, Inc."));
        Assert.That(row.OrganisationCountry, Is.EqualTo("US"));
        Assert.That(row.TaxonomySource, Is.EqualTo("overlay"));
        Assert.That(row.TaxonomyVersion, Does.Match("^mobile-overlay.csv sha256:[0-9a-f]{12}$"));
    }

    [TestCase("firebaseinstallations.googleapis.com", "Firebase")]
    [TestCase("firebase-settings.crashlytics.com", "Crashlytics")]
    [TestCase("googleads.g.doubleclick.net", "AdMob")]
    [TestCase("securepubads.g.doubleclick.net", "DoubleClick")]
    [TestCase("app-measurement.com", "Firebase")]
    public void Google_products_are_Google_LLC_under_Alphabet_and_keep_their_name_as_tracker(string host, string product)
    {
        var organisations = Organisations();
        var row = new TrackerTaxonomy(Overlay(organisations), organisations, null).Attribute([(host, null)]).Trackers.Single();
        Assert.That(row.Organisation, Is.EqualTo("Google LLC"));
        Assert.That(row.ParentOrganisation, Is.EqualTo("Alphabet Inc."));
        Assert.That(row.TrackerName, Does.Contain(product));
    }

    /// <summary>Every organisation name a trackers table can carry: the overlay's, and TrackerDB's for every domain it lists.</summary>
    private static List<string> PublishedOrganisationNames(OrganisationCatalog organisations, TrackerDb? trackerDb, IEnumerable<string> hosts)
    {
        var taxonomy = new TrackerTaxonomy(Overlay(organisations), organisations, trackerDb);
        return taxonomy.Attribute(hosts.Select(h => (h, (string?)null)).ToList()).Trackers
            .Select(t => t.Organisation).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<string> OverlayHosts() =>
        File.ReadLines(Path.Combine(ReferenceData.TaxonomyFolder, "mobile-overlay.csv")).Where(l => !l.StartsWith('#')).Skip(1).Select(l => l.Split(',')[0]);

    [Test]
    public void No_two_organisation_names_the_overlay_and_TrackerDB_publish_differ_only_by_alias()
    {
        var organisations = Organisations();
        Assert.That(organisations.Aliases.Select(a => a.Alias), Does.Contain("facebook").And.Contain("Meta"));
        Assert.That(organisations.Aliases.Select(a => a.Source), Is.All.Not.Empty);
        // The overlay's facebook.com and TrackerDB's (small) instagram.com: one organisation, one name.
        var names = PublishedOrganisationNames(organisations, SmallTrackerDb(), [.. OverlayHosts(), "graph.facebook.com", "instagram.com", "webonly.example"]);
        Assert.That(names, Does.Contain("Meta Platforms, Inc."));
        Assert.That(names.Where(organisations.IsAlias), Is.Empty);
        Assert.That(names.GroupBy(n => organisations.FindByName(n)?.Id ?? n).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g)), Is.Empty);
    }

    [TestCase("""{ "patterns": { "adjust": { "name": "Adjust" """, "LineNumber")]
    [TestCase("""{ "patterns": [] }""", "patterns is not an object")]
    [TestCase("", "the file is empty")]
    [TestCase("""{ "organizations": { "facebook": "Meta" } }""", "organizations entry facebook is not an object")]
    public void A_TrackerDB_file_that_is_not_one_is_refused_naming_the_file_and_the_place(string json, string place)
    {
        var path = Path.Combine(TestFiles.NewTempFolder("trackerdb"), "trackerdb.json");
        File.WriteAllText(path, json);
        var refused = Assert.Throws<InvalidDataException>(() => TrackerDb.Load(path, "test"));
        Assert.That(refused!.Message, Does.StartWith(path + ": ").And.Contain(place));
    }

    [Test]
    public void The_real_TrackerDB_gives_each_domain_its_patterns_name_category_and_organisation_as_the_file_says()
    {
        ReferenceData.RequireFetched();
        var artefact = ReferenceData.Lock.WithRole("trackerdb").Single();
        var path = artefact.PathUnder(ReferenceData.ExternalFolder);
        var db = TrackerDb.Load(path, artefact.PackageSpec);

        // The file as a document, read here apart from the reader under test.
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        string? Text(System.Text.Json.JsonElement e, string name) =>
            e.TryGetProperty(name, out var v) && v.ValueKind == System.Text.Json.JsonValueKind.String ? v.GetString() : null;
        var patterns = doc.RootElement.GetProperty("patterns").EnumerateObject().ToDictionary(p => p.Name, p => p.Value);
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var d in doc.RootElement.GetProperty("domains").EnumerateObject())
            if (patterns.ContainsKey(d.Value.GetString()!)) expected[d.Name.ToLowerInvariant()] = d.Value.GetString()!;
        Assert.That(expected, Has.Count.GreaterThan(5000));
        foreach (var (domain, id) in expected)
        {
            var p = patterns[id];
            Assert.That(db.Find(domain), Is.EqualTo(new TrackerPattern(id, Text(p, "name") ?? id, Text(p, "category"), Text(p, "organization"))), domain);
        }
        foreach (var o in doc.RootElement.GetProperty("organizations").EnumerateObject())
            Assert.That(db.Organisation(o.Name), Is.EqualTo(new TrackerDbOrganisation(o.Name, Text(o.Value, "name") ?? o.Name, Text(o.Value, "country"))), o.Name);
    }

    [Test]
    public void With_the_real_TrackerDB_no_two_published_organisation_names_differ_only_by_alias()
    {
        ReferenceData.RequireFetched();
        var organisations = Organisations();
        var artefact = ReferenceData.Lock.WithRole("trackerdb").Single();
        var db = TrackerDb.Load(artefact.PathUnder(ReferenceData.ExternalFolder), artefact.PackageSpec);
        string[] hosts = ["graph.facebook.com", "connect.facebook.net", "www.facebook.com", "i.instagram.com", "www.google-analytics.com",
            "firebaseinstallations.googleapis.com", "app-measurement.com", "securepubads.g.doubleclick.net", "sessions.bugsnag.com"];
        var names = PublishedOrganisationNames(organisations, db, [.. OverlayHosts(), .. hosts]);
        Assert.That(names.Where(organisations.IsAlias), Is.Empty);
        Assert.That(names.GroupBy(n => organisations.FindByName(n)?.Id ?? n).Where(g => g.Count() > 1).Select(g => string.Join(" = ", g)), Is.Empty);
        var meta = new TrackerTaxonomy(Overlay(organisations), organisations, db).Attribute([("connect.facebook.net", null), ("graph.facebook.com", null)]).Trackers;
        Assert.That(meta.Select(t => t.Organisation).Distinct(), Is.EqualTo(new[] { "Meta Platforms, Inc." }), "TrackerDB's Meta and the overlay's Facebook are one organisation");
    }

    [Test]
    public async Task The_demonstration_datasets_trackers_table_names_each_organisation_once()
    {
        ReferenceData.RequireFetched();
        var output = TestFiles.NewTempFolder("out");
        var raw = DemonstrationCorpus.Raw;
        await new ResearchPipeline.Run.StudyRunner(new ResearchPipeline.Run.SilentProgress()).RunAsync(new ResearchPipeline.Run.RunOptions(raw, output, 2, ResearchPipeline.Captures.ReadLimits.Default)
        {
            ExternalFolder = ReferenceData.ExternalFolder,
            ReferenceLock = ReferenceData.LockPath,
            TaxonomyFolder = ReferenceData.TaxonomyFolder,
        });
        using var db = Tests.Cli.StudyRunnerTests.OpenDuckDb();
        var names = Tests.Cli.StudyRunnerTests.Query(db, $"select distinct organisation from read_parquet('{output}/trackers.parquet') where organisation is not null order by 1")
            .Select(r => (string)r[0]!).ToList();
        var organisations = Organisations();
        Assert.That(names, Does.Contain("Meta Platforms, Inc."));
        Assert.That(names.Where(organisations.IsAlias), Is.Empty, "graph.facebook.com (overlay) and ep1.facebook.com (TrackerDB) are both Meta Platforms, Inc.");
        Assert.That(names.GroupBy(n => organisations.FindByName(n)?.Id ?? n).Where(g => g.Count() > 1), Is.Empty);
    }

    [Test]
    public void An_overlay_row_naming_an_unknown_organisation_is_refused_with_its_line()
    {
        var overlay = "host,tracker,tracker_name,category,organisation,source\nads.example,ads,Ads,advertising,nobody,a source\n";
        Assert.That(() => TaxonomyOverlay.Read(new MemoryStream(Encoding.UTF8.GetBytes(overlay)), "overlay.csv", "test", Organisations()),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("overlay.csv line 2: organisation 'nobody'"));
    }

    [Test]
    public void An_alias_that_is_an_organisations_own_name_is_refused()
    {
        var csv = "organisation,name,parent,country,trackerdb_id,source\nmeta_platforms,\"Meta Platforms, Inc.\",,US,facebook,a source\n";
        var aliases = "alias,organisation,source\n\"Meta Platforms, Inc.\",meta_platforms,a source\n";
        Assert.That(() => OrganisationCatalog.Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "test.csv", new MemoryStream(Encoding.UTF8.GetBytes(aliases)), "aliases.csv"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("is an organisation's own name"));
    }

    [Test]
    public void TrackerDB_answers_hosts_the_overlay_does_not_list_through_the_same_hierarchy()
    {
        var organisations = Organisations();
        var taxonomy = new TrackerTaxonomy(Overlay(organisations), organisations, SmallTrackerDb());
        var rows = taxonomy.Attribute([("ads.webonly.example", null), ("unknown.example", null)]).Trackers;
        Assert.That(rows[0].Tracker, Is.EqualTo("webonly"));
        Assert.That(rows[0].Organisation, Is.EqualTo("Somebody Else"));
        Assert.That(rows[0].OrganisationCountry, Is.EqualTo("FR"));
        Assert.That(rows[0].TaxonomyVersion, Is.EqualTo("@ghostery/trackerdb@test"));
        Assert.That(rows[1].Tracker, Is.Null);
        Assert.That(rows[1].TaxonomySource, Is.Null);
    }

    [Test]
    public void Overlay_wins_and_each_disagreement_is_recorded()
    {
        var organisations = Organisations();
        var taxonomy = new TrackerTaxonomy(Overlay(organisations), organisations, SmallTrackerDb());

        var result = taxonomy.Attribute([("app.adjust.com", "adjust.com"), ("i.instagram.com", "instagram.com")]);

        var adjust = result.Trackers.Single(t => t.Host == "app.adjust.com");
        Assert.That(adjust.Organisation, Is.EqualTo("Adjust GmbH"));
        Assert.That(adjust.ParentOrganisation, Is.EqualTo("AppLovin Corporation"));
        Assert.That(result.Conflicts.Select(c => (c.Host, c.Field, c.OverlayValue, c.TrackerDbValue)), Is.EquivalentTo(new[]
        {
            ("app.adjust.com", "organisation", "Adjust GmbH", "Somebody Else"),
            ("app.adjust.com", "category", "site_analytics", "advertising"),
        }), "TrackerDB naming Meta for an Instagram host agrees with the overlay: Meta is Instagram's parent");
    }

    [Test]
    public void Every_overlay_row_names_a_known_organisation_and_a_source()
    {
        var organisations = Organisations();
        var overlay = Overlay(organisations);
        Assert.That(overlay.Count, Is.GreaterThanOrEqualTo(40));
        foreach (var line in File.ReadLines(Path.Combine(ReferenceData.TaxonomyFolder, "mobile-overlay.csv")).Where(l => !l.StartsWith('#')).Skip(1))
            Assert.That(line, Does.Contain("http").Or.Contain("shared"), line);
    }

    [Test]
    public void An_organisation_with_an_unknown_parent_is_refused()
    {
        var csv = "organisation,name,parent,country,trackerdb_id,source\nchild,Child,nobody,US,,a source\n";
        Assert.That(() => OrganisationCatalog.Read(new MemoryStream(Encoding.UTF8.GetBytes(csv)), "test.csv"),
            Throws.TypeOf<InvalidDataException>().With.Message.Contains("names parent 'nobody'"));
    }

    [Test]
    public void Real_TrackerDB_maps_graph_facebook_com_to_Meta()
    {
        ReferenceData.RequireFetched();
        var artefact = ReferenceData.Lock.WithRole("trackerdb").Single();
        var db = TrackerDb.Load(artefact.PathUnder(ReferenceData.ExternalFolder), artefact.PackageSpec);
        var pattern = db.Find("graph.facebook.com")!;
        Assert.That(pattern.Id, Is.EqualTo("facebook_graph"));
        Assert.That(db.Organisation(pattern.OrganisationId)!.Name, Is.EqualTo("Meta"));
    }
}
