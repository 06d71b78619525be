using System.IO.Enumeration;

namespace ResearchPipeline.Study;

/// <summary>
/// One file of the study's raw folder, laid out <c>raw/&lt;app_id&gt;/&lt;capture files&gt;</c>.
/// <paramref name="RelativeName"/> is '/'-separated whatever the machine, so published names do not depend on it.
/// </summary>
public sealed record CaptureFile(string FullPath, string RelativeName, string FolderAppId, long SizeBytes)
{
    /// <summary>When the file was last written (UTC ticks; 0 when not known): a plan, which reads no capture, tells a capture changed in place by it.</summary>
    public long ModifiedTicks { get; init; }

    /// <summary>
    /// The TLS key logs beside the capture (<see cref="KeyLogNames"/>), as listed: they decide what a packet capture's
    /// decrypted connections give, so a plan and the manifest name them as they name the capture.
    /// </summary>
    public IReadOnlyList<CompanionFile> KeyLogs { get; init; } = [];

    /// <summary>
    /// Every capture file under <paramref name="rawFolder"/>, in ordinal order of relative name. Files at the
    /// top level (apps.csv, devices.csv, README) describe the study and are not captures; hidden files are skipped,
    /// and so are the files that accompany a capture without being one: ground truth (<c>*.truth.csv</c>) and TLS
    /// key logs (<c>*.keylog</c>, <c>*.sslkeylog</c>), which a packet capture needs beside it.
    /// </summary>
    public static IReadOnlyList<CaptureFile> Discover(string rawFolder)
    {
        var root = Path.GetFullPath(rawFolder);
        if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"raw folder {rawFolder} does not exist");
        var files = new List<CaptureFile>();
        // Key logs are found in the same listing, not by asking the file system for each capture's candidates: on a
        // cluster's shared file system every such question is a round trip.
        var companions = new Dictionary<string, CompanionFile>(StringComparer.Ordinal);
        try
        {
            List(root, files, companions);
        }
        catch (UnauthorizedAccessException e)
        {
            // The listing is a run's first reading of the folder: what it cannot read is said here, before any capture is read.
            throw new UnreadableRawFolderException($"raw folder {rawFolder} cannot be read (permission denied): make it readable for this user (chmod -R u+rX {rawFolder})", e);
        }
        files.Sort((a, b) => string.CompareOrdinal(a.RelativeName, b.RelativeName));
        if (companions.Count == 0) return files;
        return files.Select(f => KeyLogNames(f.RelativeName).Where(companions.ContainsKey).Select(n => companions[n]).ToList() is { Count: > 0 } keyLogs
            ? f with { KeyLogs = keyLogs }
            : f).ToList();
    }

    private static void List(string root, List<CaptureFile> files, Dictionary<string, CompanionFile> companions)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false };
        foreach (var appFolder in Directory.EnumerateDirectories(root))
        {
            var appId = Path.GetFileName(appFolder);
            if (appId.StartsWith('.')) continue;
            // Each file's name, size and time as its folder's listing gives them: no relative path worked out from two full
            // paths, nor a FileInfo, per file (a study of thousands of captures is listed while the parse waits for it).
            // Hidden files are skipped, and hidden folders not entered.
            var entries = new FileSystemEnumerable<(string Path, long Size, long Ticks)>(appFolder,
                (ref FileSystemEntry entry) => (entry.ToFullPath(), entry.Length, entry.LastWriteTimeUtc.UtcTicks), options)
            {
                ShouldIncludePredicate = (ref FileSystemEntry entry) => !entry.IsDirectory && !entry.FileName.StartsWith('.'),
                ShouldRecursePredicate = (ref FileSystemEntry entry) => !entry.FileName.StartsWith('.'),
            };
            foreach (var (path, size, ticks) in entries)
            {
                var relative = string.Concat(appId, "/", path.AsSpan(appFolder.Length + 1)).Replace(Path.DirectorySeparatorChar, '/');
                if (IsCompanion(Path.GetFileName(path)))
                {
                    companions[relative] = new CompanionFile(relative, size, ticks);
                    continue;
                }
                files.Add(new CaptureFile(path, relative, appId, size) { ModifiedTicks = ticks });
            }
        }
    }

    /// <summary>The endings of a TLS key log's name (the NSS key log format, as PCAPdroid, PiRogue and browsers write it).</summary>
    public static readonly string[] KeyLogSuffixes = [".keylog", ".sslkeylog"];

    private static readonly string[] CompanionSuffixes = [".truth.csv", .. KeyLogSuffixes];

    /// <summary>True for a file that describes a capture beside it rather than being one.</summary>
    public static bool IsCompanion(string fileName) =>
        CompanionSuffixes.Any(suffix => fileName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// Where a capture's key logs may be, in the order they are read: for <c>session.pcapng</c>, <c>session.keylog</c>,
    /// <c>session.sslkeylog</c>, <c>session.pcapng.keylog</c> and <c>session.pcapng.sslkeylog</c>. One rule for the
    /// reader, which reads those that exist, and for the plan and the manifest, which list them.
    /// </summary>
    public static IReadOnlyList<string> KeyLogNames(string capturePath)
    {
        var name = capturePath.AsSpan(capturePath.LastIndexOfAny(['/', Path.DirectorySeparatorChar]) + 1);
        var dot = name.LastIndexOf('.');
        var stems = dot > 0 ? new[] { capturePath[..^(name.Length - dot)], capturePath } : [capturePath];
        return stems.SelectMany(stem => KeyLogSuffixes.Select(suffix => stem + suffix)).ToList();
    }

    /// <summary>The key logs beside one capture as they are now, asked of the file system (a part's check before it reads the capture).</summary>
    public static IReadOnlyList<CompanionFile> KeyLogsBeside(string rawFolder, string relativeName)
    {
        var found = new List<CompanionFile>();
        foreach (var name in KeyLogNames(relativeName))
            if (CompanionFile.Now(rawFolder, name) is { } file) found.Add(file);
        return found;
    }
}

/// <summary>The raw folder, or a folder within it, that this user cannot read: a fault of the input, not of where the run writes.</summary>
public sealed class UnreadableRawFolderException(string message, Exception inner) : UnauthorizedAccessException(message, inner);

/// <summary>A file of the raw folder that accompanies a capture and decides what is read from it: where it is, how large, when written.</summary>
public sealed record CompanionFile(string RelativeName, long SizeBytes, long ModifiedTicks)
{
    /// <summary>The file as it is now, asked of the file system; null when it is not there.</summary>
    public static CompanionFile? Now(string rawFolder, string relativeName)
    {
        var info = new FileInfo(Path.Combine(rawFolder, relativeName));
        return info.Exists ? new CompanionFile(relativeName, info.Length, info.LastWriteTimeUtc.Ticks) : null;
    }

    /// <summary>How the file as found differs from this one as listed, by size, then time written; null when it does not.</summary>
    public string? ChangeIn(CompanionFile? now) =>
        now is null ? "planned but no longer there"
        : now.SizeBytes != SizeBytes ? $"of {now.SizeBytes} bytes, planned with {SizeBytes}"
        : now.ModifiedTicks != ModifiedTicks ? $"written at {Written(now.ModifiedTicks)}, planned as written at {Written(ModifiedTicks)}"
        : null;

    /// <summary>A time written as the messages give it (UTC, round-trip format).</summary>
    public static string Written(long ticks) => new DateTime(ticks, DateTimeKind.Utc).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
}
