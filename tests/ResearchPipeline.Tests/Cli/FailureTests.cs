using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using ResearchPipeline.Cli;
using ResearchPipeline.Run;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Reference;
using ResearchPipeline.Tests.Reference;

namespace ResearchPipeline.Tests.Cli;

/// <summary>
/// Every failure a user can cause or meet ends with one line naming the path and what to do, the exit code the
/// README documents, no stack trace unless --verbose, and the data published before still verifying.
/// </summary>
[NonParallelizable]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class FailureTests
{
    private string _raw = "";
    private string _published = "";
    private string _noLock = "";

    [OneTimeSetUp]
    public void PublishOnce()
    {
        _raw = TestFiles.NewTempFolder("raw");
        foreach (var (app, capture) in new[] { ("quizduel", "har/quizduel-android.har"), ("example", "mitmproxy/dumpfile-7.mitm") })
        {
            Directory.CreateDirectory(Path.Combine(_raw, app));
            File.Copy(TestFiles.Capture(capture), Path.Combine(_raw, app, Path.GetFileName(capture)));
        }
        // No lock file: the study runs on what the external folder holds (nothing), as a study without pins does.
        _noLock = Path.Combine(TestFiles.NewTempFolder("lock"), "absent.lock.csv");
        _published = Path.Combine(TestFiles.NewTempFolder("published"), "out");
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", _published, "--lock", _noLock);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
    }

    /// <summary>A copy of the publication, as the earlier data the failing run must leave alone.</summary>
    private string PublishedCopy(string? under = null)
    {
        var folder = Path.Combine(under ?? TestFiles.NewTempFolder("out"), "out");
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(_published).Where(f => !Path.GetFileName(f).StartsWith('.')))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        AssertStillPublished(folder, null);
        return folder;
    }

    private void AssertStillPublished(string folder, byte[]? sums)
    {
        Assert.That(PublishedFolderCheck.Run(folder, _raw), Is.Empty, $"{folder} still verifies");
        var now = File.ReadAllBytes(Path.Combine(folder, "SHA256SUMS"));
        Assert.That(now, Is.EqualTo(File.ReadAllBytes(Path.Combine(_published, "SHA256SUMS"))), "the same publication as before");
        if (sums is not null) Assert.That(now, Is.EqualTo(sums));
        Assert.That(Directory.Exists(Path.Combine(folder, ".staging")), Is.False, "no staging folder left behind");
    }

    /// <summary>
    /// One line on stderr: the program's name, the path, what to do; nothing of .NET's. A warning said before the run
    /// began (these runs have no reference lock) is not part of the failure.
    /// </summary>
    private static void AssertOneLine(string stderr, string path, string whatToDo)
    {
        var lines = StudyRunnerTests.FailureLines(stderr);
        Assert.That(lines, Has.Length.EqualTo(1), stderr);
        Assert.That(lines[0], Does.StartWith("research-pipeline: ").And.Contain(path).And.Contain(whatToDo));
        Assert.That(stderr, Does.Not.Contain("   at ").And.Not.Contain("Exception"), "no stack trace without --verbose");
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => RunAs(null, args);

    /// <summary>Runs the program, as another user when asked (root ignores file permissions).</summary>
    private static (int Code, string Stdout, string Stderr) RunAs(string? user, params string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "research-pipeline.dll");
        var psi = new ProcessStartInfo(user is null ? "dotnet" : "setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetTempPath() };
        if (user is not null)
        {
            foreach (var a in new[] { $"--reuid={user}", $"--regid={user}", "--clear-groups", "--", "dotnet" }) psi.ArgumentList.Add(a);
            psi.Environment["HOME"] = Path.GetTempPath();
            psi.Environment["DOTNET_CLI_HOME"] = Path.GetTempPath();
        }
        psi.ArgumentList.Add(dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--quiet");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private static bool IsRoot => Environment.UserName == "root";

    private static bool Sh(string command, out string output)
    {
        var psi = new ProcessStartInfo("sh") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(command);
        using var p = Process.Start(psi)!;
        output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    /// <summary>A tmpfs of the given size (root only); the test is skipped, saying why, where mounting is impossible.</summary>
    private static string SmallFileSystem(string size, string name)
    {
        var mountPoint = TestFiles.NewTempFolder(name);
        if (!IsRoot) Assert.Ignore($"mounting a {size} tmpfs needs root; this run is {Environment.UserName}");
        if (!Sh($"mount -t tmpfs -o size={size},mode=0755 tmpfs '{mountPoint}'", out var why))
            Assert.Ignore($"cannot mount a {size} tmpfs at {mountPoint} (a container without CAP_SYS_ADMIN?): {why.Trim()}");
        Mounted.Add(mountPoint);
        return mountPoint;
    }

    private static readonly List<string> Mounted = [];

    [TearDown]
    public void Unmount()
    {
        foreach (var m in Mounted) Sh($"umount -l '{m}'", out _);
        Mounted.Clear();
    }

    [Test]
    public void A_missing_raw_folder_exits_3_naming_it()
    {
        var output = PublishedCopy();
        var raw = Path.Combine(TestFiles.NewTempFolder("raw"), "no-such-folder");
        var (code, _, stderr) = Run("run", "--raw", raw, "--out", output, "--lock", _noLock);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput));
        AssertOneLine(stderr, raw, "give --raw");
        AssertStillPublished(output, null);
    }

    [Test]
    public void An_unreadable_raw_folder_exits_3_naming_it()
    {
        var output = PublishedCopy();
        var raw = Path.Combine(TestFiles.NewTempFolder("raw"), "locked");
        Directory.CreateDirectory(Path.Combine(raw, "app"));
        File.Copy(TestFiles.Capture("mitmproxy/dumpfile-7.mitm"), Path.Combine(raw, "app", "flows.mitm"));
        File.SetUnixFileMode(raw, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string? user = null;
        if (IsRoot)
        {
            // Root reads anything: the run is made as nobody, who may write the output but not read the raw folder.
            user = "65534";
            Assert.That(Sh($"chown -R 65534:65534 '{Path.GetDirectoryName(output)}' && command -v setpriv", out var why), why);
        }
        var (code, _, stderr) = RunAs(user, "run", "--raw", raw, "--out", output, "--lock", _noLock);
        Assert.That(code, Is.EqualTo(ExitCodes.BadInput), stderr);
        AssertOneLine(stderr, raw, "make it readable");
        AssertStillPublished(output, null);
    }

    [Test]
    public void A_run_from_another_folder_than_the_repository_says_on_stderr_that_it_found_no_reference_lock_and_goes_on()
    {
        // The program runs from the temporary folder, where the default lock path (data/reference.lock.csv) names nothing.
        var output = Path.Combine(TestFiles.NewTempFolder("published"), "out");
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output);
        Assert.That(code, Is.EqualTo(ExitCodes.Ok), stderr);
        var absent = Path.GetFullPath(Path.Combine(Path.GetTempPath(), "data", "reference.lock.csv"));
        Assert.That(stderr, Does.Contain($"research-pipeline: warning: no reference lock file at {absent}:").And.Contain("run from the repository's root, or name the lock with --lock"));
        Assert.That(File.Exists(Path.Combine(output, "SHA256SUMS")), "the run went on and published");
    }

    [Test]
    public void Missing_reference_data_exits_4_naming_the_file_and_make_reference()
    {
        var output = PublishedCopy();
        var external = TestFiles.NewTempFolder("external");
        var lockFile = WriteLock(new string('a', 64));
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", lockFile, "--external", external);
        Assert.That(code, Is.EqualTo(ExitCodes.ReferenceMismatch));
        AssertOneLine(stderr, Path.Combine(external, "trackerdb", "dist", "trackerdb.json"), "run make reference");
        AssertStillPublished(output, null);
    }

    [Test]
    public void Reference_data_with_a_wrong_checksum_exits_4_naming_the_file()
    {
        var output = PublishedCopy();
        var (external, file) = ExternalWithTrackerDb();
        var pinned = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("something else")));
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", WriteLock(pinned), "--external", external);
        Assert.That(code, Is.EqualTo(ExitCodes.ReferenceMismatch));
        AssertOneLine(stderr, file, "run make reference");
        Assert.That(stderr, Does.Contain(pinned[..16]));
        AssertStillPublished(output, null);
    }

    [Test]
    public void Reference_data_rewritten_since_a_run_remembered_its_digest_exits_4_naming_the_file()
    {
        var output = PublishedCopy();
        var (external, file) = ExternalWithTrackerDb();
        File.SetLastWriteTimeUtc(file, RememberedDigestsTests.Written);
        var pinned = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file)));
        // As a run before left it: the file, as it is now, has the pinned digest.
        File.WriteAllText(Path.Combine(external, RememberedDigests.FileName), $"{pinned}\t{FileIdentity.Of(file)!.Text}\ttrackerdb/dist/trackerdb.json\n");
        // Then bytes of the same size written over it, and its write time set back.
        File.WriteAllText(file, "{\"patterns\":[]}");
        File.SetLastWriteTimeUtc(file, RememberedDigestsTests.Written);
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", WriteLock(pinned), "--external", external);
        Assert.That(code, Is.EqualTo(ExitCodes.ReferenceMismatch));
        AssertOneLine(stderr, file, "run make reference");
        AssertStillPublished(output, null);
    }

    [Test]
    public void A_lock_file_row_with_an_unknown_role_exits_4_naming_the_line()
    {
        var output = PublishedCopy();
        var lockFile = Path.Combine(TestFiles.NewTempFolder("lock"), "reference.lock.csv");
        File.WriteAllText(lockFile, File.ReadAllText(Path.Combine(TestFiles.RepositoryRoot, "data", "reference.lock.csv"))
            + $"weather,weather-forecast,weather-db,1.0.0,data.csv,{new string('a', 64)},{new string('b', 64)},MIT,,npm pack weather-db@1.0.0\n");
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", lockFile);
        Assert.That(code, Is.EqualTo(ExitCodes.ReferenceMismatch));
        AssertOneLine(stderr, lockFile, "correct or remove that row");
        Assert.That(stderr, Does.Contain("line").And.Contain("weather-forecast"));
        AssertStillPublished(output, null);
    }

    [Test]
    public void A_missing_study_key_exits_9_saying_how_to_make_one()
    {
        var output = PublishedCopy();
        var key = Path.Combine(TestFiles.NewTempFolder("keys"), "study.key");
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", _noLock, "--study-key", key);
        Assert.That(code, Is.EqualTo(ExitCodes.StudyKeyMissing));
        AssertOneLine(stderr, key, "head -c 32 /dev/urandom");
        AssertStillPublished(output, null);
        Assert.That(Run("run", "--raw", _raw, "--out", output, "--lock", _noLock, "--study-key", key, "--no-pseudonymise").Code, Is.EqualTo(ExitCodes.Ok),
            "without pseudonyms no key is needed");
    }

    [Test]
    public void A_second_run_on_the_same_output_folder_exits_8_and_leaves_it_alone()
    {
        var output = PublishedCopy();
        var sums = File.ReadAllBytes(Path.Combine(output, "SHA256SUMS"));
        var lockPath = Path.Combine(output, OutputLock.FileName);
        using (OutputLock.Take(output))
        {
            var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", _noLock);
            Assert.That(code, Is.EqualTo(ExitCodes.OutputBusy));
            AssertOneLine(stderr, lockPath, "wait for that run to end");
            AssertStillPublished(output, sums);
        }
        Assert.That(Run("run", "--raw", _raw, "--out", output, "--lock", _noLock).Code, Is.EqualTo(ExitCodes.Ok), "the lock goes with the run that held it");
    }

    [Test]
    public void An_output_folder_that_cannot_be_written_exits_7_naming_it()
    {
        string output;
        if (IsRoot)
        {
            // Root writes through permissions; a read-only file system stops it.
            var mount = SmallFileSystem("4m", "ro");
            output = PublishedCopy(mount);
            Assert.That(Sh($"mount -o remount,ro '{mount}'", out var why), why);
        }
        else
        {
            output = PublishedCopy();
            File.SetUnixFileMode(output, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", _noLock);
        Assert.That(code, Is.EqualTo(ExitCodes.OutputUnwritable));
        AssertOneLine(stderr, output, "make it writable");
        AssertStillPublished(output, null);
    }

    [Test]
    public void A_full_disk_exits_7_and_leaves_the_earlier_publication_as_it_was()
    {
        var mount = SmallFileSystem("2m", "full");
        var output = PublishedCopy(mount);
        // What is left is too little for the run's shards and staged tables.
        Sh($"head -c 1900000 /dev/zero > '{mount}/filler' 2>/dev/null; df -k '{mount}' | tail -1", out var df);
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", output, "--lock", _noLock);
        Assert.That(code, Is.EqualTo(ExitCodes.OutputUnwritable), $"{stderr} ({df.Trim()})");
        AssertOneLine(stderr, output, "free some space");
        AssertStillPublished(output, null);
        Assert.That(Directory.Exists(Path.Combine(output, ".interim")), Is.False, "no shards left behind");
    }

    [Test]
    public void With_verbose_the_stack_trace_follows_the_one_line()
    {
        var raw = Path.Combine(TestFiles.NewTempFolder("raw"), "no-such-folder");
        var key = Path.Combine(TestFiles.NewTempFolder("keys"), "study.key");
        var (code, _, stderr) = Run("run", "--raw", _raw, "--out", TestFiles.NewTempFolder("out"), "--lock", _noLock, "--study-key", key, "--verbose");
        Assert.That(code, Is.EqualTo(ExitCodes.StudyKeyMissing));
        Assert.That(stderr.Split('\n')[0], Does.StartWith("research-pipeline: study key file"));
        Assert.That(stderr, Does.Contain("   at "), "--verbose adds the trace");
        Assert.That(Run("run", "--raw", raw, "--out", TestFiles.NewTempFolder("out")).Code, Is.EqualTo(ExitCodes.BadInput));
    }

    /// <summary>An external folder holding one TrackerDB file, the one <see cref="WriteLock"/> pins.</summary>
    private static (string External, string File) ExternalWithTrackerDb()
    {
        var external = TestFiles.NewTempFolder("external");
        var file = Path.Combine(external, "trackerdb", "dist", "trackerdb.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, "{\"patterns\":{}}");
        return (external, file);
    }

    /// <summary>A lock file pinning one TrackerDB file with the given sha256.</summary>
    private static string WriteLock(string fileSha256)
    {
        var path = Path.Combine(TestFiles.NewTempFolder("lock"), "reference.lock.csv");
        File.WriteAllText(path,
            "name,role,package,version,file,tarball_sha256,file_sha256,licence,licence_note,fetch_command\n" +
            $"trackerdb,trackerdb,@ghostery/trackerdb,1.0.945,dist/trackerdb.json,{new string('c', 64)},{fileSha256},CC-BY-NC-SA-4.0,,npm pack @ghostery/trackerdb@1.0.945\n");
        return path;
    }
}
