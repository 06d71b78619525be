using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Cluster;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;

namespace ResearchPipeline.Run;

public sealed record RunOptions(string RawFolder, string OutputFolder, int Jobs, ReadLimits Limits)
{
    /// <summary>Unpacked reference data (make reference), plus any .mmdb of the user's own.</summary>
    public string ExternalFolder { get; init; } = "data/external";
    public string ReferenceLock { get; init; } = "data/reference.lock.csv";
    /// <summary>GeoLite2/GeoIP2 City, Country, ASN or ISP databases of the user's own, asked before any other.</summary>
    public IReadOnlyList<string> UserDatabases { get; init; } = [];
    /// <summary>The curated overlay and organisation hierarchy.</summary>
    public string TaxonomyFolder { get; init; } = "data/taxonomy";
    /// <summary>How identifiers and secrets are treated before anything is published.</summary>
    public PublicationOptions Publication { get; init; } = new();
    /// <summary>The parse stage alone: captures, exchanges and quality tables; no decode, identify, enrich or attribute.</summary>
    public bool ParseOnly { get; init; }

    /// <summary>Where each capture's rows wait, as shards, between parse and emit; null: a hidden folder beside the output.</summary>
    public string? InterimFolder { get; init; }

    /// <summary>Keep the shards after the run (they hold values as captured, like the raw folder).</summary>
    public bool KeepInterim { get; init; }

    internal string ShardFolder => Path.Combine(InterimFolder ?? Path.Combine(OutputFolder, ".interim"), "shards");
}

public sealed record RunSummary(int Captures, int Exchanges, int Quarantined, int Problems, IReadOnlyList<string> Files, IReadOnlyList<string> InvariantFailures)
{
    /// <summary>Secrets or identifiers the publication check found in a published file; the folder is then not published.</summary>
    public IReadOnlyList<string> Leaks { get; init; } = [];

    /// <summary>payload_fields rows written.</summary>
    public long PayloadFields { get; init; }
}

/// <summary>
/// The flow from a raw folder to a published folder. This and the Makefile are the only places that know
/// every stage. Captures are independent, so they are parsed in parallel; each result lands in the slot of
/// its capture, so the output does not depend on which finished first.
/// </summary>
public sealed class StudyRunner(IProgressSink progress)
{
    public async Task<RunSummary> RunAsync(RunOptions options, CancellationToken cancel = default)
    {
        var shardFolder = options.ShardFolder;
        if (Directory.Exists(shardFolder)) Directory.Delete(shardFolder, recursive: true);
        // Deleting a large study's shards takes a while (the kernel lets go of their pages): begun once the tables
        // are written, it goes on beside the manifest and the publication rather than after them.
        Task deleting = Task.CompletedTask;
        void ShardsRead()
        {
            if (!options.KeepInterim) deleting = Task.Run(() => Directory.Delete(shardFolder, recursive: true), CancellationToken.None);
        }
        try
        {
            var (plan, folders, records, reference) = await ParseAsync(options, shardFolder, cancel);
            return await EmitAsync(options, plan, folders, reference, cancel, records, ShardsRead);
        }
        finally
        {
            // What the early deletion left (emit removing its aggregates beside it, or a failure) is deleted here.
            try { await deleting; }
            catch (IOException) { }
            if (!options.KeepInterim)
            {
                if (Directory.Exists(shardFolder)) Directory.Delete(shardFolder, recursive: true);
                // The default folder is the run's own; one the user named may hold other things.
                var own = Path.GetDirectoryName(shardFolder)!;
                if (options.InterimFolder is null && Directory.Exists(own)) Directory.Delete(own);
            }
        }
    }

    /// <summary>
    /// The parse stage of a local run, and the reference data loaded beside it. Its own method so that what only the
    /// parse needs (readers, catalogues, device searches) is let go before emit, rather than held by the run to its end.
    /// </summary>
    private async Task<(StudyPlan Plan, PartFolders Folders, PartRecord?[] Records, Task<EnrichmentReference?> Reference)> ParseAsync(
        RunOptions options, string shardFolder, CancellationToken cancel)
    {
        Task<EnrichmentReference?> reference = Task.FromResult<EnrichmentReference?>(null);
        try
        {
            // The captures are read in name order, each hashed a few ahead of its reading on the thread pool (the
            // CaptureQueue), rather than all hashed before the first is read: an app's captures one after another parse
            // faster than in the table's (content) order, its device's search tables and repeated texts still in the
            // caches (bench/NOTES.md). Several jobs take the captures from one queue, a capture at a time, each writing
            // its own part: parts cut beforehand in name order gathered a study's slower captures (a lab's packet
            // captures) in a few parts, and one job was left reading them alone (bench/NOTES.md has the measurements).
            var parseContext = Task.Run(() => ParseContext.For(options.RawFolder, options.Limits, decode: !options.ParseOnly), cancel);
            // Needs nothing from the captures, and nothing until enrich: loaded on the core the parse stage leaves idle (or beside it).
            if (!options.ParseOnly) reference = Task.Run<EnrichmentReference?>(() => EnrichmentReference.Load(options), cancel);
            // Listed beside those loads: a study of thousands of captures takes a while to list, as long as the loads take.
            // The listing goes to the parse alone: emit has the plan's, and a study of millions of captures would otherwise
            // hold every file's full path to the end.
            var jobs = Math.Max(1, options.Jobs);
            var plan = StudyPlan.Of(options.RawFolder, CaptureFile.Discover(options.RawFolder), jobs, options.Limits.MaxBodyBytes);
            var folders = new PartFolders(shardFolder);
            // A Slurm array task runs the same part code, on a part of a plan cut beforehand.
            var context = (await parseContext) with { Workers = jobs, WriteBehind = jobs <= 1 };
            progress.StageStarted("parse", plan.Captures.Count);
            // Each part's record stays in hand for emit, which would otherwise read back what was just written.
            var records = new PartRecord?[plan.Parts];
            using (var queue = new CaptureQueue(plan.RawFolder, plan.Captures, plan.Parts))
            {
                Parallel.For(0, plan.Parts, new ParallelOptions { MaxDegreeOfParallelism = plan.Parts, CancellationToken = cancel },
                    part => PartParse.Run(plan, part, folders, context, name => progress.Advanced("parse", name), record => records[part] = record, queue));
            }
            progress.StageFinished("parse");
            return (plan, folders, records, reference);
        }
        catch
        {
            // The databases opened beside a parse that failed are closed once they are open.
            _ = reference.ContinueWith(t => t.Result?.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
    }

    /// <summary>
    /// Enrich, attribute and emit over a plan whose parts are all written: the second half of a local run, and
    /// the job a Slurm run submits after its array. Refuses (MissingPartsException) while a part is missing.
    /// </summary>
    public Task<RunSummary> EmitAsync(RunOptions options, StudyPlan plan, CancellationToken cancel = default)
    {
        var files = CaptureFile.Discover(plan.RawFolder);
        var differences = plan.Differences(files);
        if (differences.Count > 0)
            throw new InvalidDataException($"the raw folder changed since the plan was made ({differences.Count} difference(s), first: {differences[0]}): plan the study again");
        options = options with { RawFolder = plan.RawFolder };
        return EmitAsync(options, plan, new PartFolders(options.ShardFolder), Task.Run<EnrichmentReference?>(() => EnrichmentReference.Load(options), cancel), cancel);
    }

    /// <param name="shardsRead">Called once every table is written, when nothing reads the shards any more.</param>
    private async Task<RunSummary> EmitAsync(RunOptions options, StudyPlan plan, PartFolders folders,
        Task<EnrichmentReference?> loading, CancellationToken cancel, PartRecord?[]? records = null, Action? shardsRead = null)
    {
        // The captures as the manifest and the quality table list them: in name order, as the raw folder's listing is.
        var planned = plan.Captures.OrderBy(c => c.RelativeName, StringComparer.Ordinal).ToList();
        CaptureOutcome[] outcomes;
        Task<Pseudonymiser> pseudonymising;
        try
        {
            (outcomes, var seen) = LoadOutcomes(plan, folders, planned, records);
            var devices = DevicesCatalog.Load(options.RawFolder);
            var publication = options.Publication;
            // The pseudonymiser orders what it is given, so the order of this set does not reach the output. Its search
            // over every value seen takes a while to build: built beside the rest of the reference data's loading (in a
            // small study the parse ends first) and the enrich stage, which do not need it.
            pseudonymising = Task.Run(() => new Pseudonymiser(publication.Key, publication.Pseudonymise, devices.Devices, seen), cancel);
        }
        catch
        {
            // The databases being opened are closed once they are open.
            _ = loading.ContinueWith(t => t.Result?.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }
        using var reference = await loading;
        // Each outcome holds its capture's row as published, in place of the parse's: a study of tens of thousands of
        // captures holds them to the end of emit, and would otherwise hold each row two or three times.
        var marked = Sessions.MarkPrimary(outcomes.Select(o => o.Capture)).ToList();
        for (var i = 0; i < outcomes.Length; i++) outcomes[i] = outcomes[i] with { Capture = marked[i] };
        var quality = outcomes.SelectMany(o => o.Quality).ToList();
        var failures = CheckCounts(outcomes);
        var exchangeCount = outcomes.Sum(o => o.ExchangeRowCount);
        var jobs = Math.Max(1, options.Jobs);

        if (options.ParseOnly)
        {
            var parsedInOrder = InCaptureOrder(outcomes);
            var parsedCaptures = parsedInOrder.Select(c => c.Capture).ToList();
            var parsedEmit = new ShardEmit(await pseudonymising, parsedInOrder);
            progress.StageStarted("emit", 1);
            Directory.CreateDirectory(options.OutputFolder);
            AtomicFile.RemoveLeftovers(options.OutputFolder);
            // Three independent files, the small two written beside the merge of the exchange shards; the merge
            // encodes a row group while it fills the next (the stage holds no other table).
            var captureTable = Task.Run(() => ParquetTableWriter.WriteAsync(options.OutputFolder, Tables.Captures, parsedCaptures, cancel), cancel);
            var qualityTable = Task.Run(() => ParquetTableWriter.WriteAsync(options.OutputFolder, Tables.Quality, quality, cancel), cancel);
            var exchangeTable = parsedEmit.ExchangesAsync(options.OutputFolder, cancel, overlap: true);
            List<string> parsed = [.. (await Task.WhenAll(captureTable, exchangeTable, qualityTable)).Select(t => Path.GetFileName(t.Path))];
            failures.AddRange(parsedEmit.CountFailures(exchangeCount));
            progress.StageFinished("emit");
            return new RunSummary(parsedCaptures.Count, exchangeCount, quality.Count(q => q.Quarantined), quality.Count, parsed, failures);
        }

        progress.StageStarted("enrich", 1);
        var enriched = EnrichAttribute.Run(outcomes, reference!);
        quality.AddRange(enriched.Quality);
        progress.StageFinished("enrich");

        // The decoding gap per capture: requests to hosts a taxonomy attributes to a tracker, and those no adapter read.
        // Then each outcome keeps only its captures row and where its rows wait: its quality rows are in the quality
        // table's list and its endpoints were enriched, and emit holds every outcome to its end, which in a study of
        // millions of captures is most of what emit holds.
        var trackerHosts = enriched.Trackers.Where(t => t.Tracker is not null).Select(t => t.Host).ToHashSet(StringComparer.Ordinal);
        for (var i = 0; i < outcomes.Length; i++)
        {
            var capture = outcomes[i].Capture;
            if (outcomes[i].RequestsByHost is { } requests)
            {
                var toTrackers = requests.Where(r => trackerHosts.Contains(r.Host)).ToList();
                capture = capture with { TrackerRequests = toTrackers.Sum(r => r.Requests), GenericTrackerRequests = toTrackers.Sum(r => r.Generic) };
            }
            outcomes[i] = outcomes[i] with { Capture = capture, Quality = [], Endpoints = [], RequestsByHost = null };
        }
        // Sorted once the captures' rows are final: the order does not depend on the counts.
        var inOrder = InCaptureOrder(outcomes);
        var captures = inOrder.Select(c => c.Capture).ToList();

        var pseudonymiser = await pseudonymising;
        // Emit is not the parse: like the hashing and the shards' write-behind, it takes a second core at --jobs 1,
        // encoding payload_fields' row groups beside their filling and writing the next table beside it.
        var emit = new ShardEmit(pseudonymiser, inOrder, overlap: true);
        progress.StageStarted("emit", 6);
        // Everything is written to a staging folder first and moved into place only once complete and checked:
        // a run killed while writing, or refused by the publication check, leaves the previous publication as it was.
        Directory.CreateDirectory(options.OutputFolder);
        AtomicFile.RemoveLeftovers(options.OutputFolder);
        var staging = Path.Combine(options.OutputFolder, ".staging");
        var aggregates = Path.Combine(options.ShardFolder, "aggregates");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        List<string> names;
        List<string> leaks;
        try
        {
            // The tables are independent files: written side by side, up to the number of jobs at once (two at least).
            using var slots = new SemaphoreSlim(Math.Max(2, jobs));
            async Task<WrittenFile> Write(Func<Task<WrittenFile>> write)
            {
                await slots.WaitAsync(cancel);
                try { return await Task.Run(write, cancel); }
                finally { slots.Release(); }
            }
            var facebook = new FacebookFieldsAggregate();
            var attribution = enriched.Trackers.Where(t => t.Tracker is not null).ToDictionary(t => t.Host, StringComparer.Ordinal);
            var trackerFields = new TrackerFieldsAggregate(attribution);
            // The aggregates' rows wait on disk beside the shards, not in memory, until their tables are written.
            Directory.CreateDirectory(aggregates);
            facebook.SpillTo(aggregates);
            trackerFields.SpillTo(aggregates);
            // The gate: files holding a secret or identifier are never published. Each table is checked as it
            // is written, on the cells handed to Parquet, rather than read back once written.
            var checks = new Dictionary<string, LeakScan.WhileWritten>(StringComparer.Ordinal);
            LeakScan.WhileWritten CheckOf(ITableDefinition table) => checks[table.FileName] = new LeakScan.WhileWritten(table.FileName, pseudonymiser);
            var payloadCheck = CheckOf(Tables.PayloadFields);
            var aggregated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var payloadFields = Write(() => emit.PayloadFieldsAsync(staging, facebook, trackerFields, cancel, payloadCheck, () => aggregated.TrySetResult()));
            var exchangeCheck = CheckOf(Tables.Exchanges);
            var exchanges = Write(() => emit.ExchangesAsync(staging, cancel, exchangeCheck));
            var matchCheck = CheckOf(Tables.IdentifierMatches);
            var matches = Write(() => emit.IdentifierMatchesAsync(staging, cancel, matchCheck));
            Task<WrittenFile> WriteTable<TRow>(TableDefinition<TRow> table, Func<IEnumerable<TRow>> rows)
            {
                var check = CheckOf(table);
                return Write(() => ParquetTableWriter.WriteAsync(staging, table, rows(), cancel, check: check));
            }
            var captureTable = WriteTable(Tables.Captures, () => captures);
            var qualityTable = WriteTable(Tables.Quality, () => quality);
            var endpoints = WriteTable(Tables.Endpoints, () => enriched.Endpoints);
            var trackers = WriteTable(Tables.Trackers, () => enriched.Trackers);
            var conflicts = WriteTable(Tables.TaxonomyConflicts, () => enriched.Conflicts);
            // Aggregated while payload_fields is written, and written as soon as they have its every row: beside the
            // encoding of its last row group, which would otherwise be the only work left.
            async Task<WrittenFile> Aggregate(Func<Task<WrittenFile>> write)
            {
                await Task.WhenAny(aggregated.Task, payloadFields);
                // payload_fields failed before its last row: its failure, not a table from part of its rows.
                if (!aggregated.Task.IsCompleted) await payloadFields;
                return await Task.Run(write, cancel);
            }
            var facebookCheck = CheckOf(Tables.AppFacebookFields);
            var facebookTable = Aggregate(() => facebook.WriteAsync(staging, facebookCheck, cancel));
            var trackerCheck = CheckOf(Tables.AppTrackerFields);
            var trackerTable = Aggregate(() => trackerFields.WriteAsync(staging, trackerCheck, cancel));
            var tables = new[] { captureTable, exchanges, qualityTable, payloadFields, facebookTable, trackerTable, endpoints, trackers, conflicts, matches };
            var tablesWritten = await Task.WhenAll(tables);
            shardsRead?.Invoke();
            failures.AddRange(emit.CountFailures(exchangeCount));
            progress.Advanced("emit", "tables");
            List<WrittenFile> staged = [.. tablesWritten, .. await Provenance.WriteAsync(options with { OutputFolder = staging }, planned, outcomes,
                reference!, pseudonymiser, tablesWritten, cancel)];
            names = [.. staged.Select(f => Path.GetFileName(f.Path))];
            progress.Advanced("emit", "manifest");

            // A file no check saw while it was written (the JSON files) is read back; reported in file name
            // order, as a scan of the finished folder would.
            var scanned = await Task.WhenAll(names.Select(async name =>
                (Name: name, Leaks: checks.TryGetValue(name, out var check) ? check.Leaks() : await LeakScan.ScanFileAsync(staging, name, pseudonymiser, cancel, jobs))));
            leaks = scanned.OrderBy(f => f.Name, StringComparer.Ordinal).SelectMany(f => f.Leaks).ToList();
            if (leaks.Count == 0) await Publish(staging, options.OutputFolder, staged, cancel);
            progress.StageFinished("emit");
        }
        finally
        {
            // A failed write (full disk, a killed run) leaves no half-written staging folder behind.
            try { if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true); }
            catch (IOException) { }
            try { if (Directory.Exists(aggregates)) Directory.Delete(aggregates, recursive: true); }
            catch (IOException) { }
        }

        return new RunSummary(captures.Count, exchangeCount, quality.Count(q => q.Quarantined), quality.Count, names, failures)
        {
            Leaks = leaks,
            PayloadFields = emit.PayloadFieldRows,
        };
    }

    /// <summary>
    /// The parts' captures as outcomes in the raw folder's order, as every list of emit was before the parts (the quality
    /// table and the manifest keep it), and the study's secrets and identifiers. Apart from emit, so that the outcomes
    /// by name are not held through it beside the ones emit replaces.
    /// </summary>
    private static (CaptureOutcome[] Outcomes, HashSet<SensitiveValue> Seen) LoadOutcomes(StudyPlan plan, PartFolders folders, IReadOnlyList<PlannedCapture> planned,
        PartRecord?[]? records)
    {
        var (byName, seen) = PartParse.Load(plan, folders, records);
        return (planned.Select(c => byName[c.RelativeName]).ToArray(), seen);
    }

    /// <summary>The captures with their shards, in the order of the captures table: every row table sorts by capture first.</summary>
    private static List<CaptureOutcome> InCaptureOrder(IEnumerable<CaptureOutcome> outcomes) =>
        outcomes.OrderBy(c => c.Capture, Comparer<CaptureRow>.Create(Tables.Captures.Order)).ToList();

    /// <summary>
    /// Moves the staged files into the published folder. SHA256SUMS goes first and comes back last, so during
    /// the few renames in between the folder is visibly unpublished (make verify fails) rather than mixed.
    /// </summary>
    private static async Task Publish(string staging, string folder, List<WrittenFile> staged, CancellationToken cancel)
    {
        // Written while still staged: once the first file moves nothing is written any more, so a full disk
        // cannot leave the folder half replaced; renames within one file system need no space.
        await Checksums.WriteAsync(staging, staged, cancel);
        File.Delete(Path.Combine(folder, Checksums.FileName));
        foreach (var file in staged) File.Move(file.Path, Path.Combine(folder, Path.GetFileName(file.Path)), overwrite: true);
        File.Move(Path.Combine(staging, Checksums.FileName), Path.Combine(folder, Checksums.FileName));
    }

    /// <summary>For every capture: records read = rows published + rows quarantined (each with its quality row).</summary>
    internal static List<string> CheckCounts(IEnumerable<CaptureOutcome> outcomes)
    {
        var failures = new List<string>();
        foreach (var o in outcomes)
        {
            var quarantineRows = o.Quality.Count(q => q.Quarantined);
            if (o.Capture.RecordsRead != o.ExchangeRowCount + quarantineRows)
                failures.Add($"{o.Capture.FileName}: {o.Capture.RecordsRead} records read but {o.ExchangeRowCount} published and {quarantineRows} quarantined");
        }
        return failures;
    }
}

/// <summary>SHA256SUMS in the format <c>sha256sum -c</c> reads, files in ordinal order.</summary>
public static class Checksums
{
    public const string FileName = "SHA256SUMS";

    /// <param name="files">The folder's files, each with the digest taken as it was written: none is read again.</param>
    public static Task WriteAsync(string folder, IEnumerable<WrittenFile> files, CancellationToken cancel)
    {
        var lines = new StringBuilder();
        foreach (var (name, sha256) in files.Select(f => (Path.GetFileName(f.Path), f.Sha256)).OrderBy(f => f.Item1, StringComparer.Ordinal))
            lines.Append(sha256).Append("  ").Append(name).Append('\n');
        return AtomicFile.WriteTextAsync(Path.Combine(folder, FileName), lines.ToString(), cancel);
    }
}
