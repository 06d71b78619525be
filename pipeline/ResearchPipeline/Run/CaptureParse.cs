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

    /// <summary>Secrets and identifiers seen in the capture, which emit replaces and the publication check looks for (empty when the parse added them to its caller's set).</summary>
    public IReadOnlyCollection<SensitiveValue> Sensitive { get; init; } = [];

    /// <summary>Each distinct host and address the capture's exchanges name, with when it was first seen (enrich stage).</summary>
    public IReadOnlyList<EndpointObservation> Endpoints { get; init; } = [];

    /// <summary>Where the rows went when the run writes shards; the row lists above are then empty.</summary>
    public CaptureShards? Shards { get; init; }

    /// <summary>Exchange rows the capture gave, in its lists or its shard.</summary>
    public int ExchangeRowCount { get; init; }

    /// <summary>HTTP requests per host (in host order), and how many of them no adapter decoded; null when the capture was not decoded.</summary>
    public IReadOnlyList<HostRequests>? RequestsByHost { get; init; }
}

/// <summary>Where one capture's rows were written in the shards; null where the capture had no row of that table.</summary>
public sealed record CaptureShards(ShardRange? Exchanges, ShardRange? Payloads, ShardRange? IdentifierMatches);

/// <summary>One parse worker's shard files, a file per table, which the captures it reads are appended to.</summary>
/// <param name="writeBehind">Row groups are written on another thread while the next fills (see <see cref="ShardSpool{TRow}"/>).</param>
/// <param name="heldRows">Rows each table's spool holds for order in memory at most (<see cref="Shards.HeldRows"/>).</param>
public sealed class CaptureSpool(string folder, string name, int chunkRows = Shards.ChunkRows, bool writeBehind = false, int heldRows = Shards.HeldRows) : IDisposable
{

    public ShardSpool<ExchangeRow> Exchanges { get; } = new(Path.Combine(folder, $"{name}.exchanges.shard"), Tables.Exchanges, ShardTables.Exchanges, chunkRows, writeBehind,
        r => r.Ordinal, heldRows);
    // Spooled from each exchange's decoded fields, with no object per field; read back as the published table's rows.
    public ShardSpool<PayloadFieldView> Payloads { get; } = new(Path.Combine(folder, $"{name}.payload_fields.shard"), PayloadFieldRows.Table, ShardTables.PayloadFieldsOf(PayloadFieldRows.Table),
        chunkRows, writeBehind, r => r.ExchangeOrdinal, heldRows);
    public ShardSpool<IdentifierMatchRow> Matches { get; } = new(Path.Combine(folder, $"{name}.identifier_matches.shard"), Tables.IdentifierMatches, ShardTables.IdentifierMatches, chunkRows, writeBehind,
        r => r.Ordinal, heldRows);

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
    /// <param name="workers">
    /// Threads that read and decode the capture's records at once (a large capture: a HAR's entries are read
    /// apart once the scan has found them); the rows are the same, in the same order, whatever the number.
    /// </param>
    /// <param name="keyLogsChanged">
    /// Asked once the capture is found to be one whose reader reads the key logs beside it, before they are read: how
    /// they differ from those the capture was planned with (null when they do not). A change is thrown as an
    /// <see cref="InvalidDataException"/> and the capture is not read.
    /// </param>
    /// <param name="sensitiveFound">
    /// The set the capture's secrets and identifiers are added to, one a part's captures share so that each value is
    /// hashed into one set only; the outcome's <see cref="CaptureOutcome.Sensitive"/> is then empty.
    /// </param>
    public static CaptureOutcome Run(CaptureFile file, AppsCatalog apps, CaptureFormats formats, ReadLimits limits, IdentifierMatchers? identify = null, bool decode = true,
        CaptureSpool? spool = null, string? captureId = null, int workers = 1, Func<string?>? keyLogsChanged = null, HashSet<SensitiveValue>? sensitiveFound = null)
    {
        captureId ??= FileHash.Sha256Hex(file.FullPath);
        var app = apps.Find(file);
        var appId = app?.AppId ?? file.FolderAppId;
        var exchanges = new List<ExchangeRow>();
        var quality = new List<QualityRow>();
        var payloads = new List<PayloadFieldRow>();
        var observations = new Dictionary<(string Host, string? Ip), DateTimeOffset?>();
        var matches = new List<IdentifierMatchRow>();
        // One open for the detection and the reading: a study is mostly small files, each opened once. The stream's
        // buffer, allocated for each file a reader reads through it (a flow file's), is no larger than the file.
        using var stream = new FileStream(file.FullPath, FileMode.Open, FileAccess.Read, FileShare.Read, (int)Math.Clamp(file.SizeBytes, 4096, 1 << 16),
            FileOptions.SequentialScan);
        var reader = formats.Detect(stream);
        if (reader is { ReadsKeyLogs: true } && keyLogsChanged?.Invoke() is { } change) throw new InvalidDataException($"{file.FullPath}: {change}");
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
        var sensitive = sensitiveFound ?? new HashSet<SensitiveValue>();

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

        // What an exchange gives, worked out apart from the capture's running state (counts, quality rows,
        // shards), so that with several workers it runs on any of them; taken in file order below.
        ExchangeWork Work(Exchange exchange)
        {
            if (!decode)
            {
                // No view of the request: its secrets need the query's pairs (parsed once, for the row too), the
                // headers, the cookies and a form body's pairs, not the body decoded.
                var query = exchange.Target.Query.Length > 0 ? FormUrlEncoding.Parse(exchange.Target.Query) : [];
                var parsed = ExchangeRows.From(exchange, captureId, appId, query);
                try
                {
                    return new ExchangeWork(parsed, null, [], [], SensitiveValues.In(exchange, query, decodeLimits), null);
                }
                catch (Exception e)
                {
                    return new ExchangeWork(parsed, null, [], [], [], null) { Failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e) };
                }
            }
            var secrets = new List<SensitiveValue>();
            // One view of the request, read once (body inflated, shape told, cookies split) for decode, identify and
            // secrets; decoded here, while the bodies are in hand; only the rows are kept.
            using var view = RequestView.Of(exchange, decodeLimits);
            var decoded = decoders!.Decode(view, decodeLimits);
            var generic = exchange.Kind == ExchangeKind.Http ? decoded.Decoder == TrackerDecoders.Generic : (bool?)null;
            var row = ExchangeRows.From(view, decoded, captureId, appId);
            var payloadRows = new PayloadFieldRows(decoded, row.ExchangeId, captureId, appId, exchange.Ordinal);
            IReadOnlyList<IdentifierMatchRow> found = [];
            var problems = ProblemsOf(decoded.Problems, exchange.Ordinal);
            // A failure past this point is taken where it happened, after what came before it (see Take). Caught here, not
            // in a lambda handed to a helper: that was a closure and a delegate for every exchange.
            var payloadsDone = false;
            System.Runtime.ExceptionServices.ExceptionDispatchInfo? failure = null;
            try
            {
                payloadRows.Redact();
                payloadsDone = true;
                var fields = decoded.PayloadFields;
                if (matcher is not null)
                {
                    var hits = matcher.Find(view, fields);
                    if (hits.Count > 0)
                    {
                        // A list of its size, not LINQ's: the native program's LINQ is the one written for size (no presized
                        // result), and this runs for every exchange with a hit.
                        var matches = new List<IdentifierMatchRow>(hits.Count);
                        foreach (var m in hits) matches.Add(IdentifierMatchRows.From(m, captureId, appId));
                        // In the table's order within the exchange, so the capture's shard is in order.
                        matches.Sort(Tables.IdentifierMatches.Order);
                        found = matches;
                    }
                }
                SensitiveValues.AddIn(view, fields, secrets);
                SensitiveValues.AddIn(decoded, secrets);
            }
            catch (Exception e)
            {
                failure = System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e);
            }
            return new ExchangeWork(row, payloadRows, payloadsDone ? problems : [], found, secrets, generic) { Failure = failure };
        }

        void Take(ExchangeWork work)
        {
            if (work.Generic is { } generic)
            {
                var counts = requestsByHost.GetValueOrDefault(work.Row.Host);
                requestsByHost[work.Row.Host] = (counts.Requests + 1, counts.Generic + (generic ? 1 : 0));
            }
            AddExchange(work.Row);
            if (work.Payloads is { } payloads) sink.Payloads(payloads);
            foreach (var (severity, message, location) in work.Problems) Problem(severity, message, location, stage: "decode");
            foreach (var m in work.Matches) sink.Match(m);
            sensitive.UnionWith(work.Sensitive);
            work.Failure?.Throw();
        }

        // A record, and the work on its exchange; a record left to a worker to read is read there first. A
        // failure ends the list, to be taken after the records before it.
        List<(CaptureRecord Record, ExchangeWork? Work)> Read(CaptureRecord record)
        {
            if (record is not RecordsToRead pending)
            {
                // Most records come one by one: a list of one, and no list made around the record to walk it.
                var one = new List<(CaptureRecord, ExchangeWork?)>(1);
                ReadOne(record, one);
                return one;
            }
            var records = pending.Read();
            var read = new List<(CaptureRecord, ExchangeWork?)>(records.Count);
            for (var i = 0; i < records.Count && ReadOne(records[i], read); i++) { }
            return read;
        }

        // False once the work on a record failed: the list ends with the failure.
        bool ReadOne(CaptureRecord r, List<(CaptureRecord, ExchangeWork?)> read)
        {
            if (r is not ExchangeRead e)
            {
                read.Add((r, null));
                return true;
            }
            ExchangeWork work;
            try
            {
                work = Work(e.Exchange);
            }
            catch (Exception failure)
            {
                read.Add((new RecordFailed(System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(failure)), null));
                return false;
            }
            read.Add((r, work));
            return true;
        }

        if (reader is null)
        {
            Problem("error", "not a capture format this pipeline reads (HAR, mitmproxy flows, pcap, pcapng)", "byte 0");
        }
        else
        {
            try
            {
                stream.Position = 0;
                var records = workers > 1 ? reader.ReadForWorkers(stream, limits) : reader.Read(stream, limits);
                // An exchange read whole weighs its bodies (a packet capture's), one left to a worker its bytes.
                var read = OrderedWork.Map(records, Read, workers, r => r switch
                {
                    RecordsToRead pending => pending.Bytes,
                    ExchangeRead e => e.Exchange.RequestBody.Length + e.Exchange.ResponseBody.Length,
                    _ => 0,
                });
                // Each batch's list walked as itself: through SelectMany, an enumerator boxed for every record.
                foreach (var batch in read)
                foreach (var (record, work) in batch)
                {
                    switch (record)
                    {
                        case ExchangeRead:
                            Take(work!);
                            break;
                        case RecordFailed f:
                            f.Failure.Throw();
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
                        case OrderedBelow o:
                            sink.ReleaseBelow(o.Ordinal);
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
            Sensitive = sensitiveFound is null ? sensitive : [],
            Endpoints = observations.Select(o => new EndpointObservation(o.Key.Host, o.Key.Ip, ipSource, o.Value)).ToList(),
            Shards = shards,
            ExchangeRowCount = exchangeCount,
            // A list, not the dictionary it was counted in: a capture's record is held to the end of emit.
            RequestsByHost = decode ? requestsByHost.OrderBy(h => h.Key, StringComparer.Ordinal).Select(h => new HostRequests(h.Key, h.Value.Requests, h.Value.Generic)).ToList() : null,
        };
    }

    /// <summary>A decoded request's problems as the quality rows of its exchange will say them; none made where there are none.</summary>
    private static IReadOnlyList<(string Severity, string Message, string Location)> ProblemsOf(System.Collections.Immutable.ImmutableArray<DecodeProblem> problems, int ordinal)
    {
        if (problems.IsDefaultOrEmpty) return [];
        var list = new List<(string, string, string)>(problems.Length);
        foreach (var p in problems) list.Add((p.Severity.ToString().ToLowerInvariant(), p.Message, $"entry {ordinal} request"));
        return list;
    }
}

/// <summary>Where reading or working on a record failed: thrown when the records before it are taken.</summary>
internal sealed record RecordFailed(System.Runtime.ExceptionServices.ExceptionDispatchInfo Failure) : CaptureRecord;

/// <summary>What one exchange gives the capture's tables, worked out before it is taken into them.</summary>
internal sealed record ExchangeWork(ExchangeRow Row, PayloadFieldRows? Payloads, IReadOnlyList<(string Severity, string Message, string Location)> Problems,
    IReadOnlyList<IdentifierMatchRow> Matches, IReadOnlyList<SensitiveValue> Sensitive, bool? Generic)
{
    /// <summary>What stopped the work part way; what was done before it is kept, as it was when the work and its taking were one.</summary>
    public System.Runtime.ExceptionServices.ExceptionDispatchInfo? Failure { get; init; }
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

    public void Payloads(PayloadFieldRows rows)
    {
        if (_spool is null) _payloads.AddRange(rows.ToRows());
        else for (var i = 0; i < rows.Count; i++) _spool.Payloads.Add(rows[i]);
    }

    public void Match(IdentifierMatchRow row)
    {
        if (_spool is null) _matches.Add(row);
        else _spool.Matches.Add(row);
    }

    /// <summary>Rows of exchanges below <paramref name="ordinal"/> are all here: held ones go to the shards.</summary>
    public void ReleaseBelow(int ordinal)
    {
        if (_spool is null) return;
        _spool.Exchanges.ReleaseBelow(ordinal);
        _spool.Payloads.ReleaseBelow(ordinal);
        _spool.Matches.ReleaseBelow(ordinal);
    }

    public CaptureShards? Complete() => _spool is null ? null : new CaptureShards(_spool.Exchanges.End(), _spool.Payloads.End(), _spool.Matches.End());
}
