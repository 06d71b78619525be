using CsvHelper;

namespace ResearchPipeline.Taxonomy;

/// <summary>An organisation of the curated hierarchy (data/taxonomy/organisations.csv).</summary>
/// <param name="TrackerDbId">the id Ghostery's TrackerDB gives the same organisation, so both sources share one hierarchy.</param>
public sealed record Organisation(string Id, string Name, string? ParentId, string? Country, string? TrackerDbId, string Source);

/// <summary>
/// Organisation -> parent organisation (Instagram -> Meta Platforms, Firebase -> Google -> Alphabet). Columns:
/// organisation, name, parent, country, trackerdb_id, source. Every row names its source.
/// </summary>
public sealed class OrganisationCatalog
{
    private readonly Dictionary<string, Organisation> _byId;
    private readonly Dictionary<string, Organisation> _byTrackerDbId;

    private OrganisationCatalog(Dictionary<string, Organisation> byId)
    {
        _byId = byId;
        _byTrackerDbId = byId.Values.Where(o => o.TrackerDbId is not null).ToDictionary(o => o.TrackerDbId!, StringComparer.Ordinal);
    }

    public static OrganisationCatalog Empty { get; } = new(new Dictionary<string, Organisation>(StringComparer.Ordinal));

    public int Count => _byId.Count;

    public static OrganisationCatalog Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Read(stream, path);
    }

    public static OrganisationCatalog Read(Stream stream, string source)
    {
        var map = new Dictionary<string, Organisation>(StringComparer.Ordinal);
        using var reader = CsvReader.Create(stream, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#' });
        while (reader.Read())
        {
            var o = new Organisation(
                CsvRows.Required(reader, "organisation", source), CsvRows.Required(reader, "name", source),
                CsvRows.Optional(reader, "parent"), CsvRows.Optional(reader, "country"), CsvRows.Optional(reader, "trackerdb_id"),
                CsvRows.Required(reader, "source", source));
            if (!map.TryAdd(o.Id, o)) throw new InvalidDataException($"{source} line {reader.LineNumber}: organisation '{o.Id}' is listed twice");
        }
        foreach (var o in map.Values)
        {
            if (o.ParentId is not null && !map.ContainsKey(o.ParentId))
                throw new InvalidDataException($"{source}: organisation '{o.Id}' names parent '{o.ParentId}', which is not listed");
            if (Chain(map, o).Count > map.Count) throw new InvalidDataException($"{source}: organisation '{o.Id}' is its own ancestor");
        }
        return new OrganisationCatalog(map);
    }

    public Organisation? Find(string id) => _byId.GetValueOrDefault(id);

    public Organisation? FindByTrackerDbId(string trackerDbId) => _byTrackerDbId.GetValueOrDefault(trackerDbId);

    /// <summary>The organisation and its ancestors, nearest first.</summary>
    public IReadOnlyList<Organisation> Chain(Organisation organisation) => Chain(_byId, organisation);

    /// <summary>The top of the organisation's chain (itself when it has no parent).</summary>
    public Organisation Ultimate(Organisation organisation) => Chain(organisation)[^1];

    private static List<Organisation> Chain(Dictionary<string, Organisation> map, Organisation start)
    {
        var chain = new List<Organisation> { start };
        var current = start;
        while (current.ParentId is not null && map.TryGetValue(current.ParentId, out var parent) && chain.Count <= map.Count)
        {
            chain.Add(parent);
            current = parent;
        }
        return chain;
    }
}

internal static class CsvRows
{
    public static string Required(CsvReader reader, string column, string source)
    {
        var value = Optional(reader, column);
        return value ?? throw new InvalidDataException($"{source} line {reader.LineNumber}: column '{column}' must be given");
    }

    public static string? Optional(CsvReader reader, string column) =>
        reader.TryGetFieldIndex(column, out var i) && reader.GetStringOrNull(i) is { Length: > 0 } v ? v : null;
}
