using System.ComponentModel;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Cluster;
using ResearchPipeline.Study;
using Spectre.Console;
using Spectre.Console.Cli;

namespace ResearchPipeline.Cli;

/// <summary>The verbs that run a study in parts: plan, parse-part, emit, and slurm, which submits them.</summary>
internal static class Plans
{
    public static string InterimOf(StudyFolderSettings settings) => Path.GetFullPath(settings.Interim ?? Path.Combine(settings.Out, ".interim"));

    public static string ShardsOf(string interim) => Path.Combine(interim, "shards");

    /// <summary>
    /// Plans the study and writes the plan into the interim folder. The same study cut the same way is the same
    /// plan, so the parts already written for it stay; parts of another plan and folders of dead tasks go.
    /// </summary>
    public static (StudyPlan Plan, PartFolders Folders, string Path) MakeAndWrite(StudyFolderSettings settings, int parts)
    {
        var interim = InterimOf(settings);
        var files = CaptureFile.Discover(settings.Raw);
        var plan = StudyPlan.Of(settings.Raw, files, parts, settings.MaxBodyMb * 1024L * 1024);
        var path = Path.Combine(interim, StudyPlan.FileName);
        Dataset.AtomicFile.WriteTextAsync(path, plan.ToJson()).GetAwaiter().GetResult();
        var folders = new PartFolders(ShardsOf(interim));
        folders.RemoveLeftovers(plan);
        return (plan, folders, path);
    }

    public static string Describe(StudyPlan plan, PartFolders folders)
    {
        var bytes = Enumerable.Range(0, plan.Parts).Select(plan.BytesOf).ToList();
        var done = plan.Parts - folders.Missing(plan).Count;
        return $"plan {plan.PlanId}: {plan.Captures.Count} captures, {plan.Captures.Sum(c => c.SizeBytes)} bytes in {plan.Parts} parts "
            + $"({bytes.Min()} to {bytes.Max()} bytes each); {done} part(s) already written";
    }
}

public sealed class PlanSettings : StudyFolderSettings
{
    [CommandOption("--parts <N>")]
    [Description("Parts to cut the study into, balanced by bytes (a Slurm array task each). Default: 4")]
    public int Parts { get; init; } = 4;

    public override ValidationResult Validate() => Parts < 1 ? ValidationResult.Error("--parts must be at least 1") : base.Validate();
}

[Description("List the captures and deal them into parts balanced by bytes, write the plan into the interim folder (no capture is read)")]
public sealed class PlanCommand : Command<PlanSettings>
{
    public override int Execute(CommandContext context, PlanSettings settings, CancellationToken cancel)
    {
        var (plan, folders, path) = Plans.MakeAndWrite(settings, settings.Parts);
        Console.WriteLine($"{Plans.Describe(plan, folders)}; wrote {path}");
        return ExitCodes.Ok;
    }
}

public sealed class PartSettings : CommandSettings
{
    [CommandOption("--plan <FILE>")]
    [Description("The plan the plan verb wrote (interim/plan.json); the part's shards go beside it, in shards/")]
    public string Plan { get; init; } = "";

    [CommandOption("--part <N>")]
    [Description("Which part to parse, from 0 (a Slurm array task's index)")]
    public int Part { get; init; } = -1;

    public override ValidationResult Validate() =>
        Plan.Length == 0 ? ValidationResult.Error("--plan is required") : Part < 0 ? ValidationResult.Error("--part is required (0 or more)") : ValidationResult.Success();
}

[Description("Parse one part of a plan into its shards (written whole or not at all)")]
public sealed class ParsePartCommand : Command<PartSettings>
{
    public override int Execute(CommandContext context, PartSettings settings, CancellationToken cancel)
    {
        var plan = StudyPlan.Load(settings.Plan);
        var folders = new PartFolders(Plans.ShardsOf(Path.GetDirectoryName(Path.GetFullPath(settings.Plan))!));
        var captures = plan.CapturesOf(settings.Part).Select(c => c.RelativeName).ToList();
        try
        {
            var parse = ParseContext.For(plan.RawFolder, ReadLimits.Default with { MaxBodyBytes = plan.MaxBodyBytes });
            if (!PartParse.Run(plan, settings.Part, folders, parse, name => Console.Error.WriteLine($"parsed {name}")))
            {
                Console.WriteLine($"part {settings.Part} of plan {plan.PlanId}: already written to {folders.Of(settings.Part)}; kept as it is");
                return ExitCodes.Ok;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Console.Error.WriteLine($"research-pipeline: part {settings.Part} failed, nothing written for it: {e.Message}");
            Console.Error.WriteLine($"research-pipeline: its captures: {string.Join(", ", captures)}");
            return ExitCodes.PartsFailed;
        }
        Console.WriteLine($"part {settings.Part} of plan {plan.PlanId}: {captures.Count} captures, {plan.BytesOf(settings.Part)} bytes; written to {folders.Of(settings.Part)}");
        return ExitCodes.Ok;
    }
}

public sealed class EmitSettings : StudySettings
{
    [CommandOption("--plan <FILE>")]
    [Description("The plan whose parts are all written; the raw folder and parse limits are the plan's")]
    public string Plan { get; init; } = "";

    public override ValidationResult Validate() => Plan.Length == 0 ? ValidationResult.Error("--plan is required") : base.Validate();
}

[Description("Enrich, attribute and emit over every part of a plan; publishes OUT as a local run does")]
public sealed class EmitCommand : AsyncCommand<EmitSettings>
{
    private static readonly string[] PlanDecides = ["--raw", "--max-body-mb", "--interim"];

    public override async Task<int> ExecuteAsync(CommandContext context, EmitSettings settings, CancellationToken cancel)
    {
        // The plan decides these: a value given for one would be ignored, and the user would think it used.
        if (context.Arguments.FirstOrDefault(a => PlanDecides.Any(o => a == o || a.StartsWith(o + "=", StringComparison.Ordinal))) is { } given)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: emit takes the raw folder, the body limit and the interim folder from its plan ({settings.Plan}), not {given.Split('=')[0]}");
            return ExitCodes.Usage;
        }
        var plan = StudyPlan.Load(settings.Plan);
        var interim = Path.GetDirectoryName(Path.GetFullPath(settings.Plan))!;
        var options = settings.ToOptions() with
        {
            RawFolder = plan.RawFolder,
            InterimFolder = interim,
            Limits = ReadLimits.Default with { MaxBodyBytes = plan.MaxBodyBytes },
        };
        var progress = StudyCommand<StudySettings>.CreateProgress(settings.Quiet);
        RunSummary summary;
        try
        {
            summary = await new StudyRunner(progress).EmitAsync(options, plan, cancel);
        }
        catch (MissingPartsException e)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: {e.Message}; nothing published (parse them with parse-part, or run slurm again)");
            return ExitCodes.PartsMissing;
        }
        finally
        {
            (progress as IDisposable)?.Dispose();
        }
        var status = await StudyCommand<StudySettings>.Report(summary, settings.Out, settings.Quiet);
        // The shards hold values as captured: gone once published, kept while a rerun may still need them.
        if (status == ExitCodes.Ok && !settings.KeepInterim && Directory.Exists(Plans.ShardsOf(interim))) Directory.Delete(Plans.ShardsOf(interim), recursive: true);
        return status;
    }
}

public sealed class SlurmSettings : StudySettings
{
    [CommandOption("--tasks <N>")]
    [Description("Parse array tasks: the study is cut into this many parts, balanced by bytes. Default: 4")]
    public int Tasks { get; init; } = 4;

    [CommandOption("--partition <NAME>")]
    [Description("Slurm partition for every job. Default: the cluster's default")]
    public string? Partition { get; init; }

    [CommandOption("--account <NAME>")]
    [Description("Slurm account to charge. Default: yours")]
    public string? Account { get; init; }

    [CommandOption("--time <LIMIT>")]
    [Description("Time limit of each task, and of the emit job unless --emit-time is given, as sbatch takes it (e.g. 2:00:00)")]
    public string? Time { get; init; }

    [CommandOption("--mem-per-task <SIZE>")]
    [Description("Memory of each task, and of the emit job unless --emit-mem is given, as sbatch takes it (e.g. 4G)")]
    public string? MemPerTask { get; init; }

    [CommandOption("--emit-cpus <N>")]
    [Description("CPUs of the emit job (it writes tables side by side). Default: 2")]
    public int EmitCpus { get; init; } = 2;

    [CommandOption("--emit-mem <SIZE>")]
    [Description("Memory of the emit job, which grows with the study's number of captures (docs/SCALING.md), as sbatch takes it (e.g. 16G). Default: --mem-per-task")]
    public string? EmitMem { get; init; }

    [CommandOption("--emit-time <LIMIT>")]
    [Description("Time limit of the emit job, one job over the whole study, as sbatch takes it. Default: --time")]
    public string? EmitTime { get; init; }

    [CommandOption("--sbatch-arg <ARG>")]
    [Description("A further sbatch argument for both submissions, e.g. --sbatch-arg=--qos=long; repeat for several")]
    public string[] SbatchArgs { get; init; } = [];

    [CommandOption("--dotnet <PATH>")]
    [Description("The dotnet the jobs run the pipeline with, where the program is IL (the native program needs none). Default: the one running this command")]
    public string? Dotnet { get; init; }

    [CommandOption("--no-wait")]
    [Description("Submit and return at once, printing the job ids and how to follow them")]
    public bool NoWait { get; init; }

    [CommandOption("--poll-seconds <S>")]
    [Description("How often to ask the scheduler while waiting. Default: 5")]
    public double PollSeconds { get; init; } = 5;

    public override ValidationResult Validate() =>
        Tasks < 1 ? ValidationResult.Error("--tasks must be at least 1")
        : EmitCpus < 1 ? ValidationResult.Error("--emit-cpus must be at least 1")
        : PollSeconds <= 0 ? ValidationResult.Error("--poll-seconds must be more than 0")
        : base.Validate();
}

[Description("Run the study on Slurm: parse as a job array (one task per part), emit as a job after it")]
public sealed class SlurmCommand : AsyncCommand<SlurmSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, SlurmSettings settings, CancellationToken cancel)
    {
        var interim = Plans.InterimOf(settings);
        var (plan, folders, planPath) = Plans.MakeAndWrite(settings, settings.Tasks);
        Console.WriteLine(Plans.Describe(plan, folders));

        var slurmFolder = Path.Combine(interim, "slurm");
        var logs = Path.Combine(slurmFolder, "logs");
        Directory.CreateDirectory(logs);
        var program = ProgramCommand(settings);
        var request = new SlurmRequest
        {
            Partition = settings.Partition, Account = settings.Account, TimeLimit = settings.Time, MemoryPerTask = settings.MemPerTask,
            EmitCpus = settings.EmitCpus, EmitMemory = settings.EmitMem, EmitTimeLimit = settings.EmitTime, ExtraArguments = settings.SbatchArgs,
        };
        var workingFolder = Directory.GetCurrentDirectory();
        var parseScript = Path.Combine(slurmFolder, "parse.sh");
        var emitScript = Path.Combine(slurmFolder, "emit.sh");
        await File.WriteAllTextAsync(parseScript, Slurm.ParseScript(request, workingFolder, program, planPath, logs), cancel);
        await File.WriteAllTextAsync(emitScript, Slurm.EmitScript(request, workingFolder, program, planPath, logs, EmitArguments(settings)), cancel);

        var run = new SlurmRun(new SlurmClient(), plan, folders, logs);
        SlurmSubmission submitted;
        try
        {
            submitted = run.Submit(parseScript, emitScript, request);
        }
        catch (SlurmClient.SlurmException e)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: slurm: {e.Message}");
            return ExitCodes.SchedulerError;
        }
        Console.WriteLine(submitted.ArrayJob is { } array
            ? $"submitted parse of part(s) {string.Join(",", submitted.Parts)} as array job {array} (--array={Slurm.ArraySpec(submitted.Parts)}); emit as job {submitted.EmitJob} after it"
            : $"every part already written; submitted emit as job {submitted.EmitJob}");
        var jobs = string.Join(',', new[] { submitted.ArrayJob, submitted.EmitJob }.OfType<string>());
        if (settings.NoWait)
        {
            Console.WriteLine($"follow with: squeue --me -r -j {jobs}   (or, once finished: sacct -j {jobs})");
            Console.WriteLine($"logs: {logs}/parse-<job>_<part>.log and emit-<job>.log; published into {Path.GetFullPath(settings.Out)} once emit completes");
            Console.WriteLine("if a task fails, run the same command again: only the parts whose shards are missing are submitted");
            return ExitCodes.Ok;
        }

        var outcome = await run.WaitAsync(submitted, Console.WriteLine, TimeSpan.FromSeconds(settings.PollSeconds), cancel);
        if (outcome.FailedParts.Count > 0)
        {
            foreach (var f in outcome.FailedParts)
            {
                await Console.Error.WriteLineAsync($"research-pipeline: part {f.Part} {f.State}; log {f.Log}{(File.Exists(f.Log) ? "" : " (not written: the task never started)")}");
                await Console.Error.WriteLineAsync($"research-pipeline: part {f.Part} captures: {string.Join(", ", f.Captures)}");
            }
            await Console.Error.WriteLineAsync($"research-pipeline: {outcome.FailedParts.Count} part(s) failed; emit job {submitted.EmitJob} cancelled, nothing published. Run the same command again to resubmit only those parts.");
            return ExitCodes.PartsFailed;
        }
        if (!outcome.EmitCompleted)
        {
            await Console.Error.WriteLineAsync($"research-pipeline: emit job {submitted.EmitJob} {outcome.EmitState}; log {outcome.EmitLog}; nothing new published");
            return ExitCodes.EmitFailed;
        }
        Console.WriteLine($"published: {Path.GetFullPath(settings.Out)} (emit log {outcome.EmitLog})");
        return ExitCodes.Ok;
    }

    /// <summary>The emit verb's options, every path absolute: the job runs wherever the cluster puts it.</summary>
    private static List<string> EmitArguments(SlurmSettings s)
    {
        var args = new List<string> { "--out", Path.GetFullPath(s.Out), "--external", Path.GetFullPath(s.External), "--lock", Path.GetFullPath(s.ReferenceLock) };
        foreach (var m in s.Mmdb) args.AddRange(["--mmdb", Path.GetFullPath(m)]);
        if (s.StudyKey is { } key) args.AddRange(["--study-key", Path.GetFullPath(key)]);
        if (s.NoPseudonymise) args.Add("--no-pseudonymise");
        if (s.KeepInterim) args.Add("--keep-interim");
        return args;
    }

    /// <summary>
    /// How a job starts this program: the native program (make's build) by its own path; the program as IL by the
    /// dotnet named, else the one running this command.
    /// </summary>
    private static IReadOnlyList<string> ProgramCommand(SlurmSettings settings)
    {
        var assembly = Path.Combine(AppContext.BaseDirectory, "research-pipeline.dll");
        if (!File.Exists(assembly) && Environment.ProcessPath is { } self) return [self];
        return [settings.Dotnet is { } d ? Path.GetFullPath(d) : DotnetHost(), assembly];
    }

    /// <summary>The dotnet running this command, else the first on PATH.</summary>
    private static string DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        foreach (var folder in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(folder, "dotnet");
            if (File.Exists(candidate)) return Path.GetFullPath(candidate);
        }
        throw new FileNotFoundException("dotnet not found on PATH: name it with --dotnet");
    }
}
