using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;

namespace ResearchPipeline.Cli;

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
        var files = CaptureFile.Discover(options.RawFolder);
        var apps = AppsCatalog.Load(options.RawFolder);
        var devices = DevicesCatalog.Load(options.RawFolder);
        var identify = options.ParseOnly ? null : new IdentifierMatchers(devices, options.Limits);
        var formats = CaptureFormats.All;
        var outcomes = new CaptureOutcome[files.Count];
        var shardFolder = options.ShardFolder;
        if (Directory.Exists(shardFolder)) Directory.Delete(shardFolder, recursive: true);
        try
        {
            return await RunAsync(options, files, apps, devices, identify, formats, outcomes, shardFolder, cancel);
        }
        finally
        {
            if (!options.KeepInterim && Directory.Exists(shardFolder))
            {
                Directory.Delete(shardFolder, recursive: true);
                // The default folder is the run's own; one the user named may hold other things.
                if (options.InterimFolder is null) Directory.Delete(Path.GetDirectoryName(shardFolder)!);
            }
        }
    }

    private async Task<RunSummary> RunAsync(RunOptions options, IReadOnlyList<CaptureFile> files, AppsCatalog apps, DevicesCatalog devices,
        IdentifierMatchers? identify, CaptureFormats formats, CaptureOutcome[] outcomes, string shardFolder, CancellationToken cancel)
    {
        progress.StageStarted("parse", files.Count);
        // Captures are read in the captures table's order (by content hash, then name), so that each worker's
        // shard files are in table order and emit reads them front to back; which worker read which capture
        // does not matter, as emit finds each capture's rows by where they were written.
        var ids = new string[files.Count];
        Parallel.For(0, files.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Jobs), CancellationToken = cancel },
            i => ids[i] = CaptureParse.Sha256Hex(files[i].FullPath));
        var readOrder = Enumerable.Range(0, files.Count)
            .OrderBy(i => ids[i], StringComparer.Ordinal).ThenBy(i => files[i].RelativeName, StringComparer.Ordinal).ToList();
        var spools = new System.Collections.Concurrent.ConcurrentBag<CaptureSpool>();
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<SensitiveValue, byte>();
        var workers = 0;
        try
        {
            await Parallel.ForEachAsync(
                readOrder,
                new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, options.Jobs), CancellationToken = cancel },
                (i, _) =>
                {
                    if (!spools.TryTake(out var spool)) spool = new CaptureSpool(shardFolder, Interlocked.Increment(ref workers));
                    try
                    {
                        var outcome = CaptureParse.Run(files[i], apps, formats, options.Limits, identify, decode: !options.ParseOnly, spool: spool, captureId: ids[i]);
                        // Kept once for the study rather than once per capture that sent them: tokens and IDs recur in every capture of an app.
                        foreach (var value in outcome.Sensitive) seen.TryAdd(value, 0);
                        outcomes[i] = outcome with { Sensitive = [] };
                    }
                    finally { spools.Add(spool); }
                    progress.Advanced("parse", files[i].RelativeName);
                    return ValueTask.CompletedTask;
                });
        }
        finally
        {
            foreach (var spool in spools) spool.Dispose();
        }
        progress.StageFinished("parse");

        var publication = options.Publication;
        // The pseudonymiser orders what it is given, so the order of this set does not reach the output.
        var pseudonymiser = new Pseudonymiser(publication.Key, publication.Pseudonymise, devices.Devices, seen.Keys);
        var marked = Sessions.MarkPrimary(outcomes.Select(o => o.Capture)).ToList();
        // The shards, in the order of the captures table: every row table sorts by capture first.
        var inOrder = Enumerable.Range(0, outcomes.Length).Select(i => new ShardedCapture(marked[i], outcomes[i]))
            .OrderBy(c => c.Capture, Comparer<CaptureRow>.Create(Tables.Captures.Order)).ToList();
        var captures = inOrder.Select(c => c.Capture).ToList();
        var quality = outcomes.SelectMany(o => o.Quality).ToList();
        var failures = CheckCounts(outcomes);
        var exchangeCount = outcomes.Sum(o => o.ExchangeRowCount);
        var jobs = Math.Max(1, options.Jobs);
        var emit = new ShardEmit(pseudonymiser, inOrder);

        if (options.ParseOnly)
        {
            progress.StageStarted("emit", 1);
            Directory.CreateDirectory(options.OutputFolder);
            AtomicFile.RemoveLeftovers(options.OutputFolder);
            List<string> parsed =
            [
                await ParquetTableWriter.WriteAsync(options.OutputFolder, Tables.Captures, captures, cancel),
                await emit.ExchangesAsync(options.OutputFolder, cancel),
                await ParquetTableWriter.WriteAsync(options.OutputFolder, Tables.Quality, quality, cancel),
            ];
            failures.AddRange(emit.CountFailures(exchangeCount));
            progress.StageFinished("emit");
            return new RunSummary(captures.Count, exchangeCount, quality.Count(q => q.Quarantined), quality.Count, parsed.Select(Path.GetFileName).ToList()!, failures);
        }

        progress.StageStarted("enrich", 1);
        var enriched = EnrichAttribute.Run(outcomes, options);
        quality.AddRange(enriched.Quality);
        progress.StageFinished("enrich");

        // The decoding gap per capture: requests to hosts a taxonomy attributes to a tracker, and those no adapter read.
        var trackerHosts = enriched.Trackers.Where(t => t.Tracker is not null).Select(t => t.Host).ToHashSet(StringComparer.Ordinal);
        captures = inOrder.Select(s =>
        {
            var c = s.Capture;
            if (s.Outcome.RequestsByHost is not { } requests) return c;
            var toTrackers = requests.Where(r => trackerHosts.Contains(r.Key)).ToList();
            return c with { TrackerRequests = toTrackers.Sum(r => r.Value.Requests), GenericTrackerRequests = toTrackers.Sum(r => r.Value.Generic) };
        }).ToList();

        progress.StageStarted("emit", 6);
        // Everything is written to a staging folder first and moved into place only once complete and checked:
        // a run killed while writing, or refused by the publication check, leaves the previous publication as it was.
        Directory.CreateDirectory(options.OutputFolder);
        AtomicFile.RemoveLeftovers(options.OutputFolder);
        var staging = Path.Combine(options.OutputFolder, ".staging");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        // The tables are independent files: written side by side, up to the number of jobs at once.
        using var slots = new SemaphoreSlim(jobs);
        async Task<string> Write(Func<Task<string>> write)
        {
            await slots.WaitAsync(cancel);
            try { return await Task.Run(write, cancel); }
            finally { slots.Release(); }
        }
        var facebook = new FacebookFieldsAggregate();
        var attribution = enriched.Trackers.Where(t => t.Tracker is not null).ToDictionary(t => t.Host, StringComparer.Ordinal);
        var trackerFields = new TrackerFieldsAggregate(attribution);
        var payloadFields = Write(() => emit.PayloadFieldsAsync(staging, facebook, trackerFields, cancel));
        var exchanges = Write(() => emit.ExchangesAsync(staging, cancel));
        var matches = Write(() => emit.IdentifierMatchesAsync(staging, cancel));
        var captureTable = Write(() => ParquetTableWriter.WriteAsync(staging, Tables.Captures, captures, cancel));
        var qualityTable = Write(() => ParquetTableWriter.WriteAsync(staging, Tables.Quality, quality, cancel));
        var endpoints = Write(() => ParquetTableWriter.WriteAsync(staging, Tables.Endpoints, enriched.Endpoints, cancel));
        var trackers = Write(() => ParquetTableWriter.WriteAsync(staging, Tables.Trackers, enriched.Trackers, cancel));
        var conflicts = Write(() => ParquetTableWriter.WriteAsync(staging, Tables.TaxonomyConflicts, enriched.Conflicts, cancel));
        // Aggregated while payload_fields is written.
        var facebookTable = payloadFields.ContinueWith(_ => ParquetTableWriter.WriteAsync(staging, Tables.AppFacebookFields, facebook.Rows(), cancel), cancel,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default).Unwrap();
        var trackerTable = payloadFields.ContinueWith(_ => ParquetTableWriter.WriteAsync(staging, Tables.AppTrackerFields, trackerFields.Rows(), cancel), cancel,
            TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default).Unwrap();
        var tables = new[] { captureTable, exchanges, qualityTable, payloadFields, facebookTable, trackerTable, endpoints, trackers, conflicts, matches };
        // The gate: files holding a secret or identifier are never published. Each table is scanned as soon
        // as it is written, beside the tables still being written.
        var scans = tables.Select(t => t.ContinueWith(w => PublicationCheck.ScanFileAsync(staging, Path.GetFileName(w.Result), pseudonymiser, cancel, jobs),
            cancel, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default).Unwrap()).ToList();
        var written = (await Task.WhenAll(tables)).ToList();
        failures.AddRange(emit.CountFailures(exchangeCount));
        progress.Advanced("emit", "tables");
        var provenance = await Provenance.WriteAsync(options with { OutputFolder = staging }, files, outcomes, pseudonymiser, written, cancel);
        scans.AddRange(provenance.Select(p => PublicationCheck.ScanFileAsync(staging, Path.GetFileName(p), pseudonymiser, cancel, jobs)));
        written.AddRange(provenance);
        progress.Advanced("emit", "manifest");

        var scanned = await Task.WhenAll(scans);
        // Reported in file name order, as a scan of the finished folder would.
        var leaks = written.Select((file, i) => (Name: Path.GetFileName(file), Leaks: scanned[i]))
            .OrderBy(f => f.Name, StringComparer.Ordinal).SelectMany(f => f.Leaks).ToList();
        if (leaks.Count == 0) written = await Publish(staging, options.OutputFolder, written, cancel);
        Directory.Delete(staging, recursive: true);
        progress.StageFinished("emit");

        return new RunSummary(captures.Count, exchangeCount, quality.Count(q => q.Quarantined), quality.Count, written.Select(Path.GetFileName).ToList()!, failures)
        {
            Leaks = leaks,
        };
    }

    /// <summary>
    /// Moves the staged files into the published folder. SHA256SUMS goes first and comes back last, so during
    /// the few renames in between the folder is visibly unpublished (make verify fails) rather than mixed.
    /// </summary>
    private static async Task<List<string>> Publish(string staging, string folder, List<string> staged, CancellationToken cancel)
    {
        File.Delete(Path.Combine(folder, Checksums.FileName));
        var published = new List<string>();
        foreach (var file in staged)
        {
            var target = Path.Combine(folder, Path.GetFileName(file));
            File.Move(file, target, overwrite: true);
            published.Add(target);
        }
        await Checksums.WriteAsync(folder, published, cancel);
        return published;
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

    public static Task WriteAsync(string folder, IEnumerable<string> files, CancellationToken cancel)
    {
        var lines = new StringBuilder();
        foreach (var name in files.Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            lines.Append(CaptureParse.Sha256Hex(Path.Combine(folder, name!))).Append("  ").Append(name).Append('\n');
        }
        return AtomicFile.WriteTextAsync(Path.Combine(folder, FileName), lines.ToString(), cancel);
    }
}
