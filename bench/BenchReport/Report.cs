using System.Globalization;
using System.Text;

namespace BenchReport;

/// <summary>docs/BENCHMARKS.md: the measurements, the issue's targets as ratios within one run, and the hand-written notes.</summary>
public static class Report
{
    public const string Command = "dotnet bench/BenchReport/bin/Release/net10.0/bench-report.dll bench/results.csv bench/NOTES.md docs/BENCHMARKS.md";

    public static string Render(BenchResults results, string notes)
    {
        var md = new StringBuilder();
        md.Append("# Benchmarks\n\n");
        md.Append("Generated; do not edit. `make bench` (`bench/run.sh`) builds the scaled corpora, runs every measurement and writes\n");
        md.Append("`bench/results.csv`; this page is rendered from that file by\n\n```\n").Append(Command).Append("\n```\n\n");
        md.Append("Absolute times are noisy on this machine (two cores, shared with other work); compare the ratios, which are\n");
        md.Append("taken within one run on the same input. Every tool reads from a warm page cache. The ratios against the other\n");
        md.Append("tools move between machines too (bench/NOTES.md, \"This run\"): compare runs on the same processor.\n\n");
        foreach (var e in results.Environment) md.Append("- ").Append(e).Append('\n');
        md.Append('\n');

        // A measurement taken in rounds stands as its round of median time; its rounds' own rows only pair up for the targets.
        var rows = results.Rows.Where(r => r.Round is null).ToList();
        var rounds = results.Rows.Where(r => r.Round is not null).ToList();

        // The issue reads its targets on the largest corpus; smaller ones show how the ratios move with size.
        var corpora = rows.Where(r => r.Subset == "all").GroupBy(r => r.Corpus).OrderByDescending(g => g.Max(r => r.Bytes)).Select(g => g.Key);
        foreach (var corpus in corpora)
        {
            md.Append("## Targets (issue 15), on the ").Append(corpus).Append(" corpus\n\n");
            md.Append("| target | measured | met |\n|---|---|---|\n");
            foreach (var (target, measured, met) in Targets(rows.Where(r => r.Corpus == corpus).ToList(), rows, rounds.Where(r => r.Corpus == corpus).ToList()))
                md.Append("| ").Append(target).Append(" | ").Append(measured).Append(" | ").Append(met).Append(" |\n");
            md.Append('\n');
        }

        var decrypting = DecryptingReader(rows.Where(r => r.Subset == "tls").ToList());
        if (decrypting.Length > 0) md.Append(decrypting);

        md.Append("## Scaling: the whole run over every capture\n\n");
        md.Append("| corpus | jobs | captures | MB | requests | wall s | MB/s | requests/s | peak RSS MB | parse s | enrich s | emit s | fields | bytes allocated per field |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows.Where(r => r.Subset == "all" && r.Tool == "research-pipeline" && r.Step == "run").OrderBy(r => r.Bytes).ThenBy(r => r.Jobs))
            md.Append(Invariant($"| {r.Corpus} | {r.Jobs} | {r.Files} | {r.Bytes / 1048576.0:F1} | {r.Requests} | {r.WallSeconds:F2} | {r.MegabytesPerSecond:F1} | {r.RequestsPerSecond:F0} | {r.PeakRssKb / 1024} | {r.ParseSeconds:F2} | {r.EnrichSeconds:F2} | {r.EmitSeconds:F2} | {r.Fields} | {r.AllocatedBytesPerField:F0} |\n"));
        md.Append('\n');

        md.Append("## Every measurement\n\n");
        md.Append("| corpus | subset | tool | step | jobs | files | MB | requests | wall s | MB/s | requests/s | peak RSS MB |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var r in rows)
            md.Append(Invariant($"| {r.Corpus} | {r.Subset} | {r.Tool} | {r.Step} | {r.Jobs} | {r.Files} | {r.Bytes / 1048576.0:F1} | {r.Requests} | {r.WallSeconds:F2} | {(r.Bytes > 0 && r.WallSeconds > 0 ? r.MegabytesPerSecond.ToString("F1", CultureInfo.InvariantCulture) : "")} | {(r.RequestsPerSecond is { } q ? q.ToString("F0", CultureInfo.InvariantCulture) : "")} | {r.PeakRssKb / 1024} |\n"));
        md.Append('\n');
        md.Append("Subsets: `all` is the whole corpus; `har`, `pcap`, `flows` are hard links to the corpus's files of one format,\n");
        md.Append("read by our program and by the other tool alike; `ips` is the distinct server addresses (HAR `serverIPAddress`\n");
        md.Append("and tshark's `ip.dst`). Requests: our exchanges, TrackHAR's HAR entries, tshark's output lines, mmdblookup's addresses.\n\n");
        md.Append(notes.TrimEnd()).Append('\n');
        return md.ToString();
    }

    /// <param name="rows">The corpus's measurements.</param>
    /// <param name="every">Every measurement (the single large HAR is a corpus of its own).</param>
    /// <param name="rounds">The corpus's measurements taken in rounds, each round's own row.</param>
    private static IEnumerable<(string Target, string Measured, string Met)> Targets(List<Measurement> rows, IReadOnlyList<Measurement> every, List<Measurement> rounds)
    {
        Measurement? Find(string subset, string tool, string step, int jobs) =>
            rows.FirstOrDefault(r => r.Subset == subset && r.Tool == tool && r.Step == step && r.Jobs == jobs);
        // A target's ratio round by round, where both its commands ran in the round: the commands take turns, so a slow
        // stretch of the machine falls on both of a round's runs, where the rounds of median time may be two rounds apart.
        List<double> Paired(string step, int jobs, string otherTool, string otherStep, int otherJobs, Func<Measurement, Measurement, double?> ratio) =>
            [.. rounds.Where(r => r.Subset == "har" && r.Tool == "research-pipeline" && r.Step == step && r.Jobs == jobs)
                .Select(ours => rounds.FirstOrDefault(o => o.Round == ours.Round && o.Subset == "har" && o.Tool == otherTool && o.Step == otherStep && o.Jobs == otherJobs) is { } other ? ratio(ours, other) : null)
                .OfType<double>().Order()];
        var maxJobs = rows.Where(r => r.Tool == "research-pipeline").Select(r => r.Jobs).DefaultIfEmpty(1).Max();

        // Issue 15: the whole run over the HARs against TrackHAR, 3x with every core and 1.5x with one.
        if (Find("har", "trackhar", "process", 1) is { RequestsPerSecond: { } th })
            foreach (var (j, times) in new[] { (maxJobs, 3.0), (1, 1.5) }.DistinctBy(t => t.Item1))
                if (Find("har", "research-pipeline", "run", j) is { RequestsPerSecond: { } ours })
                {
                    var paired = Paired("run", j, "trackhar", "process", 1, (o, t) => o.RequestsPerSecond / t.RequestsPerSecond);
                    yield return (Invariant($"end-to-end >= {times:0.#}x TrackHAR's requests/s (same HARs; ours -j{j}, TrackHAR one process)"),
                        Invariant($"{ours / th:F2}x ({ours:F0} vs {th:F0} requests/s){InRounds(paired)}"), Met(Verdict(paired, ours / th) >= times));
                }
        foreach (var subset in new[] { "har", "all" })
            if (Find(subset, "cat", "read", 1) is { } cat && Find(subset, "research-pipeline", "parse", 1) is { } parse)
                // A small corpus is read by cat in less than the timer's 0.01 s: no ratio, rather than an infinite one.
                yield return cat.WallSeconds > 0
                    ? ($"parse stage within 10x of cat (-j1, {subset})", Invariant($"{parse.WallSeconds / cat.WallSeconds:F1}x cat ({parse.WallSeconds:F2} s vs {cat.WallSeconds:F2} s)"), Met(parse.WallSeconds / cat.WallSeconds <= 10))
                    : ($"parse stage within 10x of cat (-j1, {subset})", Invariant($"cat took under 0.01 s, the timer's resolution: no ratio (ours {parse.WallSeconds:F2} s)"), "-");
        foreach (var subset in new[] { "har", "all" })
            if (maxJobs > 1 && Find(subset, "research-pipeline", "run", 1) is { } j1 && Find(subset, "research-pipeline", "run", maxJobs) is { } jn)
            {
                // Only the HARs are measured in rounds.
                var paired = subset == "har" ? Paired("run", maxJobs, "research-pipeline", "run", 1, (n, one) => one.WallSeconds / n.WallSeconds) : [];
                yield return ($"-j{maxJobs} at least 1.7x faster than -j1 (whole run, {subset})",
                    Invariant($"{j1.WallSeconds / jn.WallSeconds:F2}x ({jn.WallSeconds:F2} s vs {j1.WallSeconds:F2} s){InRounds(paired)}"), Met(Verdict(paired, j1.WallSeconds / jn.WallSeconds) >= 1.7));
            }
        // What the second core adds, with -j1 held to one core: -j1 alone already uses more than one.
        if (maxJobs > 1 && Find("har", "research-pipeline", "run-one-core", 1) is { } oneCore && Find("har", "research-pipeline", "run", maxJobs) is { } both)
        {
            var paired = Paired("run", maxJobs, "research-pipeline", "run-one-core", 1, (n, one) => one.WallSeconds / n.WallSeconds);
            yield return ($"(no target) -j{maxJobs} against -j1 held to one core (taskset -c 0; whole run, har)",
                Invariant($"{oneCore.WallSeconds / both.WallSeconds:F2}x ({both.WallSeconds:F2} s vs {oneCore.WallSeconds:F2} s){InRounds(paired)}"), "");
        }
        if (rows.Where(r => r.Tool == "research-pipeline").MaxBy(r => r.PeakRssKb) is { } peak)
            yield return ("peak memory under 500 MB", Invariant($"{peak.PeakRssKb / 1024} MB (the highest of our runs: {peak.Subset} {peak.Step} -j{peak.Jobs})"), Met(peak.PeakRssKb < 500 * 1024));
        if (every.Where(r => r.Corpus.StartsWith("one-har-", StringComparison.Ordinal) && r.Tool == "research-pipeline" && r.Step == "run").MaxBy(r => r.Jobs) is { } big)
            yield return ($"one {big.Corpus["one-har-".Length..]} HAR, whole run, under 120 s (-j{big.Jobs})", Invariant($"{big.WallSeconds:F2} s, {big.PeakRssKb / 1024} MB peak"), Met(big.WallSeconds < 120));
        foreach (var j in new[] { 1, maxJobs }.Distinct())
            if (Find("har", "research-pipeline", "run", j) is { AllocatedBytesPerField: { } perField } har)
                yield return ($"(no target) bytes allocated per decoded field (whole run over the HARs, -j{j})", Invariant($"{perField:F0} ({har.AllocatedBytes} bytes, {har.Fields} fields)"), "");
        if (Find("flows", "mitmdump", "read", 1) is { } md && Find("flows", "research-pipeline", "parse", 1) is { } fl)
            yield return ("(no target) flow reading vs mitmdump -nr (one process each)", Invariant($"{md.WallSeconds / fl.WallSeconds:F2}x mitmdump's speed ({fl.WallSeconds:F2} s vs {md.WallSeconds:F2} s)"), "");
        if (Find("ips", "mmdblookup", "lookup", 1) is { } mm && Find("all", "research-pipeline", "run", maxJobs) is { EnrichSeconds: { } en })
            yield return ("(no target) enrich stage vs mmdblookup over the distinct addresses", Invariant($"ours {en:F2} s (mostly loading the reference data) vs mmdblookup {mm.WallSeconds:F2} s for {mm.Requests} addresses"), "");
    }

    /// <summary>
    /// Issue 14's targets for the decrypting reader: the parse stage over TLS+HTTP/2 pcapngs with keys at least 5x
    /// tshark's speed (-j1, one process each), and peak memory flat in file size (compared across the corpus sizes).
    /// </summary>
    private static string DecryptingReader(List<Measurement> rows)
    {
        var corpora = rows.GroupBy(r => r.Corpus).OrderBy(g => g.Max(r => r.Bytes)).ToList();
        if (corpora.Count == 0) return "";
        var md = new StringBuilder("## Decrypting reader (issue 14): TLS 1.2/1.3 + HTTP/2 packet captures with keys, -j1\n\n");
        md.Append("| corpus | pcapngs | MB | ours s | ours MB/s | ours peak RSS MB | tshark s | tshark MB/s | tshark peak RSS MB | ours vs tshark | >= 5x |\n");
        md.Append("|---|---|---|---|---|---|---|---|---|---|---|\n");
        foreach (var corpus in corpora)
        {
            var ours = corpus.FirstOrDefault(r => r.Tool == "research-pipeline" && r.Step == "parse");
            var ts = corpus.FirstOrDefault(r => r.Tool == "tshark");
            if (ours is null) continue;
            md.Append(Invariant($"| {corpus.Key} | {ours.Files} | {ours.Bytes / 1048576.0:F1} | {ours.WallSeconds:F2} | {ours.MegabytesPerSecond:F1} | {ours.PeakRssKb / 1024} | "));
            md.Append(ts is null ? "| | | | |\n" : Invariant($"{ts.WallSeconds:F2} | {ts.MegabytesPerSecond:F1} | {ts.PeakRssKb / 1024} | {ts.WallSeconds / ours.WallSeconds:F2}x | {Met(ts.WallSeconds / ours.WallSeconds >= 5)} |\n"));
        }
        var measured = corpora.Select(g => g.FirstOrDefault(r => r.Tool == "research-pipeline" && r.Step == "parse")).OfType<Measurement>().ToList();
        var apartSizes = measured.Where(m => !m.Corpus.EndsWith(OneFile, StringComparison.Ordinal)).ToList();
        if (apartSizes.Count > 1)
        {
            var (small, large) = (apartSizes[0], apartSizes[^1]);
            var growth = (double)large.PeakRssKb / small.PeakRssKb;
            md.Append(Invariant($"\nPeak memory from {small.Corpus} to {large.Corpus} ({large.Bytes / (double)small.Bytes:F1}x the bytes): {growth:F2}x ({Met(growth < 1.5)} flat, i.e. under 1.5x).\n"));
        }
        foreach (var one in measured.Where(m => m.Corpus.EndsWith(OneFile, StringComparison.Ordinal)))
            if (measured.FirstOrDefault(m => m.Corpus == one.Corpus[..^OneFile.Length]) is { } apart)
                md.Append(Invariant($"\nMemory in file size: {apart.Corpus}'s {apart.Files} pcapngs as one {one.Bytes / 1048576.0:F0} MB pcapng (`{one.Corpus}`) peak at {one.PeakRssKb / 1024} MB, against {apart.PeakRssKb / 1024} MB read apart ({Met(one.PeakRssKb < 1.5 * apart.PeakRssKb)} flat, i.e. under 1.5x).\n"));
        foreach (var run in rows.Where(r => r.Tool == "research-pipeline" && r.Step == "run").OrderBy(r => r.Bytes).ThenBy(r => r.Corpus, StringComparer.Ordinal).ThenBy(r => r.Jobs))
            md.Append(Invariant($"\nWhole run (decrypt, decode, enrich, emit) over {run.Corpus}, -j{run.Jobs}: {run.WallSeconds:F2} s, peak {run.PeakRssKb / 1024} MB; under 500 MB: {Met(run.PeakRssKb < 500 * 1024)}.\n"));
        md.Append("\nOurs: `research-pipeline parse` (keys from each pcapng's Decryption Secrets Block and the key log beside it). tshark: every\n");
        md.Append("pcapng concatenated (`cat`, one section each) into one `tshark -o tls.keylog_file:keylog.txt -T fields` printing the HTTP/2 and\n");
        md.Append("HTTP/1 request header fields (method, authority or Host, path).\n\n");
        return md.ToString();
    }

    /// <summary>The corpus label of the decrypting-reader corpus read as one concatenated pcapng.</summary>
    private const string OneFile = "-one-file";

    /// <summary>"; paired by round: ..." (the median, the spread and the rounds) where rounds paired up; empty where none did.</summary>
    private static string InRounds(List<double> paired) =>
        paired.Count == 0 ? "" : Invariant($"; paired by round: {Median(paired):F2}x ({paired[0]:F2}x to {paired[^1]:F2}x, {paired.Count} rounds)");

    /// <summary>A target is judged on the median of its ratios paired by round where there are some, else on the ratio of its rows.</summary>
    private static double Verdict(List<double> paired, double ratio) => paired.Count > 0 ? Median(paired) : ratio;

    private static double Median(List<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;

    private static string Met(bool met) => met ? "yes" : "**no**";
    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
