using System.Diagnostics;
using System.Reflection;
using ResearchPipeline.Cluster;
using ResearchPipeline.Dataset;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Privacy;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;

namespace ResearchPipeline.Run;

/// <summary>How the published folder is made safe and citable: the key, whether identifiers are pseudonymised, the reference lock.</summary>
public sealed record PublicationOptions
{
    public StudyKey Key { get; init; } = StudyKey.Demonstration;
    public bool Pseudonymise { get; init; } = true;
    /// <summary>The reference lock file whose rows the manifest records; absent is fine (no reference data yet).</summary>
    public string? ReferenceLock { get; init; } = "data/reference.lock.csv";
}

/// <summary>
/// Writes datapackage.json and manifest.json beside the tables, naming the tables by the digests taken as they were
/// written; returns the two files as written, with theirs.
/// </summary>
internal static class Provenance
{
    public static async Task<List<WrittenFile>> WriteAsync(RunOptions options, IReadOnlyList<PlannedCapture> captures, CaptureOutcome[] outcomes,
        EnrichmentReference enrichment, Pseudonymiser pseudonymiser, IReadOnlyList<WrittenFile> tables, CancellationToken cancel)
    {
        var folder = options.OutputFolder;
        var digests = tables.Select(FileDigest.Of).ToList();
        var byName = Tables.All.ToDictionary(t => t.FileName);
        var packagePath = Path.Combine(folder, DataPackage.FileName);
        var package = await AtomicFile.WriteAsync(packagePath, s =>
        {
            DataPackage.Write(s, "research-pipeline-dataset", "Data apps send to Facebook and other trackers, from network captures",
                digests.Where(d => byName.ContainsKey(d.Path)).Select(d => (byName[d.Path], d)));
            return Task.CompletedTask;
        }, cancel);

        var inputs = new List<FileDigest>();
        for (var i = 0; i < captures.Count; i++) inputs.Add(new FileDigest(captures[i].RelativeName, outcomes[i].Capture.CaptureId, captures[i].SizeBytes));
        inputs.AddRange(KeyLogs(options.RawFolder, captures));
        foreach (var studyFile in new[] { AppsCatalog.FileName, DevicesCatalog.FileName })
        {
            var path = Path.Combine(options.RawFolder, studyFile);
            if (File.Exists(path)) inputs.Add(FileDigest.Of(path, studyFile));
        }
        var publication = options.Publication;
        var parameters = new List<KeyValuePair<string, string>>
        {
            new("max_body_bytes", options.Limits.MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("max_record_bytes", options.Limits.MaxRecordBytes.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new("pseudonymise", publication.Pseudonymise ? "true" : "false"),
            new("study_key", publication.Key.Source),
            new("study_key_id", publication.Key.KeyId),
        };
        var reference = ManifestReference.ReadLock(publication.ReferenceLock)
            .Concat(enrichment.Sources.Databases.Where(d => d.UserSupplied).Select(UserDatabase))
            .Concat(enrichment.TaxonomyFiles.Select(TaxonomyFile));
        var outputs = digests.Append(FileDigest.Of(package)).ToList();
        var manifestPath = Path.Combine(folder, Manifest.FileName);
        var manifest = await AtomicFile.WriteAsync(manifestPath, s =>
        {
            Manifest.Write(s, Tool.Info, parameters, inputs, reference, outputs);
            return Task.CompletedTask;
        }, cancel);
        return [package, manifest];
    }

    /// <summary>
    /// A database of the user's own that enrich asked (a licensed GeoIP2 City, say): not in the lock file, yet it
    /// decides the published geo or AS columns, so the manifest names it as it names the pinned ones, by its file
    /// name (not its path, which is the machine's), digest, type and build date. The file itself is not published.
    /// </summary>
    private static ManifestReference UserDatabase(MmdbDatabase database)
    {
        var digest = FileDigest.Of(database.Path, Path.GetFileName(database.Path));
        return new ManifestReference(
        [
            new("name", ManifestReference.UserDatabase),
            new("role", database.AnswersGeo ? "geo" : database.AnswersAsn ? "asn" : "other"),
            new("file", digest.Path),
            new("file_sha256", digest.Sha256),
            new("database_type", database.DatabaseType),
            new("built", database.Built.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)),
            new("licence", "the user's own, not redistributed"),
        ]);
    }

    /// <summary>A file of the curated taxonomy (data/taxonomy), by name and digest: it decides the tracker and organisation columns.</summary>
    private static ManifestReference TaxonomyFile(FileDigest file) => new(
    [
        new("name", ManifestReference.Taxonomy),
        new("role", ManifestReference.Taxonomy),
        new("file", file.Path),
        new("file_sha256", file.Sha256),
    ]);

    /// <summary>
    /// The key logs beside the captures (one beside several captures of a session is listed once), hashed here: the
    /// parse read them as it read their captures, and each is checked to be as planned still, so the digest is of the
    /// bytes the parse read.
    /// </summary>
    private static IEnumerable<FileDigest> KeyLogs(string rawFolder, IReadOnlyList<PlannedCapture> captures)
    {
        var listed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var keyLog in captures.SelectMany(c => c.KeyLogs))
        {
            if (!listed.Add(keyLog.RelativeName)) continue;
            var path = Path.Combine(rawFolder, keyLog.RelativeName);
            if (keyLog.ChangeIn(CompanionFile.Now(rawFolder, keyLog.RelativeName)) is { } change)
                throw new InvalidDataException($"{path}: key log {change}: it changed during the run; run the study again");
            FileDigest digest;
            try
            {
                digest = FileDigest.Of(path, keyLog.RelativeName);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The parse could not read it either, and its quality rows say so: the tables were made without it.
                continue;
            }
            yield return digest;
        }
    }
}

/// <summary>This program's name, version and the git commit of its source.</summary>
public static class Tool
{
    /// <summary>
    /// What decides the output besides the inputs: the pipeline's source, the curated taxonomy, the reference lock
    /// and the package and SDK pins, as git pathspecs from the checkout's root.
    /// </summary>
    private static readonly string[] DecidingPaths = [":/pipeline", ":/data/taxonomy", ":/data/reference.lock.csv", ":/Directory.Packages.props", ":/Directory.Build.props", ":/global.json"];

    // After the paths it asks git about: static fields are initialised in the order written.
    public static ToolInfo Info { get; } = In(AppContext.BaseDirectory);

    /// <summary>
    /// The program as built in the checkout that holds <paramref name="folder"/>: the last commit that changed what
    /// decides the output, and whether those files now differ from it (edited, added or deleted, committed or not).
    /// Not HEAD: committing the published dataset itself must not change the manifest it contains, or a fresh clone
    /// could never reproduce the committed SHA256SUMS. "unknown" and no answer on modification without git.
    /// </summary>
    internal static ToolInfo In(string folder)
    {
        var commit = Git(folder, ["log", "-1", "--format=%H", "--", .. DecidingPaths]) is { Length: 40 } hash && hash.All(char.IsAsciiHexDigit) ? hash : null;
        // Untracked files count: a new adapter not yet added changes the tables as much as an edited one.
        var changes = commit is null ? null : Git(folder, ["status", "--porcelain", "--untracked-files=all", "--", .. DecidingPaths]);
        return new ToolInfo("research-pipeline", Version(), commit ?? "unknown") { SourceModified = changes is null ? null : changes.Length > 0 };
    }

    private static string Version()
    {
        var v = typeof(Tool).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        // The SDK appends "+<commit>" where it knows one; the commit has its own field.
        var plus = v.IndexOf('+');
        return plus < 0 ? v : v[..plus];
    }

    /// <summary>git's output, trimmed; null when git is missing, fails or takes too long.</summary>
    private static string? Git(string folder, string[] arguments)
    {
        try
        {
            var psi = new ProcessStartInfo("git", arguments)
            {
                WorkingDirectory = folder,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            using var p = Process.Start(psi);
            if (p is null) return null;
            var error = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEnd().Trim();
            if (!p.WaitForExit(10_000)) return null;
            error.Wait();
            return p.ExitCode == 0 ? output : null;
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException)
        {
            return null;
        }
    }
}
