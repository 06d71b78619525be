using System.Net;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Reference;

namespace ResearchPipeline.Tests.Enrichment;

/// <summary>MaxMind's own test databases, through our lookups, give the answers their source JSON documents.</summary>
public class GeoAndAsnLookupTests
{
    private static string ExternalWith(params string[] testDatabases)
    {
        var folder = TestFiles.NewTempFolder();
        foreach (var db in testDatabases) File.Copy(ReferenceData.MaxMindTest(db), Path.Combine(folder, db));
        return folder;
    }

    private static IpFacts Lookup(string external, string address, ReferenceLock? lockFile = null, DateTimeOffset? seen = null)
    {
        using var sources = EnrichmentSources.Open(external, lockFile ?? ReferenceLock.Empty);
        return new IpLookup(sources).Lookup(IPAddress.Parse(address), seen);
    }

    [TestCase("GeoIP2-City-Test.mmdb")]
    [TestCase("GeoLite2-City-Test.mmdb")]
    public void City_database_places_81_2_69_160_in_London_GB(string database)
    {
        var facts = Lookup(ExternalWith(database), "81.2.69.160");
        Assert.That(facts.Class, Is.EqualTo(AddressClass.Public));
        Assert.That(facts.Geo!.City, Is.EqualTo("London"));
        Assert.That(facts.Geo.Country, Is.EqualTo("GB"));
        Assert.That(facts.Geo.Latitude, Is.EqualTo(51.5142).Within(1e-6));
        Assert.That(facts.Geo.AccuracyKm, Is.EqualTo(100));
        Assert.That(facts.GeoDatabase!.Label, Does.StartWith(database.Replace("-Test.mmdb", "") + " built "));
    }

    [Test]
    public void Country_database_answers_the_country_alone()
    {
        var facts = Lookup(ExternalWith("GeoLite2-Country-Test.mmdb"), "81.2.69.160");
        Assert.That(facts.Geo!.Country, Is.EqualTo("GB"));
        Assert.That(facts.Geo.City, Is.Null);
    }

    // MaxMind's City test data (GeoIP2-City-Test.json) knows 2a02:d500::/29 only as Europe, with the
    // continent's centre point as its location and no country.
    private const string ContinentOnly = "2a02:d500::1";

    [TestCase("GeoIP2-City-Test.mmdb")]
    [TestCase("GeoLite2-City-Test.mmdb")]
    public void A_record_with_only_a_continent_is_no_answer_and_its_centre_point_is_not_a_location(string database)
    {
        var facts = Lookup(ExternalWith(database), ContinentOnly);
        Assert.That(facts.Class, Is.EqualTo(AddressClass.Public));
        Assert.That(facts.Geo, Is.Null);
        Assert.That(facts.GeoDatabase, Is.Null);
    }

    [Test]
    public void Where_the_City_database_knows_only_the_continent_the_next_database_in_order_answers_the_country()
    {
        ReferenceData.RequireFetched();
        // The test City database is the user's own, so it is asked first; the pinned country databases next.
        var external = ExternalWith("GeoIP2-City-Test.mmdb");
        foreach (var a in ReferenceData.Lock.WithRole("geo").Where(a => !a.File.Contains("City", StringComparison.Ordinal)))
        {
            var target = a.PathUnder(external);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(a.PathUnder(ReferenceData.ExternalFolder), target);
        }
        var facts = Lookup(external, ContinentOnly, ReferenceData.Lock);
        Assert.That(facts.Geo, Is.Not.Null, "a country database of the lock knows the address");
        Assert.That(facts.Geo!.Country, Does.Match("^[A-Z]{2}$"));
        Assert.That(facts.GeoDatabase!.Kind, Is.Not.EqualTo(MmdbKind.City));
        Assert.That(facts.GeoDatabase.UserSupplied, Is.False);
        Assert.That((facts.Geo.Latitude, facts.Geo.Longitude, facts.Geo.AccuracyKm), Is.EqualTo(((double?)null, (double?)null, (int?)null)));
    }

    [TestCase("GeoLite2-ASN-Test.mmdb")]
    [TestCase("GeoIP2-ISP-Test.mmdb")]
    public void Asn_and_isp_databases_give_1_128_0_0_to_AS1221_Telstra(string database)
    {
        var facts = Lookup(ExternalWith(database), "1.128.0.0");
        Assert.That(facts.Asn!.Asn, Is.EqualTo(1221u));
        Assert.That(facts.Asn.Organisation, Is.EqualTo("Telstra Pty Ltd"));
        Assert.That(facts.AsnSource, Does.Contain(database.Replace("-Test.mmdb", "")));
    }

    [Test]
    public void A_users_own_database_answers_before_a_pinned_one()
    {
        var external = ExternalWith("GeoIP2-City-Test.mmdb");
        Directory.CreateDirectory(Path.Combine(external, "pinned"));
        File.Copy(ReferenceData.MaxMindTest("GeoLite2-City-Test.mmdb"), Path.Combine(external, "pinned", "GeoLite2-City-Test.mmdb"));
        var lockFile = ReferenceLock.Read(new MemoryStream("""
            name,role,package,version,file,tarball_sha256,file_sha256,licence,fetch_command
            pinned,geo,test-pkg,1.0.0,GeoLite2-City-Test.mmdb,00,00,MIT,npm pack test-pkg@1.0.0
            """u8.ToArray()), "test lock");

        var facts = Lookup(external, "81.2.69.160", lockFile);

        Assert.That(facts.GeoDatabase!.UserSupplied, Is.True);
        Assert.That(facts.GeoDatabase.DatabaseType, Is.EqualTo("GeoIP2-City"));
        File.Delete(Path.Combine(external, "GeoIP2-City-Test.mmdb"));
        var pinned = Lookup(external, "81.2.69.160", lockFile);
        Assert.That(pinned.GeoDatabase!.Citation, Is.EqualTo("test-pkg@1.0.0/GeoLite2-City-Test.mmdb"));
    }

    [Test]
    public void Endpoint_rows_say_how_far_the_database_build_is_from_the_capture()
    {
        var external = ExternalWith("GeoLite2-City-Test.mmdb");
        using var sources = EnrichmentSources.Open(external, ReferenceLock.Empty);
        var built = sources.Databases.Single().Built;
        var seen = built.AddDays(30).AddHours(1);

        var result = EndpointEnricher.Enrich([new EndpointObservation("Example.COM.", "81.2.69.160", "har_server_ip", seen)], sources, new IpLookup(sources));

        var row = result.Endpoints.Single();
        Assert.That(row.Host, Is.EqualTo("example.com"));
        Assert.That(row.GeoBuildAgeDays, Is.EqualTo(30));
        Assert.That(row.GeoSource, Does.Contain("GeoLite2-City built"));
        Assert.That(result.Notes.Any(n => n.Message.Contains("30 to 30 days after it was built")), Is.True);
    }

    [Test]
    public void Private_and_special_addresses_are_labelled_and_not_looked_up()
    {
        var external = ExternalWith("GeoIP2-City-Test.mmdb", "GeoLite2-ASN-Test.mmdb");
        using var sources = EnrichmentSources.Open(external, ReferenceLock.Empty);
        var lookup = new IpLookup(sources);
        var result = EndpointEnricher.Enrich(
        [
            new EndpointObservation("router.local", "192.168.1.1", "har_server_ip", null),
            new EndpointObservation("localhost", "::1", "har_server_ip", null),
            new EndpointObservation("cgnat.example", "100.64.0.1", "flow_peer", null),
            new EndpointObservation("london.example", "81.2.69.160", "har_server_ip", null),
        ], sources, lookup);

        var byHost = result.Endpoints.ToDictionary(e => e.Host);
        Assert.That(byHost["router.local"].AddressClass, Is.EqualTo("private"));
        Assert.That(byHost["localhost"].AddressClass, Is.EqualTo("loopback"));
        Assert.That(byHost["cgnat.example"].AddressClass, Is.EqualTo("bogon"));
        Assert.That(byHost.Values.Where(e => e.AddressClass != "public").Select(e => e.Country ?? e.GeoSource ?? e.AsnSource), Is.All.Null);
        Assert.That(byHost["london.example"].City, Is.EqualTo("London"));
        Assert.That(lookup.Lookups, Is.EqualTo(1), "only the public address reaches the databases");
    }

    [Test]
    public void Cache_answers_a_repeated_address_without_asking_the_databases_again()
    {
        var external = ExternalWith("GeoIP2-City-Test.mmdb");
        using var sources = EnrichmentSources.Open(external, ReferenceLock.Empty);
        var lookup = new IpLookup(sources);
        var first = lookup.Lookup(IPAddress.Parse("81.2.69.160"), null);
        var second = lookup.Lookup(IPAddress.Parse("::ffff:81.2.69.160"), null);
        Assert.That(second, Is.SameAs(first));
        Assert.That(lookup.CacheHits, Is.EqualTo(1));
    }

    [Test]
    public void Empty_external_folder_gives_null_answers_and_says_why()
    {
        using var sources = EnrichmentSources.Open(TestFiles.NewTempFolder(), ReferenceLock.Empty);
        var result = EndpointEnricher.Enrich([new EndpointObservation("graph.facebook.com", "157.240.212.16", "har_server_ip", null)], sources, new IpLookup(sources));
        var row = result.Endpoints.Single();
        Assert.That(new object?[] { row.Country, row.Asn, row.RegistrableDomain, row.GeoSource }, Is.All.Null);
        Assert.That(row.AddressClass, Is.EqualTo("public"));
        Assert.That(sources.Notes.Select(n => n.Severity), Is.All.EqualTo("info"));
        Assert.That(sources.Notes.Select(n => n.Message), Has.Some.Contains("no GeoIP database").And.Some.Contains("no AS number data").And.Some.Contains("no Public Suffix List"));
    }
}
