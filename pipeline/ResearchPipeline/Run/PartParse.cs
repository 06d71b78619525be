using System.Text.Json;
using ResearchPipeline.Captures;
using ResearchPipeline.Cluster;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;

namespace ResearchPipeline.Run;

/// <summary>What a parse worker needs besides its part: the study's catalogues, the readers, the limits.</summary>
public sealed record ParseContext(AppsCatalog Apps, IdentifierMatchers? Identify, CaptureFormats Formats, ReadLimits Limits, bool Decode)
{
    /// <summary>Threads that read one large capture at once (its records read and decoded side by side).</summary>
    public int Workers { get; init; } = 1;

    /// <summary>
    /// Captures from this size on are read by <see cref="Workers"/> threads: one such capture can be most of a
    /// part (a study of one large HAR is one part), and would otherwise leave the other cores idle.
    /// </summary>
    public long LargeCaptureBytes { get; init; } = 64L << 20;

    public int WorkersFor(long sizeBytes) => sizeBytes >= LargeCaptureBytes ? Workers : 1;

    /// <summary>
    /// Shard row groups are encoded and written on another thread while the next fills, for every part: a run
    /// with a single parse worker leaves the other cores idle, and the writing then costs the reading nothing.
    /// </summary>
    public bool WriteBehind { get; init; }

    public static ParseContext For(string rawFolder, ReadLimits limits, bool decode = true)
    {
        // The adapters are read from their files and their patterns built on first use: here, beside the plan,
        // rather than by the first parse worker while the others wait for it (bench/NOTES.md).
        if (decode) _ = Decoders.TrackerDecoders.All;
        return new(AppsCatalog.Load(rawFolder), decode ? new IdentifierMatchers(DevicesCatalog.Load(rawFolder), limits) : null, CaptureFormats.All, limits, decode);
    }
}

/// <summary>A plan's parts that are not done; emit refuses to run without them.</summary>
public sealed class MissingPartsException(IReadOnlyList<int> parts, string folder)
    : Exception($"{parts.Count} part(s) of the plan have no complete shards in {folder}: {string.Join(", ", parts)}")
{
    public IReadOnlyList<int> Parts { get; } = parts;
}

/// <summary>
/// The parse stage for one part of a plan: the captures of the part, read one after another into the part's
/// own shard files, in a temporary folder that is renamed into place once complete. The same bytes come out
/// whichever machine runs it and however often, so a requeued task or a retry leaves the same part, and a part
/// killed half way leaves only a temporary folder, which is never read. A local run and a Slurm array task
/// both call this.
/// </summary>
public static class PartParse
{
    /// <summary>Parts named here (comma-separated) fail on purpose before writing anything: the failure path, tested.</summary>
    public const string FailPartsVariable = "RESEARCH_PIPELINE_FAIL_PARTS";

    /// <returns>False when the part was already written for this plan (a requeued or repeated task): it is kept as it is.</returns>
    /// <param name="written">Given the part's record once the part is in place, for a caller that emits in the same process (see <see cref="Load"/>).</param>
    /// <param name="shared">
    /// The captures to read, taken one at a time from a queue the run's workers share (a local run of several jobs),
    /// rather than the part's own captures of the plan: the part holds whichever captures this worker took.
    /// </param>
    public static bool Run(StudyPlan plan, int part, PartFolders folders, ParseContext context, Action<string>? advanced = null, Action<PartRecord>? written = null,
        CaptureQueue? shared = null)
    {
        if (part < 0 || part >= plan.Parts) throw new ArgumentOutOfRangeException(nameof(part), $"part {part}: the plan has parts 0 to {plan.Parts - 1}");
        if (folders.IsDone(plan, part)) return false;
        if ((Environment.GetEnvironmentVariable(FailPartsVariable) ?? "").Split(',').Contains(part.ToString(System.Globalization.CultureInfo.InvariantCulture)))
            throw new InvalidOperationException($"part {part} fails on purpose: {FailPartsVariable} names it");
        Directory.CreateDirectory(folders.Root);
        var temporary = folders.Temporary(part);
        Directory.CreateDirectory(temporary);
        try
        {
            var captures = new List<PartCapture>();
            var sensitive = new HashSet<SensitiveValue>();
            var repeated = new SharedText();
            var queue = shared ?? new CaptureQueue(plan.RawFolder, plan.CapturesOf(part).ToList());
            try
            {
                // A part holding a capture that several workers read writes its shards beside them.
                var writeBehind = context.WriteBehind || queue.Planned.Any(c => context.WorkersFor(c.SizeBytes) > 1);
                using var spool = new CaptureSpool(temporary, "part", writeBehind: writeBehind);
                while (queue.TryTake(out var k))
                {
                    var planned = queue.Planned[k];
                    var path = Path.Combine(plan.RawFolder, planned.RelativeName);
                    var info = new FileInfo(path);
                    if (!info.Exists) throw new FileNotFoundException($"{planned.RelativeName}: planned but not found at {path}", path);
                    if (planned.ChangeIn(info.Length, info.LastWriteTimeUtc.Ticks) is { } change) throw new InvalidDataException($"{path}: {change}: plan the study again");
                    var file = new CaptureFile(path, planned.RelativeName, planned.RelativeName.Split('/')[0], info.Length);
                    // The key logs beside it are asked of the file system only for a capture whose reader reads them (a
                    // packet capture): four names a capture, each a question to a cluster's shared file system.
                    var outcome = CaptureParse.Run(file, context.Apps, context.Formats, context.Limits, context.Identify, context.Decode, spool, queue.IdOf(k),
                        context.WorkersFor(info.Length),
                        () => planned.KeyLogChangeIn(CaptureFile.KeyLogsBeside(plan.RawFolder, planned.RelativeName)) is { } change ? $"{change}: plan the study again" : null,
                        sensitive);
                    captures.Add(PartCapture.From(outcome, repeated));
                    advanced?.Invoke(planned.RelativeName);
                }
            }
            finally
            {
                if (shared is null) queue.Dispose();
            }
            var record = new PartRecord(plan.PlanId, part, captures,
                sensitive.OrderBy(s => s.Kind).ThenBy(s => s.Name, StringComparer.Ordinal).ThenBy(s => s.Value, StringComparer.Ordinal).ToList());
            // Written last: its presence says the shards beside it are complete.
            using (var json = new FileStream(Path.Combine(temporary, PartFolders.RecordFile), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
                JsonSerializer.Serialize(json, record, PartRecordJson.Default.PartRecord);
            folders.Publish(plan, part, temporary);
            written?.Invoke(record);
            return true;
        }
        catch
        {
            if (Directory.Exists(temporary)) Directory.Delete(temporary, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// Every part's captures as outcomes, in the plan's order, and the study's secrets and identifiers; shard
    /// ranges point into the parts' folders.
    /// </summary>
    /// <param name="written">
    /// Records of parts this process has just written (a local run), by part: taken as they are rather than read
    /// back from the files they were written to; the others are read. Each is taken out of the array once its
    /// captures are loaded, so that a run does not hold both the records and the outcomes through emit.
    /// </param>
    public static (Dictionary<string, CaptureOutcome> Outcomes, HashSet<SensitiveValue> Sensitive) Load(StudyPlan plan, PartFolders folders, PartRecord?[]? written = null)
    {
        bool Kept(int part) => written is not null && part < written.Length && written[part] is not null;
        // A part kept in hand is not looked for on disk (telling a part done reads its record).
        var missing = Enumerable.Range(0, plan.Parts).Where(part => !Kept(part) && !folders.IsDone(plan, part)).ToList();
        if (missing.Count > 0) throw new MissingPartsException(missing, folders.Root);
        var outcomes = new Dictionary<string, CaptureOutcome>(StringComparer.Ordinal);
        var sensitive = new HashSet<SensitiveValue>();
        var repeated = new SharedText();
        for (var part = 0; part < plan.Parts; part++)
        {
            var folder = folders.Of(part);
            var kept = Kept(part);
            var record = kept ? written![part] : null;
            if (kept) written![part] = null;
            if (record is null)
            {
                using (var json = new FileStream(Path.Combine(folder, PartFolders.RecordFile), FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
                    record = JsonSerializer.Deserialize(json, PartRecordJson.Default.PartRecord);
                record = record
                    ?? throw new InvalidDataException($"{folder}: empty part record");
            }
            // A record read back has a string for every text; one kept in hand already shares its part's.
            foreach (var c in record.Captures) outcomes[c.Capture.FileName] = (kept ? c : c.Sharing(repeated)).ToOutcome(folder, repeated);
            sensitive.UnionWith(record.Sensitive);
        }
        var unread = plan.Captures.Where(c => !outcomes.ContainsKey(c.RelativeName)).Select(c => c.RelativeName).ToList();
        if (unread.Count > 0) throw new InvalidDataException($"the parts in {folders.Root} do not hold {unread.Count} planned capture(s), first {unread[0]}");
        return (outcomes, sensitive);
    }
}

/// <summary>A part's record: what each of its captures contributes besides the rows in its shards.</summary>
public sealed record PartRecord(string PlanId, int Part, IReadOnlyList<PartCapture> Captures, IReadOnlyList<SensitiveValue> Sensitive);

/// <summary>
/// A part record's JSON: named as the plan's, unindented (a record holds every capture's quality rows and
/// endpoints, and is read back once); generated at build time, as the plan's is.
/// </summary>
[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(PartRecord))]
internal sealed partial class PartRecordJson : System.Text.Json.Serialization.JsonSerializerContext;

/// <summary>One capture of a part; shard ranges name files of the part's folder, which moves once written.</summary>
public sealed record PartCapture(CaptureRow Capture, IReadOnlyList<QualityRow> Quality, IReadOnlyList<EndpointObservation> Endpoints, int ExchangeRowCount,
    PartRange? Exchanges, PartRange? Payloads, PartRange? IdentifierMatches, IReadOnlyList<HostRequests>? RequestsByHost = null)
{
    internal static PartCapture From(CaptureOutcome o, SharedText repeated) => new PartCapture(o.Capture, o.Quality, o.Endpoints, o.ExchangeRowCount,
        PartRange.From(o.Shards?.Exchanges), PartRange.From(o.Shards?.Payloads), PartRange.From(o.Shards?.IdentifierMatches),
        o.RequestsByHost)
        .Sharing(repeated);

    /// <summary>
    /// The record with one string per text across the captures <paramref name="repeated"/> has seen: a record is held
    /// from the parse to the end of emit, and a study of tens of thousands of captures repeats the same hosts,
    /// addresses, notes, device and app names in each (half the strings a run over 43,191 captures held live were
    /// such copies: bench/NOTES.md).
    /// </summary>
    internal PartCapture Sharing(SharedText repeated)
    {
        var c = Capture;
        var capture = c with
        {
            AppIdSource = repeated.Get(c.AppIdSource), Platform = repeated.Get(c.Platform), DeviceId = repeated.Get(c.DeviceId),
            AppName = repeated.Get(c.AppName), AppVersion = repeated.Get(c.AppVersion), Format = repeated.Get(c.Format),
            Creator = repeated.Get(c.Creator), SessionId = repeated.Get(c.SessionId),
        };
        return this with
        {
            Capture = capture,
            Quality = Quality.Select(q => q with
            {
                CaptureId = q.CaptureId == capture.CaptureId ? capture.CaptureId : q.CaptureId,
                FileName = q.FileName == capture.FileName ? capture.FileName : q.FileName,
                Stage = repeated.Get(q.Stage), Severity = repeated.Get(q.Severity), Message = repeated.Get(q.Message), Location = repeated.Get(q.Location),
            }).ToList(),
            Endpoints = Endpoints.Select(e => new EndpointObservation(repeated.Get(e.Host), repeated.Get(e.ServerIp), repeated.Get(e.IpSource), e.SeenUtc)).ToList(),
            Exchanges = Exchanges?.Sharing(repeated),
            Payloads = Payloads?.Sharing(repeated),
            IdentifierMatches = IdentifierMatches?.Sharing(repeated),
            RequestsByHost = RequestsByHost?.Select(h => h with { Host = repeated.Get(h.Host) }).ToList(),
        };
    }

    /// <param name="repeated">One string per text across the study (see <see cref="Sharing"/>), shard paths among them.</param>
    internal CaptureOutcome ToOutcome(string folder, SharedText repeated) => new(Capture, [], [.. Quality], [])
    {
        Endpoints = Endpoints,
        ExchangeRowCount = ExchangeRowCount,
        Shards = new CaptureShards(Exchanges?.In(folder, repeated), Payloads?.In(folder, repeated), IdentifierMatches?.In(folder, repeated)),
        RequestsByHost = RequestsByHost,
    };
}

/// <summary>HTTP requests of a capture to one host, and how many of them no adapter decoded (the decoding gap).</summary>
public sealed record HostRequests(string Host, int Requests, int Generic);

public sealed record PartRange(string File, long FirstRow, int Rows)
{
    public static PartRange? From(ShardRange? r) => r is null ? null : new(Path.GetFileName(r.Path), r.FirstRow, r.Rows);

    internal PartRange Sharing(SharedText repeated) => this with { File = repeated.Get(File) };

    internal ShardRange In(string folder, SharedText repeated) => new(repeated.Get(Path.Combine(folder, File)), FirstRow, Rows);
}
