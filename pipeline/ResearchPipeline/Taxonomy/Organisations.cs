using CsvHelper;

namespace ResearchPipeline.Taxonomy;

/// <summary>An organisation of the curated hierarchy (data/taxonomy/organisations.csv).</summary>
/// <param name="TrackerDbId">the id Ghostery's TrackerDB gives the same organisation, so both sources share one hierarchy.</param>
public sealed record Organisation(string Id, string Name, string? ParentId, string? Country, string? TrackerDbId, string Source);

/// <summary>A name that denotes an organisation without being its name: a product, a brand, a former name, another source's name.</summary>
public sealed record OrganisationAlias(string Alias, string OrganisationId, string Source);

/// <summary>
/// Organisation -> parent organisation (Instagram -> Meta Platforms, Firebase -> Google -> Alphabet). Columns:
/// organisation, name, parent, country, trackerdb_id, source. Every row names its source.
/// </summary>
public sealed class OrganisationCatalog
{
    private readonly Dictionary<string, Organisation> _byId;
    private readonly Dictionary<string, Organisation> _byTrackerDbId;
    private readonly Dictionary<string, Organisation> _byAlias;
    private readonly Dictionary<string, Organisation> _byName;

    private OrganisationCatalog(Dictionary<string, Organisation> byId, IReadOnlyList<OrganisationAlias> aliases)
    {
        _byId = byId;
        _byTrackerDbId = byId.Values.Where(o => o.TrackerDbId is not null).ToDictionary(o => o.TrackerDbId!, StringComparer.Ordinal);
        _byAlias = aliases.ToDictionary(a => a.Alias, a => byId[a.OrganisationId], StringComparer.OrdinalIgnoreCase);
        _byName = byId.Values.ToDictionary(o => o.Name, StringComparer.OrdinalIgnoreCase);
        Aliases = aliases;
    }

    public static OrganisationCatalog Empty { get; } = new(new Dictionary<string, Organisation>(StringComparer.Ordinal), []);

    /// <summary>The file beside organisations.csv that lists the aliases.</summary>
    public const string AliasesFile = "organisation-aliases.csv";

    public int Count => _byId.Count;

    public IReadOnlyList<OrganisationAlias> Aliases { get; }

    /// <summary>The catalog, with the aliases of <see cref="AliasesFile"/> beside it where that file exists.</summary>
    public static OrganisationCatalog Load(string path)
    {
        using var stream = File.OpenRead(path);
        var aliasesPath = Path.Combine(Path.GetDirectoryName(path) ?? ".", AliasesFile);
        if (!File.Exists(aliasesPath)) return Read(stream, path);
        using var aliases = File.OpenRead(aliasesPath);
        return Read(stream, path, aliases, aliasesPath);
    }

    public static OrganisationCatalog Read(Stream stream, string source, Stream? aliases = null, string? aliasesSource = null)
    {
        var map = new Dictionary<string, Organisation>(StringComparer.Ordinal);
        using var reader = CsvReader.Create(stream, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
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
        return new OrganisationCatalog(map, aliases is null ? [] : ReadAliases(aliases, aliasesSource ?? AliasesFile, map));
    }

    /// <summary>
    /// Columns alias, organisation, source. An alias must name a listed organisation and must not be any
    /// organisation's name: were it, one organisation would be published under two names.
    /// </summary>
    private static List<OrganisationAlias> ReadAliases(Stream stream, string source, Dictionary<string, Organisation> map)
    {
        var taken = new HashSet<string>(map.Values.Select(o => o.Name), StringComparer.OrdinalIgnoreCase);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var aliases = new List<OrganisationAlias>();
        using var reader = CsvReader.Create(stream, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
        while (reader.Read())
        {
            var a = new OrganisationAlias(CsvRows.Required(reader, "alias", source), CsvRows.Required(reader, "organisation", source), CsvRows.Required(reader, "source", source));
            if (!map.ContainsKey(a.OrganisationId)) throw new InvalidDataException($"{source} line {reader.LineNumber}: alias '{a.Alias}' names organisation '{a.OrganisationId}', which is not listed");
            if (taken.Contains(a.Alias)) throw new InvalidDataException($"{source} line {reader.LineNumber}: alias '{a.Alias}' is an organisation's own name");
            if (!seen.Add(a.Alias)) throw new InvalidDataException($"{source} line {reader.LineNumber}: alias '{a.Alias}' is listed twice");
            aliases.Add(a);
        }
        return aliases;
    }

    /// <summary>The organisation with this id, or the one this alias (any letter case) denotes.</summary>
    public Organisation? Find(string id) => _byId.GetValueOrDefault(id) ?? _byAlias.GetValueOrDefault(id);

    /// <summary>The organisation another source names so: by its own name or an alias, in any letter case.</summary>
    public Organisation? FindByName(string name) => _byName.GetValueOrDefault(name) ?? _byAlias.GetValueOrDefault(name);

    /// <summary>Whether a name is an alias: never one a published table should carry.</summary>
    public bool IsAlias(string name) => _byAlias.ContainsKey(name);

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
