using CsvHelper;

namespace ResearchPipeline.Taxonomy;

/// <summary>One curated entry: a host suffix (the host and every name under it) and what it belongs to.</summary>
public sealed record OverlayEntry(string HostSuffix, string Tracker, string TrackerName, string Category, string OrganisationId, string Source);

/// <summary>
/// The project's own taxonomy for mobile SDK endpoints that web-centric lists miss (data/taxonomy/mobile-overlay.csv).
/// Columns: host, tracker, tracker_name, category (TrackerDB's category ids), organisation (an id of
/// organisations.csv), source. Every row names its source.
/// </summary>
public sealed class TaxonomyOverlay
{
    private readonly Dictionary<string, OverlayEntry> _byHost;

    private TaxonomyOverlay(Dictionary<string, OverlayEntry> byHost, string version)
    {
        _byHost = byHost;
        Version = version;
    }

    public static TaxonomyOverlay Empty { get; } = new(new Dictionary<string, OverlayEntry>(StringComparer.Ordinal), "");

    /// <summary>How rows cite the overlay: its file name and the first 12 hex digits of its sha256.</summary>
    public string Version { get; }

    public int Count => _byHost.Count;

    public static TaxonomyOverlay Load(string path, OrganisationCatalog organisations)
    {
        var bytes = File.ReadAllBytes(path);
        var version = $"{Path.GetFileName(path)} sha256:{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes))[..12]}";
        return Read(new MemoryStream(bytes), path, version, organisations);
    }

    public static TaxonomyOverlay Read(Stream stream, string source, string version, OrganisationCatalog organisations)
    {
        var map = new Dictionary<string, OverlayEntry>(StringComparer.Ordinal);
        using var reader = CsvReader.Create(stream, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
        while (reader.Read())
        {
            var entry = new OverlayEntry(
                CsvRows.Required(reader, "host", source).ToLowerInvariant().TrimEnd('.'),
                CsvRows.Required(reader, "tracker", source), CsvRows.Required(reader, "tracker_name", source),
                CsvRows.Required(reader, "category", source), CsvRows.Required(reader, "organisation", source),
                CsvRows.Required(reader, "source", source));
            if (organisations.Find(entry.OrganisationId) is null)
                throw new InvalidDataException($"{source} line {reader.LineNumber}: organisation '{entry.OrganisationId}' is not in organisations.csv");
            if (!map.TryAdd(entry.HostSuffix, entry))
                throw new InvalidDataException($"{source} line {reader.LineNumber}: host '{entry.HostSuffix}' is listed twice");
        }
        return new TaxonomyOverlay(map, version);
    }

    /// <summary>The entry for the longest suffix of <paramref name="host"/> the overlay lists.</summary>
    public OverlayEntry? Find(string host) => HostSuffixes.Longest(host, _byHost);
}

internal static class HostSuffixes
{
    /// <summary>The value of the longest of host, its parent, grandparent... that the map holds.</summary>
    public static T? Longest<T>(string host, IReadOnlyDictionary<string, T> map) where T : class
    {
        var name = host;
        while (true)
        {
            if (map.TryGetValue(name, out var value)) return value;
            var dot = name.IndexOf('.');
            if (dot < 0) return null;
            name = name[(dot + 1)..];
        }
    }
}
