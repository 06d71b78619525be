using System.Text.Json;
using Microsoft.Data.Analysis;
using ResearchPipeline.Analysis;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Site;

/// <summary>An app as its captures describe it.</summary>
public sealed record SiteApp(
    string AppId, string? Name, string? Platform, string? Version, string? Device,
    IReadOnlyList<string> Sdks, IReadOnlyList<SiteCapture> Captures);

/// <summary>One input file of an app.</summary>
public sealed record SiteCapture(string FileName, string Format, DateTime? FirstUtc, DateTime? LastUtc, int Exchanges, int Problems, bool Primary);

/// <summary>One kind of data an app sent to Meta (a row of app_facebook_fields), with the sources of its meaning.</summary>
public sealed record MetaField(
    string AppId, string Semantic, string Category, bool PersonalData, double? FirstSeenSeconds, int Requests,
    string? Endpoints, string? ExampleValue, string? ExampleKeyPath, IReadOnlyList<string> Sources);

/// <summary>A host and who it belongs to (a row of trackers); nulls when no taxonomy knows it.</summary>
public sealed record SiteHost(string Host, string? TrackerName, string? Category, string? Organisation, string? Parent, string? OrganisationCountry);

/// <summary>Requests an app made to one host and address, with where that address is.</summary>
public sealed record Contact(string AppId, string Host, string Country, string Network, int Requests);

/// <summary>A known device value an app sent to a host, in one place and form.</summary>
public sealed record IdentifierFlow(string AppId, string Identity, string Host, string Location, string KeyPath, string Transform, int Requests);

/// <summary>A semantic field an app sent to a host (payload_fields joined with exchanges).</summary>
public sealed record FieldToHost(string AppId, string Host, string Semantic, string Category, bool PersonalData, int Requests);

/// <summary>A quality row.</summary>
public sealed record Problem(string Severity, string Stage, string Message, string FileName, string Location);

/// <summary>A published file named in manifest.json.</summary>
public sealed record PublishedFile(string Path, string Sha256, long Bytes);

/// <summary>
/// A file of reference data manifest.json names: a pinned artefact (its package and version, licence), a database of
/// the user's own (its type and build date) or a file of the curated taxonomy.
/// </summary>
public sealed record ReferenceFile(string Name, string Version, string File, string Sha256, string Licence);

/// <summary>
/// What the site shows, read from a published folder through <see cref="DatasetFrames"/> only, so the pages
/// can hold nothing the tables do not. Columns are read by name; a table that gains columns changes nothing here.
/// Traffic is counted as the figures count it (<see cref="FigureData.CountedTraffic"/>): primary captures only,
/// DNS queries left out, so a session recorded by three tools is not counted three times.
/// </summary>
public sealed record SiteDataset(
    IReadOnlyList<SiteApp> Apps,
    IReadOnlyList<MetaField> MetaFields,
    IReadOnlyList<SiteHost> Hosts,
    IReadOnlyList<Contact> Contacts,
    IReadOnlyList<IdentifierFlow> Identifiers,
    IReadOnlyList<FieldToHost> FieldsToHosts,
    IReadOnlyList<Problem> Problems,
    IReadOnlyList<PublishedFile> Files,
    IReadOnlyList<ReferenceFile> Reference,
    ToolInfo? Tool,
    bool Pseudonymised)
{
    public static SiteDataset Load(string processed)
    {
        DataFrame Table(string name) => DatasetFrames.Load(processed, name);
        var captures = Table("captures");
        var exchanges = Table("exchanges");
        var payload = Table("payload_fields");
        var primary = PrimaryCaptures(captures);
        var exchangeHost = ExchangeHosts(exchanges, primary);

        var (files, reference, tool, pseudonymised) = ReadManifest(Path.Combine(processed, "manifest.json"));
        return new SiteDataset(
            ReadApps(captures, exchanges),
            ReadMetaFields(Table("app_facebook_fields"), SemanticSources(payload)),
            ReadHosts(Table("trackers")),
            ReadContacts(exchanges, primary, Table("endpoints")),
            ReadIdentifiers(Table("identifier_matches"), primary),
            ReadFieldsToHosts(payload, exchangeHost),
            ReadProblems(Table("quality")),
            files, reference, tool, pseudonymised);
    }

    public SiteHost? Host(string host) => Hosts.FirstOrDefault(h => h.Host == host);

    /// <summary>A host's parent organisation, else its organisation; null when no taxonomy knows it.</summary>
    public string? OwnerOf(string host) => Host(host) is { } h ? h.Parent ?? h.Organisation : null;

    private static HashSet<string> PrimaryCaptures(DataFrame captures)
    {
        var ids = FrameColumns.Strings(captures, "capture_id");
        var primary = FrameColumns.Booleans(captures, "primary_in_session");
        var set = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] is { } id && primary[i] != false) set.Add(id);
        return set;
    }

    /// <summary>exchange_id -> (app, host) for the exchanges that count.</summary>
    private static Dictionary<string, (string App, string Host)> ExchangeHosts(DataFrame exchanges, HashSet<string> primary)
    {
        var ids = FrameColumns.Strings(exchanges, "exchange_id");
        var captureIds = FrameColumns.Strings(exchanges, "capture_id");
        var apps = FrameColumns.Strings(exchanges, "app_id");
        var hosts = FrameColumns.Strings(exchanges, "host");
        var kinds = FrameColumns.Strings(exchanges, "kind");
        var map = new Dictionary<string, (string, string)>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] is { } id && captureIds[i] is { } c && primary.Contains(c) && kinds[i] != "dns_query" && apps[i] is { } app && hosts[i] is { } host)
                map[id] = (app, host);
        return map;
    }

    private static IReadOnlyList<SiteApp> ReadApps(DataFrame captures, DataFrame exchanges)
    {
        var ids = FrameColumns.Strings(captures, "app_id");
        var names = FrameColumns.Strings(captures, "app_name");
        var platforms = FrameColumns.Strings(captures, "platform");
        var versions = FrameColumns.Strings(captures, "app_version");
        var devices = FrameColumns.Strings(captures, "device_id");
        var files = FrameColumns.Strings(captures, "file_name");
        var formats = FrameColumns.Strings(captures, "format");
        var firsts = Times(captures, "first_time_utc");
        var lasts = Times(captures, "last_time_utc");
        var counts = FrameColumns.Int32s(captures, "exchange_count");
        var problems = FrameColumns.Int32s(captures, "problem_count");
        var primary = FrameColumns.Booleans(captures, "primary_in_session");

        var sdkApps = FrameColumns.Strings(exchanges, "app_id");
        var sdks = FrameColumns.Strings(exchanges, "sdk");
        var sdkByApp = sdkApps.Select((a, i) => (App: a, Sdk: sdks[i]))
            .Where(x => x.App is not null && x.Sdk is not null)
            .GroupBy(x => x.App!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(x => x.Sdk!).Distinct().Order(StringComparer.Ordinal).ToList(), StringComparer.Ordinal);

        return Enumerable.Range(0, ids.Length)
            .Where(i => ids[i] is not null)
            .GroupBy(i => ids[i]!, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g =>
            {
                var rows = g.ToList();
                string? First(string?[] column) => rows.Select(i => column[i]).Where(v => v is not null).Order(StringComparer.Ordinal).FirstOrDefault();
                var files_ = rows.Select(i => new SiteCapture(files[i] ?? "", formats[i] ?? "unknown", firsts[i], lasts[i], counts[i] ?? 0, problems[i] ?? 0, primary[i] != false))
                    .OrderBy(c => c.FileName, StringComparer.Ordinal).ToList();
                return new SiteApp(g.Key, First(names), First(platforms), First(versions), First(devices),
                    sdkByApp.GetValueOrDefault(g.Key) ?? [], files_);
            })
            .ToList();
    }

    private static DateTime?[] Times(DataFrame frame, string column)
    {
        var c = frame.Columns[column] as PrimitiveDataFrameColumn<DateTime>
            ?? throw new ArgumentException($"column {column} is not a time column");
        var values = new DateTime?[c.Length];
        for (long i = 0; i < c.Length; i++) values[i] = c[i];
        return values;
    }

    /// <summary>
    /// The sources the semantic dictionary gave for a semantic in an app's own requests, as published in
    /// payload_fields: an iOS app's field is explained by the iOS SDK's code, not by every SDK's.
    /// </summary>
    private static Dictionary<(string App, string Semantic), IReadOnlyList<string>> SemanticSources(DataFrame payload)
    {
        var apps = FrameColumns.Strings(payload, "app_id");
        var semantics = FrameColumns.Strings(payload, "semantic");
        var sources = FrameColumns.Strings(payload, "semantic_source");
        return semantics.Select((s, i) => (App: apps[i], Semantic: s, Source: sources[i]))
            .Where(x => x.App is not null && x.Semantic is not null && x.Source is not null)
            .GroupBy(x => (x.App!, x.Semantic!))
            .ToDictionary(g => g.Key, g => (IReadOnlyList<string>)g.Select(x => x.Source!).Distinct().Order(StringComparer.Ordinal).ToList());
    }

    private static IReadOnlyList<MetaField> ReadMetaFields(DataFrame fields, Dictionary<(string App, string Semantic), IReadOnlyList<string>> sources)
    {
        var apps = FrameColumns.Strings(fields, "app_id");
        var semantics = FrameColumns.Strings(fields, "semantic");
        var categories = FrameColumns.Strings(fields, "category");
        var personal = FrameColumns.Booleans(fields, "personal_data");
        var firstSeen = FrameColumns.Doubles(fields, "first_seen_seconds");
        var requests = FrameColumns.Int32s(fields, "request_count");
        var endpoints = FrameColumns.Strings(fields, "endpoints");
        var examples = FrameColumns.Strings(fields, "example_value");
        var keyPaths = FrameColumns.Strings(fields, "example_key_path");
        var rows = new List<MetaField>();
        for (var i = 0; i < apps.Length; i++)
        {
            if (apps[i] is not { } app || semantics[i] is not { } semantic) continue;
            rows.Add(new MetaField(app, semantic, categories[i] ?? "unknown", personal[i] == true, firstSeen[i], requests[i] ?? 0,
                endpoints[i], examples[i], keyPaths[i], sources.GetValueOrDefault((app, semantic)) ?? []));
        }
        return rows.OrderBy(r => r.AppId, StringComparer.Ordinal).ThenBy(r => r.Semantic, StringComparer.Ordinal).ToList();
    }

    private static IReadOnlyList<SiteHost> ReadHosts(DataFrame trackers)
    {
        var hosts = FrameColumns.Strings(trackers, "host");
        var names = FrameColumns.Strings(trackers, "tracker_name");
        var categories = FrameColumns.Strings(trackers, "category");
        var organisations = FrameColumns.Strings(trackers, "organisation");
        var parents = FrameColumns.Strings(trackers, "parent_organisation");
        var countries = FrameColumns.Strings(trackers, "organisation_country");
        return Enumerable.Range(0, hosts.Length).Where(i => hosts[i] is not null)
            .Select(i => new SiteHost(hosts[i]!, names[i], categories[i], organisations[i], parents[i], countries[i]))
            .DistinctBy(h => h.Host).OrderBy(h => h.Host, StringComparer.Ordinal).ToList();
    }

    private static IReadOnlyList<Contact> ReadContacts(DataFrame exchanges, HashSet<string> primary, DataFrame endpoints)
    {
        var eHosts = FrameColumns.Strings(endpoints, "host");
        var eIps = FrameColumns.Strings(endpoints, "server_ip");
        var countries = FrameColumns.Strings(endpoints, "country");
        var asns = FrameColumns.UInt32s(endpoints, "asn");
        var asOrgs = FrameColumns.Strings(endpoints, "as_org");
        var classes = FrameColumns.Strings(endpoints, "address_class");
        var where = new Dictionary<(string?, string?), (string Country, string Network)>();
        for (var i = 0; i < eHosts.Length; i++)
        {
            var notLocated = eIps[i] is null ? "no server address recorded" : $"not located ({classes[i] ?? "unknown"} address)";
            var network = asns[i] is { } asn ? $"AS{asn.ToString(System.Globalization.CultureInfo.InvariantCulture)} {asOrgs[i]}".TrimEnd() : notLocated;
            where.TryAdd((eHosts[i], eIps[i]), (countries[i] ?? notLocated, network));
        }
        var ids = FrameColumns.Strings(exchanges, "capture_id");
        var apps = FrameColumns.Strings(exchanges, "app_id");
        var kinds = FrameColumns.Strings(exchanges, "kind");
        var hosts = FrameColumns.Strings(exchanges, "host");
        var ips = FrameColumns.Strings(exchanges, "server_ip");
        var counted = new List<(string App, string Host, string Country, string Network)>();
        for (var i = 0; i < ids.Length; i++)
        {
            if (ids[i] is not { } c || !primary.Contains(c) || kinds[i] == "dns_query" || apps[i] is not { } app || hosts[i] is not { } host) continue;
            var (country, network) = where.TryGetValue((host, ips[i]), out var w) ? w
                : ips[i] is null ? ("no server address recorded", "no server address recorded") : ("not in endpoints", "not in endpoints");
            counted.Add((app, host, country, network));
        }
        return counted.GroupBy(x => x)
            .Select(g => new Contact(g.Key.App, g.Key.Host, g.Key.Country, g.Key.Network, g.Count()))
            .OrderBy(c => c.AppId, StringComparer.Ordinal).ThenBy(c => c.Host, StringComparer.Ordinal)
            .ThenBy(c => c.Country, StringComparer.Ordinal).ThenBy(c => c.Network, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>identifier_matches of primary captures; exchange_id begins with the capture's first 16 hex digits.</summary>
    private static IReadOnlyList<IdentifierFlow> ReadIdentifiers(DataFrame matches, HashSet<string> primary)
    {
        var prefixes = primary.Select(p => p[..Math.Min(16, p.Length)]).ToHashSet(StringComparer.Ordinal);
        var exchangeIds = FrameColumns.Strings(matches, "exchange_id");
        var apps = FrameColumns.Strings(matches, "app_id");
        var identities = FrameColumns.Strings(matches, "identity");
        var locations = FrameColumns.Strings(matches, "location");
        var keyPaths = FrameColumns.Strings(matches, "key_path");
        var transforms = FrameColumns.Strings(matches, "transform");
        var hosts = FrameColumns.Strings(matches, "host");
        var rows = new List<(string App, string Identity, string Host, string Location, string KeyPath, string Transform, string Exchange)>();
        for (var i = 0; i < exchangeIds.Length; i++)
        {
            if (exchangeIds[i] is not { } id || !prefixes.Contains(id.Split(':')[0]) || apps[i] is not { } app || identities[i] is not { } identity) continue;
            rows.Add((app, identity, hosts[i] ?? "", locations[i] ?? "", keyPaths[i] ?? "", transforms[i] ?? "", id));
        }
        return rows.GroupBy(r => (r.App, r.Identity, r.Host, r.Location, r.KeyPath, r.Transform))
            .Select(g => new IdentifierFlow(g.Key.App, g.Key.Identity, g.Key.Host, g.Key.Location, g.Key.KeyPath, g.Key.Transform, g.Select(r => r.Exchange).Distinct().Count()))
            .OrderBy(f => f.AppId, StringComparer.Ordinal).ThenBy(f => f.Identity, StringComparer.Ordinal).ThenBy(f => f.Host, StringComparer.Ordinal)
            .ThenBy(f => f.Location, StringComparer.Ordinal).ThenBy(f => f.KeyPath, StringComparer.Ordinal).ThenBy(f => f.Transform, StringComparer.Ordinal)
            .ToList();
    }

    private static IReadOnlyList<FieldToHost> ReadFieldsToHosts(DataFrame payload, Dictionary<string, (string App, string Host)> exchangeHost)
    {
        var exchangeIds = FrameColumns.Strings(payload, "exchange_id");
        var semantics = FrameColumns.Strings(payload, "semantic");
        var categories = FrameColumns.Strings(payload, "category");
        var personal = FrameColumns.Booleans(payload, "personal_data");
        var rows = new List<(string App, string Host, string Semantic, string Category, bool Personal, string Exchange)>();
        for (var i = 0; i < exchangeIds.Length; i++)
        {
            if (exchangeIds[i] is not { } id || semantics[i] is not { } semantic || !exchangeHost.TryGetValue(id, out var at)) continue;
            rows.Add((at.App, at.Host, semantic, categories[i] ?? "unknown", personal[i] == true, id));
        }
        return rows.GroupBy(r => (r.App, r.Host, r.Semantic))
            .Select(g => new FieldToHost(g.Key.App, g.Key.Host, g.Key.Semantic,
                g.Select(r => r.Category).Order(StringComparer.Ordinal).First(), g.Any(r => r.Personal), g.Select(r => r.Exchange).Distinct().Count()))
            .OrderBy(f => f.AppId, StringComparer.Ordinal).ThenBy(f => f.Host, StringComparer.Ordinal).ThenBy(f => f.Semantic, StringComparer.Ordinal)
            .ToList();
    }

    private static IReadOnlyList<Problem> ReadProblems(DataFrame quality)
    {
        var severities = FrameColumns.Strings(quality, "severity");
        var stages = FrameColumns.Strings(quality, "stage");
        var messages = FrameColumns.Strings(quality, "message");
        var files = FrameColumns.Strings(quality, "file_name");
        var locations = FrameColumns.Strings(quality, "location");
        return Enumerable.Range(0, severities.Length)
            .Select(i => new Problem(severities[i] ?? "", stages[i] ?? "", messages[i] ?? "", files[i] ?? "", locations[i] ?? ""))
            .OrderBy(p => p.Severity, StringComparer.Ordinal).ThenBy(p => p.Stage, StringComparer.Ordinal)
            .ThenBy(p => p.FileName, StringComparer.Ordinal).ThenBy(p => p.Message, StringComparer.Ordinal).ThenBy(p => p.Location, StringComparer.Ordinal)
            .ToList();
    }

    private static (IReadOnlyList<PublishedFile>, IReadOnlyList<ReferenceFile>, ToolInfo?, bool) ReadManifest(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no manifest.json at {path}", path);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = doc.RootElement;
        var files = root.TryGetProperty("outputs", out var outputs)
            ? outputs.EnumerateArray().Select(o => new PublishedFile(
                o.GetProperty("path").GetString() ?? "", o.GetProperty("sha256").GetString() ?? "",
                o.TryGetProperty("bytes", out var b) ? b.GetInt64() : 0))
                .OrderBy(f => f.Path, StringComparer.Ordinal).ToList()
            : [];
        // In the manifest's order: the lock's rows, then the user's databases, then the taxonomy.
        var reference = ManifestReference.In(root).Select(e => new ReferenceFile(e["name"],
            e["database_type"] is { Length: > 0 } type ? $"{type} built {e["built"]}" : e["package"] is { Length: > 0 } package ? $"{package}@{e["version"]}" : "",
            e["file"], e["file_sha256"], e["licence"])).ToList();
        var pseudonymised = !(root.TryGetProperty("parameters", out var p) && p.TryGetProperty("pseudonymise", out var ps) && ps.GetString() == "false");
        return (files, reference, ToolInfo.In(root), pseudonymised);
    }
}
