using System.Globalization;

namespace BenchReport;

/// <summary>One measured command of bench/run.sh: a tool doing one step over one subset of one corpus.</summary>
public sealed record Measurement(string Corpus, string Subset, string Tool, string Step, int Jobs, int Files, long Bytes,
    long? Requests, double WallSeconds, long PeakRssKb, double? ParseSeconds, double? EnrichSeconds, double? EmitSeconds)
{
    public double MegabytesPerSecond => Bytes / 1048576.0 / WallSeconds;
    public double? RequestsPerSecond => Requests is { } r ? r / WallSeconds : null;
}

/// <summary>bench/results.csv: <c>#</c> lines describe the machine and tools, then a header and one row per measurement.</summary>
public sealed record BenchResults(IReadOnlyList<string> Environment, IReadOnlyList<Measurement> Rows)
{
    public static BenchResults Parse(IEnumerable<string> lines)
    {
        var environment = new List<string>();
        var rows = new List<Measurement>();
        string[]? header = null;
        foreach (var line in lines)
        {
            if (line.StartsWith('#')) { environment.Add(line.TrimStart('#', ' ')); continue; }
            if (line.Length == 0) continue;
            var cells = line.Split(',');
            if (header is null) { header = cells; continue; }
            string Cell(string name) => cells[Array.IndexOf(header, name)];
            double? Number(string name) => double.TryParse(Cell(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
            rows.Add(new Measurement(Cell("corpus"), Cell("subset"), Cell("tool"), Cell("step"), int.Parse(Cell("jobs"), CultureInfo.InvariantCulture),
                int.Parse(Cell("files"), CultureInfo.InvariantCulture), long.Parse(Cell("bytes"), CultureInfo.InvariantCulture),
                long.TryParse(Cell("requests"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : null,
                Number("wall_s") ?? 0, long.Parse(Cell("peak_rss_kb"), CultureInfo.InvariantCulture),
                Number("stage_parse_s"), Number("stage_enrich_s"), Number("stage_emit_s")));
        }
        return new BenchResults(environment, rows);
    }
}
