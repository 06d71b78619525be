using ResearchPipeline.Captures;
using ResearchPipeline.Identity;
using ResearchPipeline.Run;
using ResearchPipeline.Study;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Run;

/// <summary>The parse stage for one capture: the same outcome however many threads read it.</summary>
public class CaptureParseTests
{
    // The demonstration study (HAR, flows, pcapng with known device values) and shared captures of every
    // format, among them HARs from several tools and damaged flows.
    private static IEnumerable<TestCaseData> Captures()
    {
        foreach (var file in CaptureFile.Discover(DemonstrationCorpus.Raw)) yield return new TestCaseData(file.RelativeName).SetArgDisplayNames(file.RelativeName);
        foreach (var shared in new[] { "har/expressen.har", "har/firefox.har", "har/quizduel-android.har", "pcap/android.pcap", "mitmproxy/dumpfile-019.mitm" })
            yield return new TestCaseData("shared:" + shared).SetArgDisplayNames(shared);
    }

    [TestCaseSource(nameof(Captures))]
    public void A_capture_read_by_several_workers_gives_the_rows_of_one(string name)
    {
        var file = name.StartsWith("shared:", StringComparison.Ordinal)
            ? Extra(TestFiles.Capture(name["shared:".Length..]), name["shared:".Length..].Replace('/', '-'))
            : CaptureFile.Discover(DemonstrationCorpus.Raw).Single(f => f.RelativeName == name);
        var apps = AppsCatalog.Load(DemonstrationCorpus.Raw);
        var identify = new IdentifierMatchers(DevicesCatalog.Load(DemonstrationCorpus.Raw), ReadLimits.Default);

        var one = CaptureParse.Run(file, apps, CaptureFormats.All, ReadLimits.Default, identify);
        var three = CaptureParse.Run(file, apps, CaptureFormats.All, ReadLimits.Default, identify, workers: 3);

        Assert.That(one.Exchanges, Is.Not.Empty);
        Assert.That(three.Capture, Is.EqualTo(one.Capture));
        Assert.That(three.Exchanges, Is.EqualTo(one.Exchanges));
        Assert.That(three.Payloads, Is.EqualTo(one.Payloads));
        Assert.That(three.IdentifierMatches, Is.EqualTo(one.IdentifierMatches));
        Assert.That(three.Quality, Is.EqualTo(one.Quality));
        Assert.That(three.Endpoints, Is.EqualTo(one.Endpoints));
        Assert.That(three.Sensitive, Is.EquivalentTo(one.Sensitive));
        Assert.That(three.RequestsByHost, Is.EquivalentTo(one.RequestsByHost!));
    }

    [Test]
    public void A_truncated_HAR_read_by_several_workers_keeps_the_same_entries_and_quarantines_the_same_one()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("har/expressen.har"));
        var folder = TestFiles.NewTempFolder("capture-parse");
        var path = Path.Combine(folder, "cut.har");
        File.WriteAllBytes(path, full[..(full.Length * 2 / 3)]);
        var file = Extra(path, "cut.har");
        var apps = AppsCatalog.Load(DemonstrationCorpus.Raw);

        var one = CaptureParse.Run(file, apps, CaptureFormats.All, ReadLimits.Default);
        var two = CaptureParse.Run(file, apps, CaptureFormats.All, ReadLimits.Default, workers: 2);

        Assert.That(one.Quality.Count(q => q.Quarantined), Is.EqualTo(1));
        Assert.That(two.Capture, Is.EqualTo(one.Capture));
        Assert.That(two.Exchanges, Is.EqualTo(one.Exchanges));
        Assert.That(two.Payloads, Is.EqualTo(one.Payloads));
        Assert.That(two.Quality, Is.EqualTo(one.Quality));
    }

    [Test]
    public void Every_row_names_its_exchange_by_the_capture_ids_first_16_characters_and_its_ordinal_made_once_for_the_exchange()
    {
        var payloads = 0;
        foreach (var (file, outcome) in DemonstrationCorpus.Parsed())
        {
            var id = outcome.Capture.CaptureId;
            var byOrdinal = outcome.Exchanges.ToDictionary(e => e.Ordinal);
            foreach (var e in outcome.Exchanges) Assert.That(e.ExchangeId, Is.EqualTo(id[..16] + ":" + e.Ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture)), file.RelativeName);
            foreach (var p in outcome.Payloads)
            {
                // The exchange row's own string: an exchange's fields share one id rather than each making it again.
                Assert.That(p.ExchangeId, Is.SameAs(byOrdinal[p.ExchangeOrdinal].ExchangeId), $"{file.RelativeName} field {p.Ordinal} of exchange {p.ExchangeOrdinal}");
                payloads++;
            }
            foreach (var m in outcome.IdentifierMatches) Assert.That(m.ExchangeId, Is.EqualTo(byOrdinal[m.Ordinal].ExchangeId), file.RelativeName);
        }
        Assert.That(payloads, Is.GreaterThan(0));
    }

    private static CaptureFile Extra(string path, string name) => new(path, "extra/" + name, "extra", new FileInfo(path).Length);
}
