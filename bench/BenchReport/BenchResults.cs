using System.Globalization;

namespace BenchReport;

/// <summary>One measured command of bench/run.sh: a tool doing one step over one subset of one corpus.</summary>
public sealed record Measurement(string Corpus, string Subset, string Tool, string Step, int Jobs, int Files, long Bytes,
    long? Requests, double WallSeconds, long PeakRssKb, double? ParseSeconds, double? EnrichSeconds, double? EmitSeconds)
{
    public double MegabytesPerSecond => Bytes / 1048576.0 / WallSeconds;
    public double? RequestsPerSecond => Requests is { } r && WallSeconds > 0 ? r / WallSeconds : null;

    /// <summary>Bytes our run allocated (GC.GetTotalAllocatedBytes), as its stderr says; null for other tools and older results.</summary>
    public long? AllocatedBytes { get; init; }

    /// <summary>Payload fields our run decoded (payload_fields rows).</summary>
    public long? Fields { get; init; }

    public double? AllocatedBytesPerField => AllocatedBytes is { } a && Fields is { } f && f > 0 ? (double)a / f : null;

    /// <summary>
    /// The round of a measurement taken in rounds (the HAR comparison), numbered from 1; null for a row that stands for
    /// its measurement (taken once, or the round of median time).
    /// </summary>
    public int? Round { get; init; }
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
            // Columns added later (alloc_bytes, fields, round) are empty in results written before them.
            string Cell(string name) => Array.IndexOf(header, name) is var i and >= 0 && i < cells.Length ? cells[i] : "";
            double? Number(string name) => double.TryParse(Cell(name), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ? v : null;
            long? Whole(string name) => long.TryParse(Cell(name), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
            rows.Add(new Measurement(Cell("corpus"), Cell("subset"), Cell("tool"), Cell("step"), int.Parse(Cell("jobs"), CultureInfo.InvariantCulture),
                int.Parse(Cell("files"), CultureInfo.InvariantCulture), long.Parse(Cell("bytes"), CultureInfo.InvariantCulture),
                long.TryParse(Cell("requests"), NumberStyles.None, CultureInfo.InvariantCulture, out var r) ? r : null,
                Number("wall_s") ?? 0, long.Parse(Cell("peak_rss_kb"), CultureInfo.InvariantCulture),
                Number("stage_parse_s"), Number("stage_enrich_s"), Number("stage_emit_s"))
            {
                AllocatedBytes = Whole("alloc_bytes"),
                Fields = Whole("fields"),
                Round = Whole("round") is { } round ? (int)round : null,
            });
        }
        return new BenchResults(environment, rows);
    }
}
