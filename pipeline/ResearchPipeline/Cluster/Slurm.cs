using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ResearchPipeline.Cluster;

/// <summary>What a Slurm run asks of the cluster besides the plan.</summary>
public sealed record SlurmRequest
{
    public string? Partition { get; init; }
    public string? Account { get; init; }
    /// <summary>Time limit per task, and for the emit job unless <see cref="EmitTimeLimit"/> is given, as sbatch takes it (e.g. 1:00:00).</summary>
    public string? TimeLimit { get; init; }
    /// <summary>Memory per parse task, and for the emit job unless <see cref="EmitMemory"/> is given, as sbatch takes it (e.g. 4G).</summary>
    public string? MemoryPerTask { get; init; }
    public int EmitCpus { get; init; } = 2;
    /// <summary>
    /// The emit job's memory: a part's task holds one part, while emit holds what every capture of the study
    /// contributes besides its rows, so a large study's emit needs more than any task (docs/SCALING.md).
    /// </summary>
    public string? EmitMemory { get; init; }
    /// <summary>The emit job's time limit: emit is one job over the whole study, as long as the array's longest task or longer.</summary>
    public string? EmitTimeLimit { get; init; }
    /// <summary>Further sbatch arguments, given to both submissions as they are.</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}

/// <summary>Where a task or job is, reduced to what a run needs to know.</summary>
public enum TaskPhase { Pending, Running, Done, Failed }

/// <summary>
/// The job scripts, the sbatch command lines and the reading of squeue and sacct. Scripts name everything by
/// absolute path and set what they need themselves: a task on another node does not depend on the shell that
/// submitted it.
/// </summary>
public static class Slurm
{
    /// <summary>Slurm job states (squeue %T, sacct State) by what they mean for a run.</summary>
    private static readonly Dictionary<string, TaskPhase> Phases = new(StringComparer.Ordinal)
    {
        ["PENDING"] = TaskPhase.Pending, ["REQUEUED"] = TaskPhase.Pending, ["REQUEUE_FED"] = TaskPhase.Pending, ["REQUEUE_HOLD"] = TaskPhase.Pending,
        ["RESV_DEL_HOLD"] = TaskPhase.Pending, ["SUSPENDED"] = TaskPhase.Pending, ["STOPPED"] = TaskPhase.Pending, ["CONFIGURING"] = TaskPhase.Pending,
        ["RUNNING"] = TaskPhase.Running, ["COMPLETING"] = TaskPhase.Running, ["RESIZING"] = TaskPhase.Running, ["SIGNALING"] = TaskPhase.Running,
        ["STAGE_OUT"] = TaskPhase.Running,
        ["COMPLETED"] = TaskPhase.Done,
        ["FAILED"] = TaskPhase.Failed, ["CANCELLED"] = TaskPhase.Failed, ["TIMEOUT"] = TaskPhase.Failed, ["OUT_OF_MEMORY"] = TaskPhase.Failed,
        ["NODE_FAIL"] = TaskPhase.Failed, ["BOOT_FAIL"] = TaskPhase.Failed, ["DEADLINE"] = TaskPhase.Failed, ["PREEMPTED"] = TaskPhase.Failed,
        ["SPECIAL_EXIT"] = TaskPhase.Failed, ["REVOKED"] = TaskPhase.Failed,
    };

    /// <summary>A state as squeue or sacct print it ("CANCELLED by 0" included); unknown states count as pending.</summary>
    public static TaskPhase PhaseOf(string state) =>
        Phases.TryGetValue(state.Split(' ', 2)[0].TrimEnd('+'), out var phase) ? phase : TaskPhase.Pending;

    public static string Quote(string value) => "'" + value.Replace("'", "'\\''") + "'";

    /// <summary>The parse job: one array task per part, the task's index is the part.</summary>
    /// <param name="program">The command that starts the program: its path, or a dotnet and the program's assembly.</param>
    public static string ParseScript(SlurmRequest request, string workingFolder, IReadOnlyList<string> program, string planPath, string logFolder) =>
        Script(request, "rp-parse", 1, request.TimeLimit, request.MemoryPerTask, Path.Combine(logFolder, "parse-%A_%a.log"), workingFolder,
            $"exec {string.Join(' ', program.Select(Quote))} parse-part --plan {Quote(planPath)} --part \"$SLURM_ARRAY_TASK_ID\"");

    /// <summary>The emit job: enrich, attribute and emit over every part, publishing as a local run does.</summary>
    public static string EmitScript(SlurmRequest request, string workingFolder, IReadOnlyList<string> program, string planPath, string logFolder,
        IEnumerable<string> emitArguments) =>
        Script(request, "rp-emit", request.EmitCpus, request.EmitTimeLimit ?? request.TimeLimit, request.EmitMemory ?? request.MemoryPerTask,
            Path.Combine(logFolder, "emit-%j.log"), workingFolder,
            $"exec {string.Join(' ', program.Select(Quote))} emit --plan {Quote(planPath)} --jobs \"${{SLURM_CPUS_PER_TASK:-1}}\" {string.Join(' ', emitArguments.Select(Quote))}");

    private static string Script(SlurmRequest request, string name, int cpus, string? timeLimit, string? memory, string log, string workingFolder, string command)
    {
        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append("# Written by research-pipeline slurm; submitted with sbatch. Every path is absolute.\n");
        s.Append("#SBATCH --job-name=").Append(name).Append('\n');
        s.Append("#SBATCH --ntasks=1\n");
        s.Append("#SBATCH --cpus-per-task=").Append(cpus.ToString(CultureInfo.InvariantCulture)).Append('\n');
        s.Append("#SBATCH --output=").Append(log).Append('\n');
        if (request.Partition is { } p) s.Append("#SBATCH --partition=").Append(p).Append('\n');
        if (request.Account is { } a) s.Append("#SBATCH --account=").Append(a).Append('\n');
        if (timeLimit is { } t) s.Append("#SBATCH --time=").Append(t).Append('\n');
        if (memory is { } m) s.Append("#SBATCH --mem=").Append(m).Append('\n');
        s.Append("set -euo pipefail\n");
        // The repository: the curated taxonomy and the build are found from it, whatever the submitting shell's folder.
        s.Append("cd ").Append(Quote(workingFolder)).Append('\n');
        s.Append("export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1\n");
        s.Append("echo \"research-pipeline: $(hostname) job ${SLURM_JOB_ID:-} task ${SLURM_ARRAY_TASK_ID:-}\" >&2\n");
        s.Append(command).Append('\n');
        return s.ToString();
    }

    /// <summary>Array indexes as sbatch takes them: runs of consecutive parts as ranges ("0-3,7,9-10").</summary>
    public static string ArraySpec(IReadOnlyList<int> parts)
    {
        var runs = new List<string>();
        for (var i = 0; i < parts.Count;)
        {
            var j = i;
            while (j + 1 < parts.Count && parts[j + 1] == parts[j] + 1) j++;
            runs.Add(i == j ? parts[i].ToString(CultureInfo.InvariantCulture) : $"{parts[i]}-{parts[j]}");
            i = j + 1;
        }
        return string.Join(',', runs);
    }

    /// <summary>A job's log file as its script names it, for the task given.</summary>
    public static string ParseLog(string logFolder, string arrayJob, int part) => Path.Combine(logFolder, $"parse-{arrayJob}_{part}.log");

    public static string EmitLog(string logFolder, string job) => Path.Combine(logFolder, $"emit-{job}.log");

    /// <summary>
    /// States from squeue lines printed with <c>-h -r -t all -o "%i|%T"</c>: "12_3|RUNNING" is task 3 of array
    /// job 12, "13|PENDING" is job 13. A task cancelled before it started leaves no line at all.
    /// </summary>
    public static Dictionary<string, string> ParseStates(string squeueOutput)
    {
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in squeueOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var fields = line.Split('|');
            if (fields.Length < 2) continue;
            var id = fields[0];
            // sacct prints steps ("12_3.batch") beside the allocation; the allocation's state is the task's.
            if (id.Contains('.')) continue;
            states[id] = fields[1];
        }
        return states;
    }
}

/// <summary>The Slurm commands a run uses, called as processes; a command that is missing or refuses says so.</summary>
public sealed class SlurmClient(string? slurmConf = null)
{
    public sealed class SlurmException(string message) : Exception(message);

    public string Submit(string script, IEnumerable<string> arguments)
    {
        var output = Run("sbatch", ["--parsable", .. arguments, script]);
        // --parsable prints "<job id>" or "<job id>;<cluster>".
        var id = output.Trim().Split(';')[0];
        if (id.Length == 0 || !id.All(char.IsAsciiDigit)) throw new SlurmException($"sbatch gave no job id: {output.Trim()}");
        return id;
    }

    /// <summary>
    /// The state of each task of the jobs named that the controller still knows (recent ones), or null when
    /// squeue could not be asked. All of the user's jobs are asked for and the others dropped: squeue -j fails
    /// outright once one of the jobs named has been forgotten.
    /// </summary>
    public Dictionary<string, string>? States(IReadOnlyCollection<string> jobs)
    {
        if (TryRun("squeue", ["--me", "-h", "-r", "-t", "all", "-o", "%i|%T"]) is not { } output) return null;
        return Slurm.ParseStates(output)
            .Where(s => jobs.Contains(s.Key.Split('_')[0]))
            .ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal);
    }

    /// <summary>What sacct knows of the jobs, or nothing where the cluster keeps no accounting.</summary>
    public Dictionary<string, string> Accounting(IEnumerable<string> jobs) =>
        Slurm.ParseStates(TryRun("sacct", ["-n", "-P", "-X", "-j", string.Join(',', jobs), "-o", "JobID,State"]) ?? "");

    public void Cancel(string job) => TryRun("scancel", [job]);

    private string? TryRun(string command, IReadOnlyList<string> arguments)
    {
        try { return Run(command, arguments); }
        catch (SlurmException) { return null; }
    }

    private string Run(string command, IReadOnlyList<string> arguments)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        if (slurmConf is not null) psi.Environment["SLURM_CONF"] = slurmConf;
        Process? process;
        try { process = Process.Start(psi); }
        catch (System.ComponentModel.Win32Exception e) { throw new SlurmException($"{command}: {e.Message} (is Slurm installed and on PATH?)"); }
        if (process is null) throw new SlurmException($"{command} did not start");
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new SlurmException($"{command} {string.Join(' ', arguments)}: exit {process.ExitCode}: {stderr.Result.Trim()}");
            return stdout;
        }
    }
}
