using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Decoders;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Payloads;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;

namespace ResearchPipeline.Run;

/// <summary>Everything one capture contributes to the published tables.</summary>
public sealed record CaptureOutcome(CaptureRow Capture, List<ExchangeRow> Exchanges, List<QualityRow> Quality, List<PayloadFieldRow> Payloads)
{
    /// <summary>Known device values found in the capture's requests (identify stage).</summary>
    public List<IdentifierMatchRow> IdentifierMatches { get; init; } = [];

    /// <summary>Secrets and identifiers seen in the capture, which emit replaces and the publication check looks for.</summary>
    public IReadOnlyCollection<SensitiveValue> Sensitive { get; init; } = [];

    /// <summary>Each distinct host and address the capture's exchanges name, with when it was first seen (enrich stage).</summary>
    public IReadOnlyList<EndpointObservation> Endpoints { get; init; } = [];

    /// <summary>Where the rows went when the run writes shards; the row lists above are then empty.</summary>
    public CaptureShards? Shards { get; init; }

    /// <summary>Exchange rows the capture gave, in its lists or its shard.</summary>
    public int ExchangeRowCount { get; init; }

    /// <summary>HTTP requests per host, and how many of them no adapter decoded; null when the capture was not decoded.</summary>
    public IReadOnlyDictionary<string, (int Requests, int Generic)>? RequestsByHost { get; init; }
}

/// <summary>Where one capture's rows were written in the shards; null where the capture had no row of that table.</summary>
public sealed record CaptureShards(ShardRange? Exchanges, ShardRange? Payloads, ShardRange? IdentifierMatches);

/// <summary>One parse worker's shard files, a file per table, which the captures it reads are appended to.</summary>
public sealed class CaptureSpool(string folder, string name, int chunkRows = Shards.ChunkRows) : IDisposable
{
    public CaptureSpool(string folder, int worker, int chunkRows = Shards.ChunkRows) : this(folder, $"worker-{worker}", chunkRows) { }

    public ShardSpool<ExchangeRow> Exchanges { get; } = new(Path.Combine(folder, $"{name}.exchanges.parquet"), Tables.Exchanges, ShardTables.Exchanges, chunkRows);
    public ShardSpool<PayloadFieldRow> Payloads { get; } = new(Path.Combine(folder, $"{name}.payload_fields.parquet"), Tables.PayloadFields, ShardTables.PayloadFields, chunkRows);
    public ShardSpool<IdentifierMatchRow> Matches { get; } = new(Path.Combine(folder, $"{name}.identifier_matches.parquet"), Tables.IdentifierMatches, ShardTables.IdentifierMatches, chunkRows);

    public void Dispose()
    {
        Exchanges.Dispose();
        Payloads.Dispose();
        Matches.Dispose();
    }
}

/// <summary>
/// The parse stage for one capture file: identify it by content, read it with the reader its bytes call
/// for, and turn every record into a row or a quality row. A reader that throws loses only what was left
/// to read in its file; the rows before stay and the failure is a quality row.
/// </summary>
public static class CaptureParse
{
    /// <param name="decode">False for the parse stage alone (the parse verb): exchanges are read, bodies are not decoded.</param>
    /// <param name="spool">The shard files to append the capture's rows to; null keeps them in the outcome's lists.</param>
    /// <param name="captureId">The file's sha256 when the caller has it already.</param>
    public static CaptureOutcome Run(CaptureFile file, AppsCatalog apps, CaptureFormats formats, ReadLimits limits, IdentifierMatchers? identify = null, bool decode = true,
        CaptureSpool? spool = null, string? captureId = null)
    {
        captureId ??= FileHash.Sha256Hex(file.FullPath);
        var app = apps.Find(file);
        var appId = app?.AppId ?? file.FolderAppId;
        var exchanges = new List<ExchangeRow>();
        var quality = new List<QualityRow>();
        var payloads = new List<PayloadFieldRow>();
        var observations = new Dictionary<(string Host, string? Ip), DateTimeOffset?>();
        var matches = new List<IdentifierMatchRow>();
        var reader = formats.Detect(file.FullPath);
        var ipSource = EnrichAttribute.IpSource(reader?.Format ?? "unknown");
        // HAR entries and flows come in file order; a packet capture gives a flow when it ends, not when it began.
        var sink = new CaptureRows(spool, exchanges, payloads, matches, inOrder: reader?.Format is "har" or "mitmproxy");
        var exchangeCount = 0;
        DateTimeOffset? first = null, last = null;
        void AddExchange(ExchangeRow row)
        {
            exchangeCount++;
            if (row.TimeUtc is { } t)
            {
                if (first is null || t < first) first = t;
                if (last is null || t > last) last = t;
            }
            var key = (row.Host, row.ServerIp);
            if (!observations.TryGetValue(key, out var seen) || (row.TimeUtc is { } s && (seen is null || s < seen))) observations[key] = row.TimeUtc ?? seen;
            sink.Exchange(row);
        }
        // Built on first use (every adapter's patterns compiled): the parse stage alone never decodes.
        var decoders = decode ? TrackerDecoders.All : null;
        var requestsByHost = new Dictionary<string, (int Requests, int Generic)>(StringComparer.Ordinal);
        var decodeLimits = DecodeLimits.From(limits);
        var quarantined = 0;
        string? creator = null;
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
                        {
                            AddExchange(ExchangeRows.From(read.Exchange, captureId, appId));
                            using var view = RequestView.Of(read.Exchange, decodeLimits);
                            sensitive.UnionWith(SensitiveValues.In(view, []));
                            break;
                        }
                        case ExchangeRead read:
                        {
                            // One view of the request, read once (body inflated, shape told, cookies split) for decode, identify and secrets.
                            using var view = RequestView.Of(read.Exchange, decodeLimits);
                            var decoded = decoders!.Decode(view, decodeLimits);
                            if (read.Exchange.Kind == ExchangeKind.Http)
                            {
                                var counts = requestsByHost.GetValueOrDefault(read.Exchange.Target.Host);
                                requestsByHost[read.Exchange.Target.Host] = (counts.Requests + 1, counts.Generic + (decoded.Decoder == TrackerDecoders.Generic ? 1 : 0));
                            }
                            AddExchange(ExchangeRows.From(view, decoded, captureId, appId));
                            foreach (var row in PayloadFieldRows.From(decoded, captureId, appId, read.Exchange.Ordinal)) sink.Payload(row);
                            foreach (var p in decoded.Problems)
                                Problem(p.Severity.ToString().ToLowerInvariant(), p.Message, $"entry {read.Exchange.Ordinal} request", stage: "decode");
                            var fields = decoded.Fields.Select(a => a.Field).ToList();
                            if (matcher is not null)
                            {
                                var found = matcher.Find(view, fields).Select(m => IdentifierMatchRows.From(m, captureId, appId)).ToList();
                                // In the table's order within the exchange, so the capture's shard is in order.
                                found.Sort(Tables.IdentifierMatches.Order);
                                foreach (var m in found) sink.Match(m);
                            }
                            sensitive.UnionWith(SensitiveValues.In(view, fields));
                            sensitive.UnionWith(SensitiveValues.In(decoded));
                            break;
                        }
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
                Problem("error", $"reader stopped: {e.GetType().Name}: {e.Message}", $"after record {exchangeCount + quarantined}");
            }
        }

        // Kept in lists, the rows get their offset from the capture's start now; in shards, when merged.
        ExchangeRows.WithSecondsSinceStart(exchanges, first);
        var shards = sink.Complete();

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
            RecordsRead = exchangeCount + quarantined,
            ExchangeCount = exchangeCount,
            QuarantinedCount = quarantined,
            ProblemCount = quality.Count,
            SessionId = app?.Session is { Length: > 0 } session ? $"{appId}/{session}" : file.RelativeName,
        };
        return new CaptureOutcome(capture, exchanges, quality, payloads)
        {
            IdentifierMatches = matches,
            Sensitive = sensitive,
            Endpoints = observations.Select(o => new EndpointObservation(o.Key.Host, o.Key.Ip, ipSource, o.Value)).ToList(),
            Shards = shards,
            ExchangeRowCount = exchangeCount,
            RequestsByHost = decode ? requestsByHost : null,
        };
    }
}

/// <summary>
/// Where a capture's rows go: the outcome's lists (tests, small tools), or a shard per table written as the
/// rows come, so that a run's memory does not grow with the study.
/// </summary>
internal sealed class CaptureRows
{
    private readonly CaptureSpool? _spool;
    private readonly List<ExchangeRow> _exchanges;
    private readonly List<PayloadFieldRow> _payloads;
    private readonly List<IdentifierMatchRow> _matches;

    public CaptureRows(CaptureSpool? spool, List<ExchangeRow> exchanges, List<PayloadFieldRow> payloads, List<IdentifierMatchRow> matches, bool inOrder)
    {
        _spool = spool;
        _exchanges = exchanges;
        _payloads = payloads;
        _matches = matches;
        _spool?.Exchanges.Begin(inOrder);
        _spool?.Payloads.Begin(inOrder);
        _spool?.Matches.Begin(inOrder);
    }

    public void Exchange(ExchangeRow row)
    {
        if (_spool is null) _exchanges.Add(row);
        else _spool.Exchanges.Add(row);
    }

    public void Payload(PayloadFieldRow row)
    {
        if (_spool is null) _payloads.Add(row);
        else _spool.Payloads.Add(row);
    }

    public void Match(IdentifierMatchRow row)
    {
        if (_spool is null) _matches.Add(row);
        else _spool.Matches.Add(row);
    }

    public CaptureShards? Complete() => _spool is null ? null : new CaptureShards(_spool.Exchanges.End(), _spool.Payloads.End(), _spool.Matches.End());
}
