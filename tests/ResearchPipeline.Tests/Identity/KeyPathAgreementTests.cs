using System.Globalization;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Identity;
using ResearchPipeline.Run;
using ResearchPipeline.Study;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Identity;

/// <summary>
/// identifier_matches and payload_fields read the same request once, through one view: a match names the
/// field it was found in by the key path payload_fields publishes for it, so the two tables join on it. A match
/// in the URL path (location <c>path</c>) is the exception: the path is published in exchanges, not as fields.
/// </summary>
public class KeyPathAgreementTests
{
    [Test]
    public void Every_match_of_the_demonstration_study_names_a_payload_field_of_its_exchange()
    {
        var matched = 0;
        foreach (var (file, outcome) in DemonstrationCorpus.Parsed()) matched += AssertAgreement(outcome, file.RelativeName);
        TestContext.Out.WriteLine($"{matched} matches outside the URL path");
        Assert.That(matched, Is.GreaterThan(100), "the demonstration devices' values are found in many requests");
    }

    /// <summary>
    /// The shared captures come without a device: each is searched, in up to three rounds, for a device made of
    /// values it really sends (distinct published values of 8 to 120 characters, of any location, taken evenly
    /// through their sorted list), which the search then finds wherever and however encoded the capture sends them.
    /// </summary>
    [Test]
    public void Every_match_of_every_shared_capture_names_a_payload_field_of_its_exchange()
    {
        var folder = TestFiles.Captures;
        var work = TestFiles.NewTempFolder("key-path-agreement");
        var matched = 0;
        var searched = 0;
        foreach (var file in CaptureFile.Discover(folder))
        {
            var plain = CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default);
            var values = plain.Payloads
                .Where(p => p.Value is { Length: >= 8 and <= 120 } v && !v.StartsWith("[redacted:", StringComparison.Ordinal) && !v.Contains('\n') && !v.Contains('\r') && v.Trim() == v)
                .Select(p => p.Value!).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            if (values.Count == 0) continue;
            searched++;
            var rounds = Math.Min(3, (values.Count + Kinds.Length - 1) / Kinds.Length);
            for (var round = 0; round < rounds; round++)
            {
                // Round r takes the values at r, r + step, r + 2 step...: spread over the whole capture.
                var step = Math.Max(1, values.Count / Kinds.Length);
                var device = Enumerable.Range(0, Kinds.Length).Select(k => round + k * step).Where(i => i < values.Count).Select(i => values[i]).ToList();
                var identify = new IdentifierMatchers(Device(work, device), ReadLimits.Default);
                matched += AssertAgreement(CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default, identify), file.RelativeName);
            }
        }
        TestContext.Out.WriteLine($"{searched} shared captures searched, {matched} matches outside the URL path");
        Assert.That(searched, Is.GreaterThan(15), "most shared captures send values to search for");
        Assert.That(matched, Is.GreaterThan(200));
    }

    /// <summary>Columns of devices.csv whose values are searched as they are written (no normalising).</summary>
    private static readonly string[] Kinds = ["model", "os_version", "carrier", "locale", "time_zone", "latitude", "longitude"];

    /// <summary>The only device of a study, written as devices.csv and read back the way a run reads it.</summary>
    private static DevicesCatalog Device(string work, List<string> values)
    {
        var csv = new StringBuilder("device_id," + string.Join(',', Kinds.Take(values.Count)) + "\nprobe");
        foreach (var v in values) csv.Append(",\"").Append(v.Replace("\"", "\"\"")).Append('"');
        csv.Append('\n');
        var path = Path.Combine(work, "devices.csv");
        File.WriteAllText(path, csv.ToString());
        return DevicesCatalog.Read(path);
    }

    private static int AssertAgreement(CaptureOutcome outcome, string name)
    {
        var fields = outcome.Payloads.Select(p => (p.ExchangeOrdinal, p.KeyPath)).ToHashSet();
        // The URL path is not a payload field (exchanges.path publishes it): a match there names an offset in it.
        var strays = outcome.IdentifierMatches.Where(m => m.Location != "path" && !fields.Contains((m.Ordinal, m.KeyPath)))
            .Select(m => $"{name} exchange {m.Ordinal}: {m.Identity} {m.Location} '{m.KeyPath}' {m.Transform}").ToList();
        Assert.That(strays, Is.Empty, name);
        return outcome.IdentifierMatches.Count(m => m.Location != "path");
    }
}
