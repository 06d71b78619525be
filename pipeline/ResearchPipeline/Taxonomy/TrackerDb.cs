using System.Text.Json;

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
        using var stream = File.OpenRead(path);
        return Read(stream, version);
    }

    public static TrackerDb Read(Stream stream, string version)
    {
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var organisations = new Dictionary<string, TrackerDbOrganisation>(StringComparer.Ordinal);
        if (root.TryGetProperty("organizations", out var orgs))
        {
            foreach (var o in orgs.EnumerateObject())
                organisations[o.Name] = new TrackerDbOrganisation(o.Name, Text(o.Value, "name") ?? o.Name, Text(o.Value, "country"));
        }
        var patterns = new Dictionary<string, TrackerPattern>(StringComparer.Ordinal);
        if (root.TryGetProperty("patterns", out var pats))
        {
            foreach (var p in pats.EnumerateObject())
                patterns[p.Name] = new TrackerPattern(p.Name, Text(p.Value, "name") ?? p.Name, Text(p.Value, "category"), Text(p.Value, "organization"));
        }
        var byDomain = new Dictionary<string, TrackerPattern>(StringComparer.Ordinal);
        if (root.TryGetProperty("domains", out var domains))
        {
            foreach (var d in domains.EnumerateObject())
            {
                if (d.Value.ValueKind == JsonValueKind.String && patterns.TryGetValue(d.Value.GetString()!, out var pattern))
                    byDomain[d.Name.ToLowerInvariant()] = pattern;
            }
        }
        return new TrackerDb(byDomain, organisations, version);
    }

    public TrackerPattern? Find(string host) => HostSuffixes.Longest(host, _byDomain);

    public TrackerDbOrganisation? Organisation(string? id) => id is null ? null : _organisations.GetValueOrDefault(id);

    private static string? Text(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
}
