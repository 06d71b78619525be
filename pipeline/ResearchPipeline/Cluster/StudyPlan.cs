using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using ResearchPipeline.Study;

namespace ResearchPipeline.Cluster;

/// <summary>One capture of a plan: where it is in the raw folder, how large, and which part reads it.</summary>
public sealed record PlannedCapture(string RelativeName, long SizeBytes, int Part)
{
    /// <summary>
    /// When the file was last written (UTC ticks), as listed: with its size, what tells a capture changed in place
    /// since the plan, whose parts are then not this plan's (the plan reads no capture to hash it).
    /// </summary>
    public long ModifiedTicks { get; init; }

    /// <summary>
    /// The TLS key logs beside the capture when planned: a key log written again, added or taken away changes what a
    /// packet capture's connections give, as a capture written again changes its rows.
    /// </summary>
    public IReadOnlyList<CompanionFile> KeyLogs { get; init; } = [];

    /// <summary>
    /// How the capture as found differs from the capture as planned (by size and time written, then its key logs'
    /// names, sizes and times); null when it does not.
    /// </summary>
    public string? ChangeIn(long sizeBytes, long modifiedTicks, IReadOnlyList<CompanionFile> keyLogs) =>
        ChangeIn(sizeBytes, modifiedTicks) ?? KeyLogChangeIn(keyLogs);

    /// <summary>How the capture file itself as found differs from the file as planned, by size, then time written; null when it does not.</summary>
    public string? ChangeIn(long sizeBytes, long modifiedTicks) =>
        sizeBytes != SizeBytes ? $"{sizeBytes} bytes, planned with {SizeBytes}"
        : modifiedTicks != ModifiedTicks ? $"written at {CompanionFile.Written(modifiedTicks)}, planned as written at {CompanionFile.Written(ModifiedTicks)}"
        : null;

    /// <summary>How the key logs found beside the capture differ from those it was planned with (one written again, taken away or added); null when they do not.</summary>
    public string? KeyLogChangeIn(IReadOnlyList<CompanionFile> found)
    {
        foreach (var planned in KeyLogs)
            if (planned.ChangeIn(found.FirstOrDefault(k => k.RelativeName == planned.RelativeName)) is { } change) return $"key log {planned.RelativeName} {change}";
        return found.FirstOrDefault(k => KeyLogs.All(p => p.RelativeName != k.RelativeName)) is { } added
            ? $"key log {added.RelativeName} beside it, not in the plan"
            : null;
    }
}

/// <summary>
/// A study cut into parts, made from the raw folder's listing alone: every capture in name order, the part that
/// reads it, and what a part needs to read them. Made once; a Slurm array task is given a part of it, and a local
/// run's jobs take its captures from one queue (<see cref="Run.CaptureQueue"/>). No capture is read to make it: a
/// part's task hashes its own captures as it reads them, and emit finds each capture's rows by their range, in the
/// captures table's (content) order.
/// </summary>
public sealed record StudyPlan
{
    public const string FileName = "plan.json";

    /// <summary>The raw folder, absolute: a task on another machine finds it on the shared file system.</summary>
    public required string RawFolder { get; init; }

    /// <summary>Largest body kept (the parse limit), part of what decides the shards' content.</summary>
    public required long MaxBodyBytes { get; init; }

    public required int Parts { get; init; }

    public required IReadOnlyList<PlannedCapture> Captures { get; init; }

    /// <summary>A digest of everything that decides the shards: a part written under another plan is not this plan's part.</summary>
    [JsonIgnore]
    public string PlanId => _planId ??= ComputeId();

    private string? _planId;

    public StudyPlan() { }

    // A copy made with `with` may differ in what the id covers: it works its id out again.
    private StudyPlan(StudyPlan original)
    {
        RawFolder = original.RawFolder;
        MaxBodyBytes = original.MaxBodyBytes;
        Parts = original.Parts;
        Captures = original.Captures;
    }

    public IEnumerable<PlannedCapture> CapturesOf(int part) => Captures.Where(c => c.Part == part);

    public long BytesOf(int part) => CapturesOf(part).Sum(c => c.SizeBytes);

    /// <summary>
    /// The captures in name order, dealt to at most <paramref name="parts"/> parts, each to the part with the fewest
    /// bytes so far (the lowest-numbered of equals): the parts' bytes differ by at most one capture's, and each part
    /// holds every so many of an app's captures rather than a run of apps, so no part is left with a kind of capture
    /// that reads slower per byte (a study's packet captures, say), as parts cut in runs of the names were. No part is
    /// empty: a study with fewer captures than parts gets a part per capture.
    /// </summary>
    public static StudyPlan Of(string rawFolder, IReadOnlyList<CaptureFile> files, int parts, long maxBodyBytes)
    {
        if (parts < 1) throw new ArgumentOutOfRangeException(nameof(parts), "at least one part");
        var order = files.OrderBy(f => f.RelativeName, StringComparer.Ordinal).ToList();
        var count = Math.Max(1, Math.Min(parts, order.Count));
        // The parts by their bytes so far, then their number: a study of millions of captures in thousands of parts
        // finds each capture's part in a step of the logarithm, not of the parts.
        var lightest = new PriorityQueue<int, (long Bytes, int Part)>(count);
        for (var p = 0; p < count; p++) lightest.Enqueue(p, (0, p));
        var planned = new List<PlannedCapture>(order.Count);
        foreach (var file in order)
        {
            lightest.TryDequeue(out var part, out var least);
            planned.Add(new PlannedCapture(file.RelativeName, file.SizeBytes, part) { ModifiedTicks = file.ModifiedTicks, KeyLogs = file.KeyLogs });
            lightest.Enqueue(part, (least.Bytes + Math.Max(1, file.SizeBytes), part));
        }
        return new StudyPlan { RawFolder = Path.GetFullPath(rawFolder), MaxBodyBytes = maxBodyBytes, Parts = count, Captures = planned };
    }

    /// <summary>Checks that the raw folder still holds the planned captures and their key logs, by name, size and time written (their contents are the parts' to hash).</summary>
    public IReadOnlyList<string> Differences(IReadOnlyList<CaptureFile> discovered)
    {
        var planned = Captures.ToDictionary(c => c.RelativeName, StringComparer.Ordinal);
        var found = discovered.ToDictionary(f => f.RelativeName, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var c in Captures.OrderBy(c => c.RelativeName, StringComparer.Ordinal))
        {
            if (!found.TryGetValue(c.RelativeName, out var f)) differences.Add($"{c.RelativeName}: planned but no longer in {RawFolder}");
            else if (c.ChangeIn(f.SizeBytes, f.ModifiedTicks, f.KeyLogs) is { } change) differences.Add($"{c.RelativeName}: {change}");
        }
        foreach (var f in discovered.Where(f => !planned.ContainsKey(f.RelativeName))) differences.Add($"{f.RelativeName}: in {RawFolder} but not in the plan");
        return differences;
    }

    private string ComputeId()
    {
        var text = new StringBuilder();
        text.Append("raw\t").Append(RawFolder).Append('\n');
        text.Append("max_body_bytes\t").Append(MaxBodyBytes.ToString(CultureInfo.InvariantCulture)).Append('\n');
        text.Append("parts\t").Append(Parts.ToString(CultureInfo.InvariantCulture)).Append('\n');
        // Parts written by a build with another shard format are not this plan's: a run resumed across an upgrade
        // parses them again rather than failing to read them at emit.
        text.Append("shards\t").Append(Encoding.ASCII.GetString(Dataset.ShardFormat.Magic)).Append('\n');
        foreach (var c in Captures)
        {
            text.Append(c.Part.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(c.SizeBytes.ToString(CultureInfo.InvariantCulture)).Append('\t')
                .Append(c.ModifiedTicks.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(c.RelativeName).Append('\n');
            // A line per key log, after its capture's: a capture without one gives the text (and the id) it gave before key logs were planned.
            foreach (var k in c.KeyLogs)
                text.Append("key_log\t").Append(k.SizeBytes.ToString(CultureInfo.InvariantCulture)).Append('\t')
                    .Append(k.ModifiedTicks.ToString(CultureInfo.InvariantCulture)).Append('\t').Append(k.RelativeName).Append('\n');
        }
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    public string ToJson() => JsonSerializer.Serialize(this, StudyPlanJson.Default.StudyPlan) + "\n";

    public static StudyPlan Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no plan at {path} (make one with the plan verb)", path);
        try
        {
            var plan = JsonSerializer.Deserialize(File.ReadAllText(path), StudyPlanJson.Default.StudyPlan);
            if (plan is null || plan.Parts < 1 || plan.Captures.Any(c => c.Part < 0 || c.Part >= plan.Parts))
                throw new InvalidDataException($"{path}: not a plan written by the plan verb");
            return plan;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a plan written by the plan verb: {e.Message}", e);
        }
    }
}

/// <summary>
/// Where a plan's parts are written in the interim folder: a folder per part, <c>part-0003</c>, that appears
/// by one rename once every file in it is complete. A part is done when its folder exists and its record names
/// this plan; anything else (a temporary folder of a task that died, a part of an older plan) is not done.
/// </summary>
public sealed class PartFolders(string shardsFolder)
{
    public const string RecordFile = "part.json";

    public string Root { get; } = Path.GetFullPath(shardsFolder);

    public string Of(int part) => Path.Combine(Root, $"part-{part:D4}");

    /// <summary>A folder of the task's own to write into, beside where the part goes.</summary>
    public string Temporary(int part) =>
        Path.Combine(Root, $".part-{part:D4}.{Environment.MachineName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    // A part with no record is not asked for the plan's id, which takes a pass over every capture of the plan.
    public bool IsDone(StudyPlan plan, int part) => PlanIdOf(part) is { } id && id == plan.PlanId;

    /// <summary>The plan the part's record names, or null when the part is not (completely) there.</summary>
    public string? PlanIdOf(int part)
    {
        var record = Path.Combine(Of(part), RecordFile);
        if (!File.Exists(record)) return null;
        try
        {
            using var stream = File.OpenRead(record);
            using var json = JsonDocument.Parse(stream);
            return json.RootElement.TryGetProperty("plan_id", out var id) ? id.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or IOException)
        {
            return null;
        }
    }

    public IReadOnlyList<int> Missing(StudyPlan plan) => Enumerable.Range(0, plan.Parts).Where(p => !IsDone(plan, p)).ToList();

    /// <summary>
    /// Moves a complete temporary folder into place. A part already there for the same plan (a task that ran
    /// twice) holds the same bytes and is kept; one of another plan is replaced.
    /// </summary>
    public void Publish(StudyPlan plan, int part, string temporary)
    {
        var target = Of(part);
        if (IsDone(plan, part))
        {
            Directory.Delete(temporary, recursive: true);
            return;
        }
        if (Directory.Exists(target))
        {
            // Out of the way first: a reader never sees a folder half replaced.
            var stale = Path.Combine(Root, $".stale-{part:D4}.{Guid.NewGuid():N}.tmp");
            Directory.Move(target, stale);
            Directory.Delete(stale, recursive: true);
        }
        try
        {
            Directory.Move(temporary, target);
        }
        catch (IOException) when (IsDone(plan, part))
        {
            // Another run of the same task got there first, with the same bytes.
            Directory.Delete(temporary, recursive: true);
        }
    }

    /// <summary>Temporary folders of tasks that died, and parts of other plans.</summary>
    public void RemoveLeftovers(StudyPlan plan)
    {
        if (!Directory.Exists(Root)) return;
        foreach (var folder in Directory.EnumerateDirectories(Root))
        {
            var name = Path.GetFileName(folder);
            var ours = Enumerable.Range(0, plan.Parts).Any(p => Of(p) == folder && IsDone(plan, p));
            if (!ours && (name.StartsWith("part-", StringComparison.Ordinal) || name.EndsWith(".tmp", StringComparison.Ordinal)))
                Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>
/// The plan's JSON, written and read by code generated at build time rather than by reflection, so the program
/// compiled ahead of time needs no code made at run time.
/// </summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(StudyPlan))]
internal sealed partial class StudyPlanJson : JsonSerializerContext;
