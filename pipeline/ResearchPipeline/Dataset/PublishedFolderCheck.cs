using System.Security.Cryptography;
using System.Text.Json;
using ResearchPipeline.Study;

namespace ResearchPipeline.Dataset;

/// <summary>What <see cref="PublishedFolderCheck.Verify"/> found: its problems, or, when there are none, what it has to say of the pass.</summary>
public sealed record VerifyReport(IReadOnlyList<string> Problems, IReadOnlyList<string> Passed);

/// <summary>
/// Checks a published folder against itself and its inputs, as a reader citing it would: every file matches
/// SHA256SUMS and the manifest's outputs, no file is unlisted, and every input the manifest names (and every
/// capture and key log in the raw folder) and every file of the curated taxonomy it names still has the recorded checksum.
/// </summary>
public static class PublishedFolderCheck
{
    /// <param name="taxonomyFolder">Where the curated taxonomy is (data/taxonomy): its files the manifest names must match; null not to check them.</param>
    /// <param name="referenceLock">The reference lock file (data/reference.lock.csv): the artefacts it pins must be those the manifest names; null not to check.</param>
    /// <param name="userDatabases">Databases of the user's own (.mmdb): each must be one the manifest names, by file name and sha256.</param>
    public static List<string> Run(string outputFolder, string? rawFolder, string? taxonomyFolder = null, string? referenceLock = null,
        IReadOnlyList<string>? userDatabases = null)
    {
        using var manifest = ManifestOf(outputFolder);
        return Run(outputFolder, manifest, rawFolder, taxonomyFolder, referenceLock, userDatabases);
    }

    /// <param name="manifest">The folder's manifest as read (<see cref="ManifestOf"/>); null when it has none.</param>
    private static List<string> Run(string outputFolder, JsonDocument? manifest, string? rawFolder, string? taxonomyFolder, string? referenceLock,
        IReadOnlyList<string>? userDatabases)
    {
        var problems = new List<string>();
        // SHA256SUMS and the manifest's outputs list the same tables: each is read and hashed once.
        var digests = new Dictionary<string, string>(StringComparer.Ordinal);
        string Digest(string path) => digests.TryGetValue(path, out var known) ? known : digests[path] = Captures.FileHash.Sha256Hex(path);
        var sumsPath = Path.Combine(outputFolder, "SHA256SUMS");
        if (!File.Exists(sumsPath)) return [$"{sumsPath} is missing: the folder was never published (or its publication check failed)"];

        var listed = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in File.ReadAllLines(sumsPath).Where(l => l.Length > 0))
        {
            var parts = line.Split("  ", 2);
            if (parts.Length != 2 || parts[0].Length != 64) { problems.Add($"SHA256SUMS: malformed line '{line}'"); continue; }
            listed[parts[1]] = parts[0];
        }
        foreach (var (name, sha) in listed)
        {
            var path = Path.Combine(outputFolder, name);
            if (!File.Exists(path)) problems.Add($"{name}: listed in SHA256SUMS but missing");
            else if (Digest(path) != sha) problems.Add($"{name}: sha256 differs from SHA256SUMS");
        }
        foreach (var path in Directory.EnumerateFiles(outputFolder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(path);
            if (name != "SHA256SUMS" && !name.StartsWith('.') && !listed.ContainsKey(name)) problems.Add($"{name}: not listed in SHA256SUMS");
        }

        if (manifest is null) { problems.Add($"{Manifest.FileName} is missing"); return problems; }
        foreach (var output in Files(manifest, "outputs"))
        {
            var path = Path.Combine(outputFolder, output.Path);
            if (!File.Exists(path)) problems.Add($"{output.Path}: named in the manifest's outputs but missing");
            else if (Digest(path) != output.Sha256) problems.Add($"{output.Path}: sha256 differs from the manifest");
        }
        if (rawFolder is not null)
        {
            var inputs = Files(manifest, "inputs").ToList();
            foreach (var input in inputs)
                if (Unlike("input", rawFolder, input.Path, input.Sha256) is { } problem) problems.Add(problem);
            var named = inputs.Select(i => i.Path).ToHashSet(StringComparer.Ordinal);
            // A key log put beside a capture since would decrypt what the published tables did not.
            var found = CaptureFile.Discover(rawFolder);
            foreach (var name in found.Select(c => c.RelativeName).Concat(found.SelectMany(c => c.KeyLogs).Select(k => k.RelativeName)).Distinct())
                if (!named.Contains(name)) problems.Add($"input {name}: in {rawFolder} but not in the manifest (rerun make all)");
        }
        var reference = ManifestReference.In(manifest.RootElement);
        if (referenceLock is not null) problems.AddRange(LockDifferences(reference, referenceLock));
        // The files the tables were attributed with: a re-run with a taxonomy edited since attributes otherwise.
        if (taxonomyFolder is not null)
            foreach (var entry in reference.Where(e => e["role"] == ManifestReference.Taxonomy))
                if (Unlike("taxonomy", taxonomyFolder, entry["file"], entry["file_sha256"]) is { } problem) problems.Add(problem);
        foreach (var path in userDatabases ?? [])
        {
            var name = Path.GetFileName(path);
            var named = reference.Where(e => e["name"] == ManifestReference.UserDatabase && e["file"] == name).ToList();
            if (named.Count == 0) problems.Add($"user database {name}: not named in the manifest (the tables were made without it)");
            else if (named.All(e => e["file_sha256"] != Digest(path)))
                problems.Add($"user database {name}: another file than the tables were made with (sha256 differs from the manifest)");
        }
        return problems;
    }

    /// <summary>
    /// The verify verb's whole check: the folder against itself, and against each of the raw folder, the taxonomy, the
    /// reference lock and the user's own databases that is there to check. A database of the user's own is checked where
    /// the user holds it, given or in <paramref name="externalFolder"/> under the name the manifest gives it: a licensed
    /// database is not redistributed. On a pass, the report says what was compared and names what could not be, for a
    /// published folder travels without its raw captures more often than with them, and a reader must not take "every
    /// input matches" from a check that read none; then the <see cref="Caveats"/>.
    /// </summary>
    public static VerifyReport Verify(string outputFolder, string rawFolder, string taxonomyFolder, string referenceLock,
        IReadOnlyList<string> givenDatabases, string externalFolder, string? programCommit)
    {
        var vouched = new List<string>();
        var notChecked = new List<string>();
        string? Checked(string path, bool there, string what, string missing)
        {
            if (there) vouched.Add(what);
            else notChecked.Add($"not checked: {missing}");
            return there ? path : null;
        }
        var raw = Checked(rawFolder, Directory.Exists(rawFolder), $"the inputs in {rawFolder}", $"the inputs, captures and key logs (no folder {rawFolder}; name it with --raw)");
        var taxonomy = Checked(taxonomyFolder, Directory.Exists(taxonomyFolder), $"the taxonomy in {taxonomyFolder}", $"the taxonomy (no folder {taxonomyFolder}; name it with --taxonomy)");
        var lockFile = Checked(referenceLock, File.Exists(referenceLock), $"the pins of {referenceLock}", $"the reference lock's pins (no file {referenceLock}; name it with --lock)");
        // Read once for the three questions asked of it: the databases it names, the check, the caveats.
        using var manifest = ManifestOf(outputFolder);
        List<string> databases = [.. givenDatabases, .. (manifest is null ? [] : UserDatabasesNamed(manifest.RootElement)).Where(n => givenDatabases.All(g => Path.GetFileName(g) != n))
            .Select(n => Path.Combine(externalFolder, n)).Where(File.Exists)];
        if (databases.Count > 0) vouched.Add($"the databases of your own ({string.Join(", ", databases.Select(Path.GetFileName))})");

        var problems = Run(outputFolder, manifest, raw, taxonomy, lockFile, databases);
        if (problems.Count > 0) return new VerifyReport(problems, []);
        var line = $"{outputFolder}: every published file matches SHA256SUMS and manifest.json" + (vouched.Count == 0 ? "" : $", and the manifest matches {Join(vouched)}");
        // No problem found means the manifest was there.
        return new VerifyReport([], [line, .. notChecked, .. Caveats(manifest!.RootElement, databases, programCommit)]);
    }

    /// <summary>The published folder's manifest, parsed; null when the folder has none.</summary>
    private static JsonDocument? ManifestOf(string outputFolder)
    {
        var path = Path.Combine(outputFolder, Manifest.FileName);
        return File.Exists(path) ? JsonDocument.Parse(File.ReadAllBytes(path)) : null;
    }

    private static IEnumerable<string> UserDatabasesNamed(JsonElement manifest) =>
        ManifestReference.In(manifest).Where(e => e["name"] == ManifestReference.UserDatabase).Select(e => e["file"]).Distinct();

    private static string Join(IReadOnlyList<string> parts) =>
        parts.Count <= 1 ? string.Concat(parts) : string.Join(", ", parts.Take(parts.Count - 1)) + " and " + parts[^1];

    /// <summary>
    /// What a check that passed could not vouch for, for a reader about to cite the folder or re-run it: the user's own
    /// databases not among <paramref name="databasesChecked"/>, tables made from a checkout with changes not committed,
    /// and tables made by another commit of the pipeline than <paramref name="programCommit"/>, the program checking them.
    /// </summary>
    public static IReadOnlyList<string> Caveats(string outputFolder, IReadOnlyList<string> databasesChecked, string? programCommit = null)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(outputFolder, Manifest.FileName)));
        return Caveats(manifest.RootElement, databasesChecked, programCommit);
    }

    private static List<string> Caveats(JsonElement manifest, IReadOnlyList<string> databasesChecked, string? programCommit)
    {
        var notes = UserDatabasesNamed(manifest).Where(n => databasesChecked.All(d => Path.GetFileName(d) != n))
            .Select(n => $"not checked: the manifest names a database of the user's own, {n}, which is not redistributed; pass your copy with --mmdb to check it")
            .ToList();
        if (ToolInfo.In(manifest) is not { } made) return notes;
        if (made.SourceModified == true)
            notes.Add($"made from a checkout with changes not committed to {made.GitCommit} (the manifest's source_modified): a re-run from that commit need not give these tables");
        // "unknown" on either side (no checkout) says nothing either way.
        if (made.GitCommit is { Length: 40 } && programCommit is { Length: 40 } && made.GitCommit != programCommit)
            notes.Add($"made by the pipeline at commit {made.GitCommit}; this program is built from {programCommit}: a re-run with it need not give these tables");
        return notes;
    }

    /// <summary>How a file the manifest names differs from the one in <paramref name="folder"/> now; null when it is the same.</summary>
    private static string? Unlike(string what, string folder, string name, string sha256)
    {
        var path = Path.Combine(folder, name);
        if (!File.Exists(path)) return $"{what} {name}: named in the manifest but not in {folder}";
        return Captures.FileHash.Sha256Hex(path) != sha256 ? $"{what} {name}: changed since the dataset was made (sha256 differs from the manifest)" : null;
    }

    /// <summary>
    /// The pinned artefacts whose digest in the lock file is not the manifest's, by name and file: a re-run with this
    /// lock enriches from other data. The manifest's entries of a user's database and of the taxonomy are not the lock's.
    /// </summary>
    private static IEnumerable<string> LockDifferences(IReadOnlyList<ManifestReference> reference, string referenceLock)
    {
        static Dictionary<(string Name, string File), string> ByFile(IEnumerable<ManifestReference> entries) =>
            entries.DistinctBy(e => (e["name"], e["file"])).ToDictionary(e => (e["name"], e["file"]), e => e["file_sha256"]);
        var published = ByFile(reference.Where(e => e["name"] != ManifestReference.UserDatabase && e["name"] != ManifestReference.Taxonomy));
        var pinned = ByFile(ManifestReference.ReadLock(referenceLock));
        static IEnumerable<(string Name, string File)> Ordered(IEnumerable<(string Name, string File)> keys) =>
            keys.OrderBy(k => k.Name, StringComparer.Ordinal).ThenBy(k => k.File, StringComparer.Ordinal);
        foreach (var (name, file) in Ordered(published.Keys))
        {
            if (!pinned.TryGetValue((name, file), out var now)) yield return $"reference {name} {file}: named in the manifest but not pinned by {referenceLock}";
            else if (now != published[(name, file)]) yield return $"reference {name} {file}: {referenceLock} pins another file (sha256 differs from the manifest)";
        }
        foreach (var (name, file) in Ordered(pinned.Keys.Where(k => !published.ContainsKey(k))))
            yield return $"reference {name} {file}: pinned by {referenceLock} but not in the manifest";
    }

    private static IEnumerable<(string Path, string Sha256)> Files(JsonDocument manifest, string property)
    {
        if (!manifest.RootElement.TryGetProperty(property, out var files) || files.ValueKind != JsonValueKind.Array) yield break;
        foreach (var f in files.EnumerateArray())
            yield return (f.GetProperty("path").GetString()!, f.GetProperty("sha256").GetString()!);
    }
}
