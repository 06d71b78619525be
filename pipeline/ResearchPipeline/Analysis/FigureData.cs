using Microsoft.Data.Analysis;

namespace ResearchPipeline.Analysis;

/// <summary>One cell of the app x field matrix: the app sent the field to a Meta host.</summary>
public sealed record FieldCell(string App, string Field, string Category, bool PersonalData, int Requests);

/// <summary>
/// Apps in rows, semantic fields in columns grouped by data category (<see cref="FieldCategories"/> gives each
/// column's), and the cells that were sent.
/// </summary>
public sealed record FieldMatrix(IReadOnlyList<string> Apps, IReadOnlyList<string> Fields, IReadOnlyList<string> FieldCategories, IReadOnlyList<FieldCell> Cells);

/// <summary>A parent organisation, the organisations under it that were contacted, and the apps that contacted them.</summary>
public sealed record OrganisationReach(string Parent, IReadOnlyList<string> Organisations, IReadOnlyList<string> Apps);

/// <summary>A bar of a breakdown: a label and how many.</summary>
public sealed record LabelCount(string Label, int Count);

/// <summary>
/// What the key figures show, computed from the published tables only (never from the pipeline's internals),
/// so a notebook, a test and `research-pipeline figures` see the same numbers. Every ordering is explicit
/// (by count, then ordinal by name) so the figures do not depend on row order.
///
/// Traffic is counted from the primary capture of each recording session (captures.primary_in_session), the
/// capture app_facebook_fields counts too: a session recorded as HAR, flow file and pcapng at once would
/// otherwise count every request three times. DNS queries are left out of "where data goes": their host is the
/// name asked for and their address the resolver's, so they say nothing about where the app's data went.
/// </summary>
public static class FigureData
{
    public const string NoAddress = "(no server address recorded)";

    /// <summary>The app x field matrix of app_facebook_fields; an app is labelled with its platform.</summary>
    public static FieldMatrix MetaFields(DataFrame appFacebookFields)
    {
        var apps = FrameColumns.Strings(appFacebookFields, "app_id");
        var platforms = FrameColumns.Strings(appFacebookFields, "platform");
        var fields = FrameColumns.Strings(appFacebookFields, "semantic");
        var categories = FrameColumns.Strings(appFacebookFields, "category");
        var personal = FrameColumns.Booleans(appFacebookFields, "personal_data");
        var requests = FrameColumns.Int32s(appFacebookFields, "request_count");
        var cells = new List<FieldCell>();
        for (var i = 0; i < apps.Length; i++)
        {
            if (apps[i] is not { } app || fields[i] is not { } field) continue;
            cells.Add(new FieldCell(AppLabel(app, platforms[i]), field, categories[i] ?? "unknown", personal[i] == true, requests[i] ?? 0));
        }
        var appOrder = cells.Select(c => c.App).Distinct().Order(StringComparer.Ordinal).ToList();
        var fieldOrder = cells.GroupBy(c => c.Field)
            .Select(g => (Field: g.Key, Category: g.Select(c => c.Category).Order(StringComparer.Ordinal).First()))
            .OrderBy(f => f.Category, StringComparer.Ordinal).ThenBy(f => f.Field, StringComparer.Ordinal)
            .ToList();
        var sorted = cells.OrderBy(c => c.App, StringComparer.Ordinal).ThenBy(c => c.Field, StringComparer.Ordinal).ToList();
        return new FieldMatrix(appOrder, [.. fieldOrder.Select(f => f.Field)], [.. fieldOrder.Select(f => f.Category)], sorted);
    }

    /// <summary>Parent organisations by the number of apps that exchanged traffic with any of their hosts.</summary>
    public static IReadOnlyList<OrganisationReach> OrganisationsByApps(DataFrame captures, DataFrame exchanges, DataFrame trackers)
    {
        var hosts = FrameColumns.Strings(trackers, "host");
        var organisations = FrameColumns.Strings(trackers, "organisation");
        var parents = FrameColumns.Strings(trackers, "parent_organisation");
        var owner = new Dictionary<string, (string Organisation, string Parent)>(StringComparer.Ordinal);
        for (var i = 0; i < hosts.Length; i++)
        {
            if (hosts[i] is not { } host || (organisations[i] ?? parents[i]) is not { } organisation) continue;
            owner.TryAdd(host, (organisation, parents[i] ?? organisation));
        }
        var contacts = CountedTraffic(captures, exchanges)
            .Where(t => t.Host is not null && owner.ContainsKey(t.Host))
            .Select(t => (t.App, Owner: owner[t.Host!]))
            .ToList();
        return contacts.GroupBy(c => c.Owner.Parent, StringComparer.Ordinal)
            .Select(g => new OrganisationReach(
                g.Key,
                g.Select(c => c.Owner.Organisation).Distinct().Order(StringComparer.Ordinal).ToList(),
                g.Select(c => c.App).Distinct().Order(StringComparer.Ordinal).ToList()))
            .OrderByDescending(r => r.Apps.Count).ThenBy(r => r.Parent, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Requests and flows by the country of the address contacted (ISO 3166-1 alpha-2).</summary>
    public static IReadOnlyList<LabelCount> RequestsByCountry(DataFrame captures, DataFrame exchanges, DataFrame endpoints) =>
        RequestsBy(captures, exchanges, endpoints, FrameColumns.Strings(endpoints, "country"));

    /// <summary>Requests and flows by the autonomous system announcing the address contacted ("AS32934 Facebook, Inc.").</summary>
    public static IReadOnlyList<LabelCount> RequestsByNetwork(DataFrame captures, DataFrame exchanges, DataFrame endpoints)
    {
        var asns = FrameColumns.UInt32s(endpoints, "asn");
        var orgs = FrameColumns.Strings(endpoints, "as_org");
        var labels = asns.Select((asn, i) => asn is null ? null : $"AS{asn.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)} {orgs[i]}".TrimEnd()).ToArray();
        return RequestsBy(captures, exchanges, endpoints, labels);
    }

    private static IReadOnlyList<LabelCount> RequestsBy(DataFrame captures, DataFrame exchanges, DataFrame endpoints, string?[] labels)
    {
        var hosts = FrameColumns.Strings(endpoints, "host");
        var addresses = FrameColumns.Strings(endpoints, "server_ip");
        var classes = FrameColumns.Strings(endpoints, "address_class");
        var where = new Dictionary<(string?, string?), string>();
        for (var i = 0; i < hosts.Length; i++)
        {
            var answer = labels[i]
                ?? (addresses[i] is null ? NoAddress : $"(not located: {classes[i] ?? "unknown"} address)");
            where.TryAdd((hosts[i], addresses[i]), answer);
        }
        return CountedTraffic(captures, exchanges)
            .Select(t => where.TryGetValue((t.Host, t.ServerIp), out var v) ? v : t.ServerIp is null ? NoAddress : "(not in endpoints)")
            .GroupBy(v => v, StringComparer.Ordinal)
            .Select(g => new LabelCount(g.Key, g.Count()))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Label, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The exchanges the figures count: those of primary captures, without DNS queries.</summary>
    public static IEnumerable<(string App, string? Host, string? ServerIp)> CountedTraffic(DataFrame captures, DataFrame exchanges)
    {
        var ids = FrameColumns.Strings(captures, "capture_id");
        var primary = FrameColumns.Booleans(captures, "primary_in_session");
        var counted = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < ids.Length; i++)
            if (ids[i] is { } id && primary[i] != false) counted.Add(id);

        var captureIds = FrameColumns.Strings(exchanges, "capture_id");
        var apps = FrameColumns.Strings(exchanges, "app_id");
        var kinds = FrameColumns.Strings(exchanges, "kind");
        var hosts = FrameColumns.Strings(exchanges, "host");
        var addresses = FrameColumns.Strings(exchanges, "server_ip");
        for (var i = 0; i < captureIds.Length; i++)
        {
            if (captureIds[i] is not { } capture || !counted.Contains(capture) || kinds[i] == "dns_query") continue;
            yield return (apps[i] ?? "", hosts[i], addresses[i]);
        }
    }

    private static string AppLabel(string app, string? platform) => platform is null ? app : $"{app} ({platform})";
}
