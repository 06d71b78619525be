using System.Security.Cryptography;
using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;

namespace ResearchPipeline.Cli;

/// <summary>Everything one capture contributes to the published tables.</summary>
public sealed record CaptureOutcome(CaptureRow Capture, List<ExchangeRow> Exchanges, List<QualityRow> Quality, List<PayloadFieldRow> Payloads)
{
    /// <summary>Known device values found in the capture's requests (identify stage).</summary>
    public List<IdentifierMatchRow> IdentifierMatches { get; init; } = [];

    /// <summary>Secrets and identifiers seen in the capture, which emit replaces and the publication check looks for.</summary>
    public IReadOnlyCollection<SensitiveValue> Sensitive { get; init; } = [];
}

/// <summary>
/// The parse stage for one capture file: identify it by content, read it with the reader its bytes call
/// for, and turn every record into a row or a quality row. A reader that throws loses only what was left
/// to read in its file; the rows before stay and the failure is a quality row.
/// </summary>
public static class CaptureParse
{
    /// <param name="decode">False for the parse stage alone (the parse verb): exchanges are read, bodies are not decoded.</param>
    public static CaptureOutcome Run(CaptureFile file, AppsCatalog apps, CaptureFormats formats, ReadLimits limits, IdentifierMatchers? identify = null, bool decode = true)
    {
        var captureId = Sha256Hex(file.FullPath);
        var app = apps.Find(file);
        var appId = app?.AppId ?? file.FolderAppId;
        var exchanges = new List<ExchangeRow>();
        var quality = new List<QualityRow>();
        var payloads = new List<PayloadFieldRow>();
        var decoders = TrackerDecoders.All;
        var decodeLimits = DecodeLimits.From(limits);
        var quarantined = 0;
        string? creator = null;
        var matches = new List<IdentifierMatchRow>();
        var sensitive = new HashSet<SensitiveValue>();

        void Problem(string severity, string message, string location, bool isQuarantine = false, string stage = "parse") => quality.Add(new QualityRow
        {
            CaptureId = captureId,
            FileName = file.RelativeName,
            Sequence = quality.Count,
            Stage = stage,
            Severity = severity,
            Message = message,
            Location = location,
            Quarantined = isQuarantine,
        });

        var matcher = identify?.For(app?.DeviceId);
        if (identify is not null && matcher is null && identify.Devices.Devices.Length > 0)
            Problem("warning", string.IsNullOrEmpty(app?.DeviceId)
                ? $"no device_id for this capture in {AppsCatalog.FileName} and {DevicesCatalog.FileName} lists more than one device: known values not searched"
                : $"device '{app.DeviceId}' is not in {DevicesCatalog.FileName}: known values not searched", "file", stage: "identify");

        var reader = formats.Detect(file.FullPath);
        if (reader is null)
        {
            Problem("error", "not a capture format this pipeline reads (HAR, mitmproxy flows, pcap, pcapng)", "byte 0");
        }
        else
        {
            try
            {
                using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                foreach (var record in reader.Read(stream, limits))
                {
                    switch (record)
                    {
                        case ExchangeRead read when !decode:
                            exchanges.Add(ExchangeRows.From(read.Exchange, captureId, appId));
                            sensitive.UnionWith(SensitiveValues.In(read.Exchange, limits.MaxBodyBytes));
                            break;
                        case ExchangeRead read:
                            // Decoded here, while the bodies are in hand; only the rows are kept.
                            var decoded = decoders.Decode(read.Exchange, decodeLimits);
                            exchanges.Add(ExchangeRows.From(read.Exchange, captureId, appId) with { Sdk = decoded.Sdk, GraphApiVersion = decoded.GraphApiVersion });
                            payloads.AddRange(PayloadFieldRows.From(decoded, captureId, appId, read.Exchange.Ordinal));
                            foreach (var p in decoded.Problems)
                                Problem(p.Severity.ToString().ToLowerInvariant(), p.Message, $"entry {read.Exchange.Ordinal} request", stage: "decode");
                            if (matcher is not null)
                            {
                                foreach (var m in matcher.Find(read.Exchange))
                                    matches.Add(IdentifierMatchRows.From(m, captureId, appId));
                            }
                            sensitive.UnionWith(SensitiveValues.In(read.Exchange, limits.MaxBodyBytes));
                            break;
                        case RecordQuarantined q:
                            quarantined++;
                            Problem("error", q.Reason, q.Location, isQuarantine: true);
                            break;
                        case CaptureProblem p:
                            Problem(p.Severity.ToString().ToLowerInvariant(), p.Message, p.Location);
                            break;
                        case CreatorFound c:
                            creator = c.ToString();
                            break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or NotSupportedException or InvalidOperationException or ArgumentException or IndexOutOfRangeException or OverflowException)
            {
                Problem("error", $"reader stopped: {e.GetType().Name}: {e.Message}", $"after record {exchanges.Count + quarantined}");
            }
        }

        var times = exchanges.Where(x => x.TimeUtc is not null).Select(x => x.TimeUtc!.Value).ToList();
        DateTimeOffset? first = times.Count > 0 ? times.Min() : null;
        DateTimeOffset? last = times.Count > 0 ? times.Max() : null;
        ExchangeRows.WithSecondsSinceStart(exchanges, first);

        var capture = new CaptureRow
        {
            CaptureId = captureId,
            AppId = appId,
            AppIdSource = app is null ? "folder" : AppsCatalog.FileName,
            Platform = app?.Platform,
            DeviceId = app?.DeviceId,
            AppName = app?.AppName,
            AppVersion = app?.AppVersion,
            Format = reader?.Format ?? "unknown",
            Creator = creator,
            FileName = file.RelativeName,
            SizeBytes = file.SizeBytes,
            FirstTimeUtc = first,
            LastTimeUtc = last,
            RecordsRead = exchanges.Count + quarantined,
            ExchangeCount = exchanges.Count,
            QuarantinedCount = quarantined,
            ProblemCount = quality.Count,
            SessionId = app?.Session is { Length: > 0 } session ? $"{appId}/{session}" : file.RelativeName,
        };
        return new CaptureOutcome(capture, exchanges, quality, payloads) { IdentifierMatches = matches, Sensitive = sensitive };
    }

    public static string Sha256Hex(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
