using System.Text.Json;
using ResearchPipeline.Reference;

namespace ResearchPipeline.Taxonomy;

/// <summary>A TrackerDB pattern: one tracker, its category and organisation.</summary>
public sealed record TrackerPattern(string Id, string Name, string? Category, string? OrganisationId);

/// <summary>A TrackerDB organisation.</summary>
public sealed record TrackerDbOrganisation(string Id, string Name, string? Country);

/// <summary>
/// Ghostery's TrackerDB (npm @ghostery/trackerdb, dist/trackerdb.json): <c>domains</c> maps a domain to a
/// pattern id, <c>patterns</c> give name, category and organisation, <c>organizations</c> name and country.
/// A domain entry covers its subdomains, as in Ghostery's own matching.
/// </summary>
public sealed class TrackerDb
{
    private readonly Dictionary<string, TrackerPattern> _byDomain;
    private readonly Dictionary<string, TrackerDbOrganisation> _organisations;

    private TrackerDb(Dictionary<string, TrackerPattern> byDomain, Dictionary<string, TrackerDbOrganisation> organisations, string version)
    {
        _byDomain = byDomain;
        _organisations = organisations;
        Version = version;
    }

    public string Version { get; }

    public static TrackerDb Load(string path, string version)
    {
        try
        {
            using var file = new MappedFile(path);
            return Read(file.Bytes(0, file.Length), version);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads the file's three sections by name, token by token, skipping the rest (its filters, each pattern's domains
    /// and filters again): every run loads it, and a document of the whole file cost more than what is kept of it.
    /// </summary>
    public static TrackerDb Read(ReadOnlySpan<byte> json, string version)
    {
        var reader = new Utf8JsonReader(json);
        var organisations = new Dictionary<string, TrackerDbOrganisation>(StringComparer.Ordinal);
        var patterns = new Dictionary<string, TrackerPattern>(StringComparer.Ordinal);
        // A domain names its pattern by id, and the sections may come in any order: resolved once all are read.
        var domains = new List<(string Domain, string PatternId)>();
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException("a TrackerDB file is one JSON object");
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var section = reader.GetString()!;
            reader.Read();
            if (section is not ("organizations" or "patterns" or "domains"))
            {
                reader.Skip();
                continue;
            }
            if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"a TrackerDB's {section} is not an object");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var id = reader.GetString()!;
                reader.Read();
                if (section == "domains")
                {
                    if (reader.TokenType == JsonTokenType.String) domains.Add((id, reader.GetString()!));
                    else reader.Skip();
                    continue;
                }
                var (name, second, third) = Texts(ref reader, section == "organizations" ? OrganisationTexts : PatternTexts, section, id);
                if (section == "organizations") organisations[id] = new TrackerDbOrganisation(id, name ?? id, second);
                else patterns[id] = new TrackerPattern(id, name ?? id, second, third);
            }
        }
        var byDomain = new Dictionary<string, TrackerPattern>(StringComparer.Ordinal);
        foreach (var (domain, patternId) in domains)
        {
            if (patterns.TryGetValue(patternId, out var pattern)) byDomain[domain.ToLowerInvariant()] = pattern;
        }
        return new TrackerDb(byDomain, organisations, version);
    }

    private static readonly string[] OrganisationTexts = ["name", "country"];
    private static readonly string[] PatternTexts = ["name", "category", "organization"];

    /// <summary>An entry's text properties of these names (null where absent or not text), the rest of it skipped.</summary>
    private static (string? First, string? Second, string? Third) Texts(ref Utf8JsonReader reader, string[] names, string section, string id)
    {
        if (reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"a TrackerDB's {section} entry {id} is not an object");
        var texts = new string?[3];
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var at = names.Length - 1;
            while (at >= 0 && !reader.ValueTextEquals(names[at])) at--;
            reader.Read();
            if (at >= 0) texts[at] = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            reader.Skip();
        }
        return (texts[0], texts[1], texts[2]);
    }

    public TrackerPattern? Find(string host) => HostSuffixes.Longest(host, _byDomain);

    public TrackerDbOrganisation? Organisation(string? id) => id is null ? null : _organisations.GetValueOrDefault(id);
}
