using System.ComponentModel;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResearchPipeline.Cli;

public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary>The run finished but its counts do not add up: a record was lost.</summary>
    public const int CountsDoNotAddUp = 1;
    public const int Usage = 2;
    /// <summary>The raw folder or a study file (apps.csv) is missing or malformed.</summary>
    public const int BadInput = 3;
    /// <summary>A reference file is not the one the lock file pins, or could not be fetched.</summary>
    public const int ReferenceMismatch = 4;
    /// <summary>The publication check found a secret or identifier from the inputs in a published file.</summary>
    public const int NotPublishable = 5;
    /// <summary>A published folder does not match its SHA256SUMS, its manifest or its inputs.</summary>
    public const int VerifyFailed = 6;
    /// <summary>A part of the plan failed (parse-part), or a Slurm array task failed or was cancelled: nothing was published; run again to redo only the missing parts.</summary>
    public const int PartsFailed = 11;
    /// <summary>The Slurm emit job failed or was cancelled (its log is named): nothing new was published.</summary>
    public const int EmitFailed = 12;
    /// <summary>Slurm could not be asked: sbatch or squeue missing, or a submission refused.</summary>
    public const int SchedulerError = 13;
    /// <summary>emit was asked to run while a part of the plan has no complete shards (named).</summary>
    public const int PartsMissing = 14;
    /// <summary>The output folder cannot be written: permission, read-only file system, or no space left.</summary>
    public const int OutputUnwritable = 7;
    /// <summary>Another run is writing the same output folder.</summary>
    public const int OutputBusy = 8;
    /// <summary>Pseudonymising needs a study key and the one named (--study-key or its variable) is missing or too short.</summary>
    public const int StudyKeyMissing = 9;
    /// <summary>A fault in the program itself (a bug): the one-line message says what; --verbose adds the stack trace.</summary>
    public const int InternalError = 10;
}

/// <summary>Where a study is and what decides its shards: all a plan needs, and what every study verb takes.</summary>
public class StudyFolderSettings : CommandSettings
{
    [CommandOption("--raw <DIR>")]
    [Description("Folder of captures laid out <app_id>/<files>, with optional apps.csv. Default: data/raw")]
    public string Raw { get; init; } = "data/raw";

    [CommandOption("--out <DIR>")]
    [Description("Folder to write the published tables into. Default: data/processed")]
    public string Out { get; init; } = "data/processed";

    [CommandOption("--max-body-mb <MB>")]
    [Description("Largest body kept, after decoding, in MB; larger ones are dropped with a quality row. Default: 64")]
    public int MaxBodyMb { get; init; } = 64;

    [CommandOption("--interim <DIR>")]
    [Description("Where each capture's rows wait as Parquet shards between parse and emit (they hold values as captured, like the raw folder). Default: a hidden .interim folder in --out")]
    public string? Interim { get; init; }

    public override ValidationResult Validate() => MaxBodyMb < 1 ? ValidationResult.Error("--max-body-mb must be at least 1") : ValidationResult.Success();
}

public class StudySettings : StudyFolderSettings
{
    [CommandOption("-j|--jobs <N>")]
    [Description("Captures processed at once. Output is the same for any value. Default: number of cores")]
    public int Jobs { get; init; } = Environment.ProcessorCount;

    [CommandOption("--external <DIR>")]
    [Description("Reference data unpacked by the reference verb, plus any GeoLite2/GeoIP2 .mmdb of your own (asked first). Default: data/external")]
    public string External { get; init; } = "data/external";

    [CommandOption("--mmdb <FILE>")]
    [Description("A GeoLite2/GeoIP2 City, Country, ASN or ISP .mmdb of your own, asked before the pinned data; repeat for several")]
    public string[] Mmdb { get; init; } = [];

    [CommandOption("--study-key <FILE>")]
    [Description("File holding the study's secret key for pseudonyms (keep it outside the repository). Default: $" + Privacy.StudyKey.EnvironmentVariable + ", else the public demonstration key")]
    public string? StudyKey { get; init; }

    [CommandOption("--no-pseudonymise")]
    [Description("Publish identifiers as sent, for private analysis only (secrets are still removed)")]
    public bool NoPseudonymise { get; init; }

    [CommandOption("--lock <FILE>")]
    [Description("Reference lock file: where the pinned reference data is found, and the rows manifest.json records. Default: data/reference.lock.csv")]
    public string ReferenceLock { get; init; } = "data/reference.lock.csv";

    [CommandOption("--keep-interim")]
    [Description("Keep the shards after the run instead of deleting them")]
    public bool KeepInterim { get; init; }

    [CommandOption("--quiet")]
    [Description("No progress output")]
    public bool Quiet { get; init; }

    [CommandOption("--verbose")]
    [Description("On failure, print the stack trace after the one-line reason")]
    public bool Verbose { get; init; }

    public override ValidationResult Validate() =>
        MissingDatabase(Mmdb) ?? (Jobs < 1 ? ValidationResult.Error("--jobs must be at least 1") : base.Validate());

    /// <summary>The error for the first --mmdb that names no file; null when every one does.</summary>
    internal static ValidationResult? MissingDatabase(string[] mmdb) =>
        mmdb.FirstOrDefault(f => !File.Exists(f)) is { } missing ? ValidationResult.Error($"--mmdb {missing}: no such file") : null;

    internal RunOptions ToOptions() => new(Raw, Out, Jobs, ReadLimits.Default with { MaxBodyBytes = MaxBodyMb * 1024L * 1024 })
    {
        ExternalFolder = External,
        ReferenceLock = ReferenceLock,
        InterimFolder = Interim,
        KeepInterim = KeepInterim,
        UserDatabases = Mmdb,
        Publication = new PublicationOptions { Key = ResolveKey(), Pseudonymise = !NoPseudonymise, ReferenceLock = ReferenceLock },
    };

    /// <summary>Without pseudonyms no key is needed; with them, a key named but absent stops the run before it starts.</summary>
    private Privacy.StudyKey ResolveKey()
    {
        if (NoPseudonymise) return Privacy.StudyKey.Demonstration;
        var named = !string.IsNullOrEmpty(StudyKey) ? StudyKey : Environment.GetEnvironmentVariable(Privacy.StudyKey.EnvironmentVariable);
        try
        {
            return Privacy.StudyKey.Resolve(StudyKey);
        }
        catch (Exception e) when (e is FileNotFoundException or InvalidDataException or UnauthorizedAccessException or IOException)
        {
            var what = e is FileNotFoundException ? "does not exist" : e is InvalidDataException ? "is too short" : $"cannot be read ({Preflight.Reason(e)})";
            throw new RunFailure(ExitCodes.StudyKeyMissing,
                $"study key file {named} {what}: pseudonymising needs a key of at least {Privacy.StudyKey.MinBytes} bytes; create one outside the repository (head -c 32 /dev/urandom > {named}), or pass --no-pseudonymise for private analysis", e);
        }
    }
}

public abstract class StudyCommand<TSettings> : AsyncCommand<TSettings> where TSettings : StudySettings
{
    /// <summary>True for the verb that runs the parse stage alone.</summary>
    protected virtual bool ParseOnly => false;

    public override async Task<int> ExecuteAsync(CommandContext context, TSettings settings, CancellationToken cancel)
    {
        // Everything a user can get wrong is checked before the output folder is touched.
        var options = settings.ToOptions() with { ParseOnly = ParseOnly };
        Preflight.RawFolder(settings.Raw);
        if (!ParseOnly) Preflight.ReferenceData(settings.ReferenceLock, settings.External);
        Preflight.OutputFolder(settings.Out);
        using var outputLock = OutputLock.Take(settings.Out);
        // Said once every check has passed, so that a failure stays the one line it is: a run from another folder than
        // the repository's root finds no lock at its default path, and its tables would lack the pinned enrichment.
        if (!ParseOnly && !File.Exists(settings.ReferenceLock))
            await Console.Error.WriteLineAsync($"research-pipeline: warning: no reference lock file at {Path.GetFullPath(settings.ReferenceLock)}: "
                + $"the run goes on without the pinned GeoIP, ASN and TrackerDB data (only .mmdb files of your own in {settings.External} are used); "
                + "run from the repository's root, or name the lock with --lock");
        var progress = CreateProgress(settings.Quiet);
        RunSummary summary;
        try
        {
            summary = await new StudyRunner(progress).RunAsync(options, cancel);
        }
        catch (Exception e) when (WriteFault(e) is { } fault && WritingFailed(fault, settings))
        {
            throw Preflight.OutputUnwritable(settings.Out, WriteFault(e)!);
        }
        finally
        {
            (progress as IDisposable)?.Dispose();
        }
        return await Report(summary, settings.Out, settings.Quiet);
    }

    /// <summary>The run's counts on standard output; an invariant failure or a leak on standard error, with its exit code.</summary>
    internal static async Task<int> Report(RunSummary summary, string outFolder, bool quiet = false)
    {
        Console.WriteLine($"{summary.Captures} captures, {summary.Exchanges} exchanges, {summary.Quarantined} records quarantined, {summary.Problems} quality rows; wrote {string.Join(", ", summary.Files)} to {outFolder}");
        // For make bench (bytes allocated per decoded field): a log line beside the stages' times, never published.
        if (!quiet) await Console.Error.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"allocated: {GC.GetTotalAllocatedBytes(precise: true)} bytes, {summary.PayloadFields} payload fields"));
        // Where the run's time goes besides its work: collections by generation, and the share of time paused.
        if (!quiet) await Console.Error.WriteLineAsync(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"gc: {GC.CollectionCount(0)} gen0, {GC.CollectionCount(1)} gen1, {GC.CollectionCount(2)} gen2 collections, {GC.GetTotalPauseDuration().TotalMilliseconds:F0} ms paused"));
        if (summary.InvariantFailures.Count > 0)
        {
            foreach (var f in summary.InvariantFailures) await Console.Error.WriteLineAsync($"research-pipeline: counts do not add up: {f}");
            return ExitCodes.CountsDoNotAddUp;
        }
        if (summary.Leaks.Count > 0)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: not publishable: {summary.Leaks[0]}{(summary.Leaks.Count > 1 ? $" (and {summary.Leaks.Count - 1} more)" : "")}; no SHA256SUMS written");
            return ExitCodes.NotPublishable;
        }
        // Said even when quiet, of a folder published: a researcher about to cite it needs to know the commit alone does not make it.
        if (Tool.Info.SourceModified == true && summary.Files.Contains(Dataset.Manifest.FileName))
            await Console.Error.WriteLineAsync($"research-pipeline: warning: the pipeline's source, taxonomy, reference lock or package pins have changes not committed to {Tool.Info.GitCommit}; "
                + $"{Dataset.Manifest.FileName} says so (source_modified), and a re-run from that commit need not give these tables: commit the changes and run again before citing them");
        return ExitCodes.Ok;
    }

    /// <summary>The I/O fault behind a failure: parts parsed in parallel report theirs inside an AggregateException.</summary>
    private static Exception? WriteFault(Exception e) => e switch
    {
        ResearchPipeline.Study.UnreadableRawFolderException => null,
        IOException or UnauthorizedAccessException => e,
        AggregateException a => a.Flatten().InnerExceptions.FirstOrDefault(i => i is IOException or UnauthorizedAccessException),
        _ => null,
    };

    /// <summary>A write into the output or interim folder failed (as opposed to a capture that could not be read).</summary>
    private static bool WritingFailed(Exception e, StudySettings settings) =>
        Preflight.IsDiskFull(e) || e.Message.Contains(Path.GetFullPath(settings.Out), StringComparison.Ordinal)
        || settings.Interim is { } interim && e.Message.Contains(Path.GetFullPath(interim), StringComparison.Ordinal)
        || e is UnauthorizedAccessException or IOException && e.Message.Contains(settings.Out, StringComparison.Ordinal);

    internal static IProgressSink CreateProgress(bool quiet)
    {
        if (quiet) return new SilentProgress();
        if (Console.IsErrorRedirected) return new LineProgress(Console.Error);
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        return console.Profile.Capabilities.Interactive ? new BarProgress(console) : new LineProgress(Console.Error);
    }
}

[Description("Run every stage")]
public sealed class RunCommand : StudyCommand<StudySettings>;

[Description("Parse stage only")]
public sealed class ParseCommand : StudyCommand<StudySettings>
{
    protected override bool ParseOnly => true;
}

public sealed class ReferenceSettings : CommandSettings
{
    [CommandOption("--lock <FILE>")]
    [Description("Lock file naming each reference artefact, its checksums and licence. Default: data/reference.lock.csv")]
    public string Lock { get; init; } = "data/reference.lock.csv";

    [CommandOption("--external <DIR>")]
    [Description("Folder the packages are unpacked into, one folder per lock name. Default: data/external")]
    public string External { get; init; } = "data/external";

    [CommandOption("--npm <PATH>")]
    [Description("npm client to fetch packages with. Default: npm")]
    public string Npm { get; init; } = "npm";
}

[Description("Fetch, verify and unpack the pinned reference data")]
public sealed class ReferenceCommand : AsyncCommand<ReferenceSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, ReferenceSettings settings, CancellationToken cancel)
    {
        var lockFile = ResearchPipeline.Reference.ReferenceLock.Load(settings.Lock);
        try
        {
            var outcomes = await new ResearchPipeline.Reference.ReferenceFetcher(new ResearchPipeline.Reference.NpmPackSource(settings.Npm))
                .FetchAsync(lockFile, settings.External, cancel);
            foreach (var o in outcomes)
                Console.WriteLine($"{o.PackageSpec}: {(o.AlreadyPresent ? "present and verified" : "fetched and verified")} -> {string.Join(", ", o.Files)}");
            return ExitCodes.Ok;
        }
        catch (ResearchPipeline.Reference.ChecksumMismatchException e)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: {e.Message} (lock file {settings.Lock}); nothing was unpacked for it");
            return ExitCodes.ReferenceMismatch;
        }
        catch (IOException e)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: {e.Message}");
            return ExitCodes.ReferenceMismatch;
        }
    }
}

public sealed class DictionarySettings : CommandSettings
{
    [CommandOption("--out <FILE>")]
    [Description("Where to write the data dictionary. Default: docs/DATA_DICTIONARY.md")]
    public string Out { get; init; } = Run.DataDictionary.DefaultPath;
}

[Description("Write the data dictionary generated from the table definitions")]
public sealed class DictionaryCommand : AsyncCommand<DictionarySettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, DictionarySettings settings, CancellationToken cancel)
    {
        await Dataset.AtomicFile.WriteTextAsync(settings.Out, Run.DataDictionary.Render(Dataset.Tables.All), cancel);
        Console.WriteLine($"wrote {settings.Out}");
        return ExitCodes.Ok;
    }
}

public sealed class VerifySettings : CommandSettings
{
    [CommandOption("--out <DIR>")]
    [Description("Published folder to check. Default: data/processed")]
    public string Out { get; init; } = "data/processed";

    [CommandOption("--raw <DIR>")]
    [Description("Raw folder whose files the manifest's inputs must match. Default: data/raw")]
    public string Raw { get; init; } = "data/raw";

    [CommandOption("--taxonomy <DIR>")]
    [Description("Curated taxonomy whose files the manifest's reference must match. Default: data/taxonomy")]
    public string Taxonomy { get; init; } = "data/taxonomy";

    [CommandOption("--lock <FILE>")]
    [Description("Reference lock file whose pinned artefacts the manifest's reference must name. Default: data/reference.lock.csv")]
    public string Lock { get; init; } = "data/reference.lock.csv";

    [CommandOption("--mmdb <FILE>")]
    [Description("A GeoLite2/GeoIP2 .mmdb of your own the tables were made with, to check against the manifest; repeat for several")]
    public string[] Mmdb { get; init; } = [];

    [CommandOption("--external <DIR>")]
    [Description("Where the run found .mmdb files of your own: those the manifest names are checked too. Default: data/external")]
    public string External { get; init; } = "data/external";

    public override ValidationResult Validate() => StudySettings.MissingDatabase(Mmdb) ?? ValidationResult.Success();
}

[Description("Check a published folder against SHA256SUMS, its manifest, its inputs, the taxonomy and the reference lock it was made with")]
public sealed class VerifyCommand : Command<VerifySettings>
{
    public override int Execute(CommandContext context, VerifySettings settings, CancellationToken cancel)
    {
        var report = Dataset.PublishedFolderCheck.Verify(settings.Out, settings.Raw, settings.Taxonomy, settings.Lock, settings.Mmdb, settings.External, Tool.Info.GitCommit);
        foreach (var p in report.Problems) Console.Error.WriteLine($"research-pipeline: verify: {p}");
        if (report.Problems.Count > 0) return ExitCodes.VerifyFailed;
        foreach (var line in report.Passed) Console.WriteLine(line);
        return ExitCodes.Ok;
    }
}

public sealed class FiguresSettings : CommandSettings
{
    [CommandOption("--processed <DIR>")]
    [Description("Published folder to read the tables from. Default: data/processed")]
    public string Processed { get; init; } = "data/processed";

    [CommandOption("--out <DIR>")]
    [Description("Folder to write the PNG figures into. Default: reports/figures")]
    public string Out { get; init; } = "reports/figures";
}

[Description("Draw the key figures of a published folder as PNG")]
public sealed class FiguresCommand : AsyncCommand<FiguresSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, FiguresSettings settings, CancellationToken cancel)
    {
        foreach (var figure in ResearchPipeline.Analysis.Figures.All(settings.Processed))
        {
            var path = Path.Combine(settings.Out, figure.FileName);
            var png = figure.Png();
            await Dataset.AtomicFile.WriteAsync(path, s => s.WriteAsync(png, cancel).AsTask(), cancel);
            Console.WriteLine($"wrote {path} ({figure.Width}x{figure.Height})");
        }
        return ExitCodes.Ok;
    }
}

public sealed class SiteSettings : CommandSettings
{
    [CommandOption("--processed <DIR>")]
    [Description("Published folder to read the tables from. Default: data/processed")]
    public string Processed { get; init; } = "data/processed";

    [CommandOption("--out <DIR>")]
    [Description("Folder to write the site into. Default: reports/site")]
    public string Out { get; init; } = "reports/site";

    [CommandOption("--citation <FILE>")]
    [Description("Citation file the site offers and links to. Default: CITATION.cff (left out when absent)")]
    public string Citation { get; init; } = "CITATION.cff";

    [CommandOption("--example <APP_ID>")]
    [Description("App shown as the worked example. Default: org.example.meetly (the 2020 Zoom reconstruction)")]
    public string? Example { get; init; }
}

[Description("Write the static dataset site of a published folder")]
public sealed class SiteCommand : AsyncCommand<SiteSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SiteSettings settings, CancellationToken cancel)
    {
        var example = settings.Example is { } app && app != ResearchPipeline.Site.SiteWriter.ZoomReconstruction.AppId
            ? new ResearchPipeline.Site.WorkedExample(app, app, "The app the site presents as its worked example.")
            : ResearchPipeline.Site.SiteWriter.ZoomReconstruction;
        var files = await ResearchPipeline.Site.SiteWriter.WriteAsync(settings.Processed, settings.Out, settings.Citation, example, cancel);
        Console.WriteLine($"wrote {files.Count} files to {settings.Out}");
        return ExitCodes.Ok;
    }
}
