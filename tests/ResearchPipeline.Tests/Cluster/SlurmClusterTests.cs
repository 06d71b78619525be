using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using ResearchPipeline.Cli;
using ResearchPipeline.Run;
using ResearchPipeline.Cluster;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Cluster;

/// <summary>
/// The demonstration study run through a real Slurm: a single-node cluster on loopback (munged, slurmctld,
/// slurmd from Debian's slurm-wlm and munge, started by lab/slurm-cluster.sh in a temporary folder), the
/// pipeline's slurm verb submitting the parse array and the emit job to it, compared with a local run.
/// </summary>
[NonParallelizable]
public class SlurmClusterTests
{
    private const int Tasks = 4;
    private static readonly string Program = Path.Combine(AppContext.BaseDirectory, "research-pipeline.dll");
    private static readonly string Script = Path.Combine(TestFiles.RepositoryRoot, "lab", "slurm-cluster.sh");
    private string _cluster = "";
    private string _slurmConf = "";
    private readonly List<int> _daemons = [];
    private byte[] _localSums = [];

    [OneTimeSetUp]
    public void StartCluster()
    {
        var missing = new[] { "munged", "slurmctld", "slurmd", "sbatch", "squeue", "scancel", "scontrol" }.Where(t => Which(t) is null).ToList();
        if (missing.Count > 0) Assert.Ignore($"Slurm tests skipped: {string.Join(", ", missing)} not found (apt-get install -y slurm-wlm munge; .ci/run does)");
        if (Environment.UserName != "root") Assert.Ignore("Slurm tests skipped: slurmd must run as root to start job steps, and this test run is not root");

        // Short: the munge socket's path must fit a Unix socket address.
        _cluster = Path.Combine(Path.GetTempPath(), $"rp-slurm-{Guid.NewGuid():N}"[..20]);
        var (code, stdout, stderr) = Run("bash", [Script, "start", _cluster], null, TimeSpan.FromSeconds(60));
        _daemons.AddRange(new[] { "munged", "slurmctld", "slurmd" }.Select(d => Path.Combine(_cluster, $"{d}.pid"))
            .Where(File.Exists).Select(f => int.Parse(File.ReadAllText(f).Trim(), System.Globalization.CultureInfo.InvariantCulture)));
        if (code != 0)
        {
            StopCluster();
            Assert.Fail($"the single-node cluster did not start ({code}): {stdout}{stderr}{Logs()}");
        }
        _slurmConf = Path.Combine(_cluster, "slurm.conf");

        // The reference: the same study run locally, as make all runs it.
        var local = TestFiles.NewTempFolder("local");
        var run = Pipeline(["run", "--raw", DemonstrationCorpus.Raw, "--out", Path.Combine(local, "out"), "--interim", Path.Combine(local, "interim"), "--jobs", "2", "--quiet"]);
        Assert.That(run.Code, Is.EqualTo(ExitCodes.Ok), run.Stderr);
        _localSums = File.ReadAllBytes(Path.Combine(local, "out", "SHA256SUMS"));
    }

    [OneTimeTearDown]
    public void StopCluster()
    {
        if (_cluster.Length == 0) return;
        // Jobs first, while the controller is up; then the daemons by the pids they wrote, and any still alive by force.
        if (File.Exists(_slurmConf)) Run("scancel", ["--me"], null, TimeSpan.FromSeconds(20));
        Run("bash", [Script, "stop", _cluster], null, TimeSpan.FromSeconds(60));
        foreach (var pid in _daemons)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                p.Kill(entireProcessTree: true);
                p.WaitForExit(5000);
            }
            catch (ArgumentException) { }
            catch (InvalidOperationException) { }
        }
        try { Directory.Delete(_cluster, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    [Test]
    public void The_study_run_as_a_job_array_and_an_emit_job_publishes_the_same_bytes_as_a_local_run()
    {
        var work = TestFiles.NewTempFolder("slurm");
        // The emit job asks for its own memory and time: it holds every capture's outcome, a task only its part's.
        var (code, stdout, stderr) = Slurm(work, ["--mem-per-task", "1G", "--time", "0:10:00", "--emit-mem", "2G", "--emit-time", "0:20:00"]);

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr + Logs());
        var submitted = Regex.Match(stdout, @"submitted parse of part\(s\) 0,1,2,3 as array job (\d+) \(--array=0-3\); emit as job (\d+) after it");
        Assert.That(submitted.Success, Is.True, stdout);
        // As the scheduler holds them (finished jobs stay listed: lab/slurm-cluster.sh's MinJobAge).
        var tasks = Run("scontrol", ["show", "job", "-o", submitted.Groups[1].Value], _slurmConf, TimeSpan.FromSeconds(20)).Stdout
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var emit = Run("scontrol", ["show", "job", "-o", submitted.Groups[2].Value], _slurmConf, TimeSpan.FromSeconds(20)).Stdout;
        Assert.That(tasks, Has.Length.EqualTo(Tasks));
        Assert.That(tasks, Has.All.Contains("MinMemoryNode=1G").And.All.Contains("TimeLimit=00:10:00"), "each parse task");
        Assert.That(emit, Does.Contain("MinMemoryNode=2G").And.Contain("TimeLimit=00:20:00"), "the emit job");
        Assert.That(stdout, Does.Contain($"0 pending, 0 running, {Tasks} done, 0 failed of {Tasks}"));
        Assert.That(File.ReadAllBytes(Path.Combine(work, "out", "SHA256SUMS")), Is.EqualTo(_localSums), "SHA256SUMS of the Slurm run and the local run");
        var verify = Pipeline(["verify", "--out", Path.Combine(work, "out"), "--raw", DemonstrationCorpus.Raw]);
        Assert.That(verify.Code, Is.EqualTo(ExitCodes.Ok), verify.Stderr);
        // Each task wrote its own log; the parts are gone once published.
        var logs = Directory.GetFiles(Path.Combine(work, "interim", "slurm", "logs")).Select(Path.GetFileName).ToList();
        Assert.That(logs.Count(l => l!.StartsWith("parse-", StringComparison.Ordinal)), Is.EqualTo(Tasks));
        Assert.That(Directory.Exists(Path.Combine(work, "interim", "shards")), Is.False);
    }

    [Test]
    public void The_native_program_make_builds_runs_the_study_on_Slurm_by_its_own_path_and_publishes_the_same_bytes_as_a_local_run()
    {
        // make all builds it before make test (.ci/run); the local run it is compared with is this build's, under the runtime's compiler.
        var native = Path.Combine(TestFiles.RepositoryRoot, "pipeline", "ResearchPipeline.Cli", "bin", "Release", "program", "research-pipeline");
        if (!File.Exists(native) || File.Exists(native + ".dll"))
            Assert.Ignore($"no native program at {native} (make build writes it where a C toolchain links one)");
        var work = TestFiles.NewTempFolder("slurm-native");
        var (code, stdout, stderr) = Run(native, ["slurm", "--raw", DemonstrationCorpus.Raw, "--out", Path.Combine(work, "out"), "--interim", Path.Combine(work, "interim"),
            "--tasks", Tasks.ToString(System.Globalization.CultureInfo.InvariantCulture), "--jobs", "2", "--emit-cpus", "1", "--poll-seconds", "0.5"], _slurmConf, TimeSpan.FromSeconds(240));

        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stdout + stderr + Logs());
        foreach (var script in new[] { "parse.sh", "emit.sh" })
            Assert.That(File.ReadAllText(Path.Combine(work, "interim", "slurm", script)), Does.Contain($"exec '{native}' "), script);
        Assert.That(File.ReadAllBytes(Path.Combine(work, "out", "SHA256SUMS")), Is.EqualTo(_localSums), "SHA256SUMS of the native program's Slurm run and the local run");
    }

    [Test]
    public void A_cancelled_task_and_a_failed_task_are_named_with_their_captures_nothing_is_published_and_the_rerun_submits_only_them()
    {
        var work = TestFiles.NewTempFolder("slurm");
        var output = new StringBuilder();
        var arrayJob = new TaskCompletionSource<string>();
        // Held, so that task 1 is still pending when it is cancelled; part 2 fails on purpose when it runs.
        var first = Task.Run(() => Slurm(work, ["--sbatch-arg=--hold"], new() { [PartParse.FailPartsVariable] = "2" }, line =>
        {
            if (Regex.Match(line, @"as array job (\d+)") is { Success: true } m) arrayJob.TrySetResult(m.Groups[1].Value);
        }));
        Assert.That(arrayJob.Task.Wait(TimeSpan.FromSeconds(60)), Is.True, "the slurm verb printed no array job id");
        var array = arrayJob.Task.Result;
        Assert.That(Run("scancel", [$"{array}_1"], _slurmConf, TimeSpan.FromSeconds(20)).Code, Is.EqualTo(0));
        Assert.That(Run("scontrol", ["release", array], _slurmConf, TimeSpan.FromSeconds(20)).Code, Is.EqualTo(0));
        var (code, stdout, stderr) = first.Result;

        var plan = StudyPlan.Load(Path.Combine(work, "interim", StudyPlan.FileName));
        var logs = Path.Combine(work, "interim", "slurm", "logs");
        Assert.That(code, Is.EqualTo(ExitCodes.PartsFailed), stdout + stderr + Logs());
        Assert.That(stderr, Does.Contain($"part 1 CANCELLED").And.Contain($"log {Path.Combine(logs, $"parse-{array}_1.log")} (not written: the task never started)"));
        Assert.That(stderr, Does.Contain($"part 2 FAILED; log {Path.Combine(logs, $"parse-{array}_2.log")}"));
        foreach (var part in new[] { 1, 2 })
            Assert.That(stderr, Does.Contain($"part {part} captures: {string.Join(", ", plan.CapturesOf(part).Select(c => c.RelativeName))}"));
        Assert.That(File.ReadAllText(Path.Combine(logs, $"parse-{array}_2.log")), Does.Contain("part 2 fails on purpose"));
        Assert.That(File.Exists(Path.Combine(work, "out", "SHA256SUMS")), Is.False, "nothing published");
        var folders = new PartFolders(Path.Combine(work, "interim", "shards"));
        Assert.That(folders.Missing(plan), Is.EqualTo(new[] { 1, 2 }));

        var rerun = Slurm(work, []);
        Assert.That(rerun.Code, Is.EqualTo(ExitCodes.Ok), rerun.Stdout + rerun.Stderr + Logs());
        Assert.That(rerun.Stdout, Does.Contain("2 part(s) already written").And.Match(@"submitted parse of part\(s\) 1,2 as array job \d+ \(--array=1-2\)"));
        Assert.That(File.ReadAllBytes(Path.Combine(work, "out", "SHA256SUMS")), Is.EqualTo(_localSums), "SHA256SUMS of the rerun and the local run");
    }

    private (int Code, string Stdout, string Stderr) Slurm(string work, string[] extra, Dictionary<string, string>? environment = null, Action<string>? line = null) =>
        Pipeline(["slurm", "--raw", DemonstrationCorpus.Raw, "--out", Path.Combine(work, "out"), "--interim", Path.Combine(work, "interim"), "--tasks", Tasks.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--jobs", "2", "--emit-cpus", "1", "--poll-seconds", "0.5", .. extra], environment, line);

    private (int Code, string Stdout, string Stderr) Pipeline(string[] args, Dictionary<string, string>? environment = null, Action<string>? line = null) =>
        Run("dotnet", [Program, .. args], _slurmConf, TimeSpan.FromSeconds(240), environment, line);

    /// <summary>Runs a command from the repository (where the pipeline finds the taxonomy and lock file), with this cluster's SLURM_CONF.</summary>
    private static (int Code, string Stdout, string Stderr) Run(string command, string[] args, string? slurmConf, TimeSpan timeout,
        Dictionary<string, string>? environment = null, Action<string>? line = null)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = TestFiles.RepositoryRoot };
        foreach (var a in args) psi.ArgumentList.Add(a);
        if (slurmConf is not null) psi.Environment["SLURM_CONF"] = slurmConf;
        psi.Environment.Remove(PartParse.FailPartsVariable);
        foreach (var (k, v) in environment ?? []) psi.Environment[k] = v;
        using var p = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        p.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stdout) stdout.Append(e.Data).Append('\n');
            line?.Invoke(e.Data);
        };
        p.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (stderr) stderr.Append(e.Data).Append('\n');
        };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, stdout.ToString(), stderr + $"\n(killed after {timeout.TotalSeconds} s)");
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private string Logs() =>
        string.Concat(new[] { "slurmctld.log", "slurmd.log" }.Select(f => Path.Combine(_cluster, f)).Where(File.Exists)
            .Select(f => $"\n--- {f} (last lines)\n" + string.Join('\n', File.ReadLines(f).TakeLast(15))));

    private static string? Which(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/sbin").Append("/sbin")
            .Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
}
