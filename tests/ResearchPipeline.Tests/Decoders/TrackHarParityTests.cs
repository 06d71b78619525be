using CsvHelper;
using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;
using ResearchPipeline.Tests.Captures;

using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Decoders;

/// <summary>
/// Parity with TrackHAR 1.0 on the shared HARs. trackhar-findings.csv beside this file is TrackHAR's own output,
/// written by bench/trackhar-findings.mjs (its header says how); for every finding the same value must be in the
/// fields our decoders publish for that request, under an equivalent semantic.
/// </summary>
public class TrackHarParityTests
{
    public sealed record Finding(string Har, int Entry, string Adapter, string Property, string Context, string Path, string Value);

    private static string Here(string file) => Path.Combine(TestFiles.RepositoryRoot, "tests", "ResearchPipeline.Tests", "Decoders", file);

    public static List<Finding> Findings()
    {
        using var reader = CsvReader.Create(File.OpenRead(Here("trackhar-findings.csv")), new CsvReaderOptions());
        var list = new List<Finding>();
        while (reader.Read())
            list.Add(new Finding(reader.GetStringOrNull("har")!, int.Parse(reader.GetStringOrNull("entry")!, System.Globalization.CultureInfo.InvariantCulture),
                reader.GetStringOrNull("adapter")!, reader.GetStringOrNull("property")!, reader.GetStringOrNull("context")!,
                reader.GetStringOrNull("path")!, reader.GetStringOrNull("value") ?? ""));
        return list;
    }

    /// <summary>TrackHAR property -> the semantics of ours that mean the same.</summary>
    public static Dictionary<string, HashSet<string>> Equivalents()
    {
        var map = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        void Add(string property, string semantic)
        {
            if (!map.TryGetValue(property, out var set)) map[property] = set = new HashSet<string>(StringComparer.Ordinal);
            set.Add(semantic);
        }
        var mapping = Path.Combine(TestFiles.RepositoryRoot, "pipeline", "ResearchPipeline", "Decoders", "trackhar-properties.csv");
        foreach (var file in new[] { mapping, Here("trackhar-equivalents.csv") })
        {
            using var reader = CsvReader.Create(File.OpenRead(file), new CsvReaderOptions { CommentPrefix = '#' });
            while (reader.Read()) Add(reader.GetStringOrNull("property")!, reader.GetStringOrNull("semantic")!);
        }
        return map;
    }

    [Test]
    public void Every_TrackHAR_finding_on_the_shared_HARs_is_a_field_with_the_same_value_and_an_equivalent_semantic()
    {
        var findings = Findings();
        Assert.That(findings, Has.Count.GreaterThan(250), "the committed findings are TrackHAR's output on the shared HARs");
        var equivalents = Equivalents();
        var decoded = new Dictionary<(string, int), DecodedExchange>();
        foreach (var har in findings.Select(f => f.Har).Distinct())
            foreach (var e in HarReaderTests.ReadAll(TestFiles.Capture(har)).OfType<ExchangeRead>().Select(r => r.Exchange))
                decoded[(har, e.Ordinal)] = TrackerDecoders.All.Decode(e, DecodeLimits.Default);

        var missing = new List<string>();
        foreach (var f in findings)
        {
            var d = decoded[(f.Har, f.Entry)];
            var accepted = equivalents.GetValueOrDefault(f.Property) ?? [];
            if (!d.Fields.Any(a => a.Semantic is { } s && accepted.Contains(s.Name) && Same(a, f.Value)))
                missing.Add($"{f.Har} entry {f.Entry} {f.Adapter} {f.Property} {f.Context}:{f.Path} = {Short(f.Value)}; ours: "
                    + string.Join("; ", d.Fields.Where(a => Same(a, f.Value)).Select(a => $"{a.Field.KeyPath} -> {a.Semantic?.Name ?? "(none)"} [{d.Decoder}]").DefaultIfEmpty("value not found")));
        }
        Assert.That(missing, Is.Empty, $"{missing.Count} of {findings.Count} findings not reproduced:\n" + string.Join("\n", missing));
    }

    /// <summary>The same value, or ours is what the generic decoder read out of their base64 text.</summary>
    private static bool Same(AnnotatedField ours, string theirs) =>
        ours.Field.Value == theirs
        || ours.Field.Transforms.Contains("base64", StringComparison.Ordinal) && Base64Text.TryDecode(theirs) is { } bytes
           && Base64Text.ReadableText(bytes) == ours.Field.Value;

    private static string Short(string s) => s.Length <= 60 ? s : s[..60] + "...";
}
