using System.Security.Cryptography;
using ResearchPipeline.Reference;
using ResearchPipeline.Run;

namespace ResearchPipeline.Cli;

/// <summary>
/// A failure a user can cause or meet, told in one line that names the path and what to do, with the exit
/// code the README's table gives it. The cause is kept for --verbose.
/// </summary>
public sealed class RunFailure(int exitCode, string message, Exception? cause = null) : Exception(message, cause)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// What a run checks before it reads a capture, so that a missing folder, reference file or key stops it at
/// once, before anything in the output folder is touched.
/// </summary>
public static class Preflight
{
    public static void RawFolder(string raw)
    {
        if (File.Exists(raw))
            throw new RunFailure(ExitCodes.BadInput, $"raw folder {raw} is a file: give --raw (or RAW=) the folder of captures laid out <app_id>/<files>");
        if (!Directory.Exists(raw))
            throw new RunFailure(ExitCodes.BadInput, $"raw folder {raw} does not exist: give --raw (or RAW=) the folder of captures laid out <app_id>/<files>");
        // A folder within it that cannot be read is said by the run's listing of it (CaptureFile.Discover), its first
        // reading: walking the folder here as well took as long again for a study of thousands of captures.
    }

    /// <summary>
    /// The lock file's rows must be ones this version knows, and each file it pins must be in the external
    /// folder with its pinned sha256. A study without a lock file runs on what the external folder holds.
    /// </summary>
    public static void ReferenceData(string lockPath, string external)
    {
        if (!File.Exists(lockPath)) return;
        ReferenceLock lockFile;
        try
        {
            lockFile = ReferenceLock.Load(lockPath);
        }
        catch (InvalidDataException e)
        {
            throw new RunFailure(ExitCodes.ReferenceMismatch, $"{e.Message}: correct or remove that row of {lockPath}", e);
        }
        catch (Exception e) when (e is not RunFailure and not OutOfMemoryException)
        {
            throw new RunFailure(ExitCodes.ReferenceMismatch, $"lock file {lockPath} cannot be read ({Reason(e)}): restore it from the repository (git checkout -- {lockPath})", e);
        }
        foreach (var artefact in lockFile.Artefacts)
        {
            var path = artefact.PathUnder(external);
            if (!File.Exists(path))
                throw new RunFailure(ExitCodes.ReferenceMismatch,
                    $"reference data {path} ({artefact.PackageSpec}, pinned by {lockPath}) is missing: run make reference (research-pipeline reference --lock {lockPath} --external {external})");
        }
        // Every run checks the pinned files (a hundred-odd megabytes) before it starts: those changed since they were last
        // hashed are hashed, on every core. The first that differs in the lock's order is the one reported.
        var digests = RememberedDigests.In(external);
        var hashes = new string[lockFile.Artefacts.Count];
        ResearchPipeline.Enrichment.SideBySide.For(hashes.Length, i => hashes[i] = digests.Sha256Of(lockFile.Artefacts[i].PathUnder(external)));
        digests.Save();
        for (var i = 0; i < hashes.Length; i++)
        {
            var (artefact, actual) = (lockFile.Artefacts[i], hashes[i]);
            var path = artefact.PathUnder(external);
            if (actual != artefact.FileSha256)
                throw new RunFailure(ExitCodes.ReferenceMismatch,
                    $"reference data {path} has sha256 {actual[..16]}... but {lockPath} pins {artefact.FileSha256[..16]}...: delete {Path.Combine(external, artefact.Name)} and run make reference");
        }
    }

    /// <summary>Creates the output folder, or says why it cannot.</summary>
    public static void OutputFolder(string output)
    {
        try
        {
            Directory.CreateDirectory(output);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw OutputUnwritable(output, e);
        }
    }

    public static RunFailure OutputUnwritable(string output, Exception e) => IsDiskFull(e)
        ? new RunFailure(ExitCodes.OutputUnwritable,
            $"no space left on the device holding {output} ({Reason(e)}): free some space or choose another --out (OUT=); the data published there before was left as it was", e)
        : new RunFailure(ExitCodes.OutputUnwritable,
            $"output folder {output} is not writable ({Reason(e)}): make it writable for this user or choose another --out (OUT=); the data published there before was left as it was", e);

    /// <summary>ENOSPC (28) or EDQUOT (122), as .NET reports them on Linux.</summary>
    public static bool IsDiskFull(Exception e) =>
        e is IOException && ((e.HResult & 0xFFFF) is 28 or 122 || e.Message.Contains("No space left on device", StringComparison.Ordinal)
                             || e.Message.Contains("Disk quota exceeded", StringComparison.Ordinal))
        || e.InnerException is { } inner && IsDiskFull(inner);

    /// <summary>The operating system's words, without the path .NET appends (the message names it already).</summary>
    public static string Reason(Exception e) => e switch
    {
        UnauthorizedAccessException => "permission denied",
        _ when IsDiskFull(e) => "no space left on device",
        _ => e.Message.Split(" : '", 2)[0].Split(": '", 2)[0].TrimEnd('.'),
    };
}

/// <summary>
/// One run at a time per output folder: a lock file in it, held with an exclusive lock (flock on Linux) for the
/// whole run. The operating system drops the lock when the process ends, however it ends, so a crash leaves
/// nothing to clean up.
/// </summary>
public sealed class OutputLock : IDisposable
{
    public const string FileName = ".research-pipeline.lock";
    private readonly FileStream _stream;

    private OutputLock(FileStream stream) => _stream = stream;

    public static OutputLock Take(string output)
    {
        var path = Path.Combine(output, FileName);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (UnauthorizedAccessException e)
        {
            throw Preflight.OutputUnwritable(output, e);
        }
        catch (IOException e) when (!Preflight.IsDiskFull(e) && File.Exists(path) && IsHeldByAnother(path))
        {
            throw new RunFailure(ExitCodes.OutputBusy,
                $"output folder {output} is being written by another run (it holds {path}): wait for that run to end, or choose another --out (OUT=)", e);
        }
        catch (IOException e)
        {
            throw Preflight.OutputUnwritable(output, e);
        }
        return new OutputLock(stream);
    }

    private static bool IsHeldByAnother(string path)
    {
        try
        {
            using var probe = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None);
            return false;
        }
        catch (IOException) { return true; }
        catch (UnauthorizedAccessException) { return false; }
    }

    public void Dispose() => _stream.Dispose();
}
