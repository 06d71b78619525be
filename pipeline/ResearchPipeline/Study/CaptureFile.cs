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
        foreach (var appFolder in Directory.EnumerateDirectories(root))
        {
            var appId = Path.GetFileName(appFolder);
            if (appId.StartsWith('.')) continue;
            foreach (var path in Directory.EnumerateFiles(appFolder, "*", SearchOption.AllDirectories))
            {
                var relative = Path.GetRelativePath(root, path).Replace(Path.DirectorySeparatorChar, '/');
                if (relative.Split('/').Any(part => part.StartsWith('.'))) continue;
                if (IsCompanion(Path.GetFileName(path))) continue;
                var info = new FileInfo(path);
                files.Add(new CaptureFile(path, relative, appId, info.Length) { ModifiedTicks = info.LastWriteTimeUtc.Ticks });
            }
        }
        files.Sort((a, b) => string.CompareOrdinal(a.RelativeName, b.RelativeName));
        return files;
    }

    private static readonly string[] CompanionSuffixes = [".truth.csv", ".keylog", ".sslkeylog"];

    /// <summary>True for a file that describes a capture beside it rather than being one.</summary>
    public static bool IsCompanion(string fileName) =>
        CompanionSuffixes.Any(suffix => fileName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));
}
