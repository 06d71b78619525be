using ResearchPipeline.Tests.Cli;
using static ResearchPipeline.Tests.Lab.DemonstrationCorpus;

namespace ResearchPipeline.Tests.Lab;

/// <summary>
/// End to end: the published payload_fields of the demonstration corpus (data/processed, written by make all)
/// recover every ground-truth field with its semantic and value, and report no Facebook field the lab did not send.
/// Truth rows marked "-" (plumbing: format=json, batch method, ...) are not scored, whatever the decoder calls
/// them; "not_sent" rows (iOS -1 disks) must not come back as data.
/// </summary>
public class SemanticRecoveryTests
{
    private static string Processed => Path.Combine(TestFiles.RepositoryRoot, "data", "processed");

    [Test]
    public void Payload_fields_recover_the_ground_truth_with_full_precision_and_recall()
    {
        var payloadFields = Path.Combine(Processed, "payload_fields.parquet");
        if (!File.Exists(payloadFields))
            Assert.Ignore($"{payloadFields} does not exist yet: the decoder (issue 3) writes it; run make all once it is merged");

        using var db = StudyRunnerTests.OpenDuckDb();
        var reported = StudyRunnerTests.Query(db, $"""
            select c.file_name, e.ordinal, p.location, p.key_path, p.value, p.semantic
            from read_parquet('{payloadFields}') p
            join read_parquet('{Path.Combine(Processed, "exchanges.parquet")}') e using (exchange_id)
            join read_parquet('{Path.Combine(Processed, "captures.parquet")}') c on c.capture_id = e.capture_id
            where p.location in ('query', 'body') and (e.host like '%.facebook.com' or e.host like '%.fb.gg')
            """)
            .Select(r => (File: (string)r[0]!, Ordinal: Convert.ToInt32(r[1]), Location: (string)r[2]!, KeyPath: (string)r[3]!, Value: r[4] as string ?? "", Semantic: r[5] as string))
            .ToList();

        var truePositives = 0;
        var falsePositives = new List<string>();
        var misses = new List<string>();
        var truthTotal = 0;
        foreach (var session in Sessions())
        {
            var truth = Truth(session);
            // The .har and .mitm of a session hold the same flows in the same order; both are scored.
            foreach (var ext in new[] { ".har", ".mitm" })
            {
                var file = Name(session) + ext;
                var rows = reported.Where(r => r.File == file && !string.IsNullOrEmpty(r.Semantic)).ToList();
                if (rows.Count == 0 && ext == ".mitm") continue; // flow files are read once the mitmproxy reader lands
                var scored = truth.Where(t => t.Semantic != "-").ToList();
                truthTotal += scored.Count(t => t.Semantic != "not_sent");
                var plumbing = truth.Where(t => t.Semantic == "-").Select(t => (t.Request, t.Location, t.KeyPath)).ToHashSet();
                var expected = scored.Where(t => t.Semantic != "not_sent").Select(t => (t.Request, t.Location, t.KeyPath, t.Value, t.Semantic)).ToHashSet();
                foreach (var r in rows)
                {
                    if (plumbing.Contains((r.Ordinal, r.Location, r.KeyPath))) continue;
                    if (r.Semantic is "not_sent" && scored.Any(t => t.Request == r.Ordinal && t.KeyPath == r.KeyPath && t.Semantic == "not_sent")) continue;
                    if (expected.Contains((r.Ordinal, r.Location, r.KeyPath, r.Value, r.Semantic!)) || Redacted(r.Value) && expected.Any(t => t.Request == r.Ordinal && t.KeyPath == r.KeyPath && t.Semantic == r.Semantic))
                        truePositives++;
                    else
                        falsePositives.Add($"{file} #{r.Ordinal} {r.Location} {r.KeyPath} = {r.Value} ({r.Semantic})");
                }
                var found = rows.Select(r => (r.Ordinal, r.Location, r.KeyPath, r.Semantic)).ToHashSet();
                misses.AddRange(expected.Where(t => !found.Contains((t.Request, t.Location, t.KeyPath, t.Semantic)))
                    .Select(t => $"{file} #{t.Request} {t.Location} {t.KeyPath} = {t.Value} ({t.Semantic})"));
            }
        }
        var precision = truePositives + falsePositives.Count == 0 ? 0 : (double)truePositives / (truePositives + falsePositives.Count);
        var recall = truthTotal == 0 ? 0 : (double)(truthTotal - misses.Count) / truthTotal;
        TestContext.Out.WriteLine($"precision {precision:P2} ({truePositives} of {truePositives + falsePositives.Count} reported fields), recall {recall:P2} ({truthTotal - misses.Count} of {truthTotal} truth fields)");
        foreach (var line in falsePositives.Take(30)) TestContext.Out.WriteLine($"  not sent by the lab: {line}");
        foreach (var line in misses.Take(30)) TestContext.Out.WriteLine($"  missed: {line}");
        Assert.That(falsePositives, Is.Empty, "every reported Facebook field was sent by the lab");
        Assert.That(misses, Is.Empty, "every ground-truth field is recovered with its semantic and value");
    }

    /// <summary>Credentials are replaced by a marker before publication; their presence still counts.</summary>
    private static bool Redacted(string value) => value.StartsWith("[redacted", StringComparison.Ordinal);
}
