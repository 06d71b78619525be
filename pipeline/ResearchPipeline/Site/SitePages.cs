using System.Text;
using ResearchPipeline.Dataset;
using static ResearchPipeline.Site.Html;

namespace ResearchPipeline.Site;

/// <summary>The app the index presents as the worked example, and what it reconstructs.</summary>
public sealed record WorkedExample(string AppId, string Title, string Summary);

/// <summary>One page of the site: its path inside the site folder, '/' separated, and its text.</summary>
public sealed record SitePage(string Path, string Content);

/// <summary>
/// The pages of the dataset site, written from a <see cref="SiteDataset"/> only. Rows are in the dataset's
/// ordinal order; nothing depends on the clock, the culture or the machine.
/// </summary>
public sealed class SitePages(SiteDataset data, WorkedExample example, string? citation)
{
    public const string MetaParent = "Meta Platforms, Inc.";

    public static string AppPath(string appId) => "apps/" + Slug(appId) + ".html";

    public static string OrganisationPath(string organisation) => "organisations/" + Slug(organisation) + ".html";

    public IEnumerable<SitePage> All()
    {
        yield return new SitePage("index.html", Index());
        yield return new SitePage("dictionary.html", Dictionary());
        foreach (var app in data.Apps) yield return new SitePage(AppPath(app.AppId), App(app));
        foreach (var organisation in Organisations()) yield return new SitePage(OrganisationPath(organisation), Organisation(organisation));
    }

    /// <summary>Parent organisations that at least one app contacted, ordinal.</summary>
    public IReadOnlyList<string> Organisations() =>
        data.Contacts.Select(c => data.OwnerOf(c.Host)).OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>An app's name without a trailing remark in brackets ("PixelPals (demonstration data)" -> "PixelPals"), for narrow column headings.</summary>
    private static string ShortName(SiteApp app) =>
        app.Name is { } name && name.EndsWith(')') && name.IndexOf(" (", StringComparison.Ordinal) is > 0 and var cut ? name[..cut] : app.Name ?? app.AppId;

    private string AppLabel(string appId) => data.Apps.FirstOrDefault(a => a.AppId == appId)?.Name is { } name ? $"{name} ({appId})" : appId;

    // ---------------------------------------------------------------- index

    private string Index()
    {
        var html = new StringBuilder();
        var exchanges = data.Contacts.Sum(c => c.Requests);
        var captures = data.Apps.SelectMany(a => a.Captures).ToList();
        var firsts = captures.Select(c => c.FirstUtc).OfType<DateTime>().ToList();
        var lasts = captures.Select(c => c.LastUtc).OfType<DateTime>().ToList();
        var sdks = data.Apps.SelectMany(a => a.Sdks).Distinct().Order(VersionOrder.Instance).ToList();
        var platforms = data.Apps.GroupBy(a => a.Platform ?? "not given").OrderBy(g => g.Key, StringComparer.Ordinal).ToList();

        html.Append("<h1>What mobile apps send to Meta and other trackers</h1>\n");
        html.Append("<p class=\"lead\">This dataset records, request by request, what mobile apps sent over the network: to Meta (Facebook) through its SDK, and to other trackers. It is derived from raw network captures by <code>research-pipeline</code> into Parquet tables. This site shows those tables for reading: look up an app to see what it sent, field by field, and to whom.</p>\n");
        if (data.Pseudonymised)
            html.Append("<p>Identifiers (advertising IDs, installation IDs, hashed e-mail addresses...) appear only as the keyed pseudonyms the tables publish (<code>hmac:</code>...); secrets such as access tokens are removed. No page shows anything the published tables do not hold.</p>\n");

        html.Append("<h2 id=\"coverage\">Coverage</h2>\n<dl class=\"facts\">\n");
        Fact(html, "Apps", Num(data.Apps.Count));
        Fact(html, "Platforms", string.Join(", ", platforms.Select(g => $"{Text(g.Key)} ({Num(g.Count())})")));
        Fact(html, "Meta SDK versions", sdks.Count == 0 ? "none recorded" : string.Join(", ", sdks.Select(Text)));
        Fact(html, "Capture files", $"{Num(captures.Count)} ({string.Join(", ", captures.GroupBy(c => c.Format).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{Text(g.Key)} {Num(g.Count())}"))}); {Num(captures.Count(c => c.Primary))} counted, one per recording session");
        var (from, to) = (Date(firsts.DefaultIfEmpty().Min()), Date(lasts.Concat(firsts).DefaultIfEmpty().Max()));
        Fact(html, "Recorded", firsts.Count == 0 ? "not recorded" : from == to ? $"on {from}" : $"{from} to {to}");
        Fact(html, "Requests and flows counted", Num(exchanges));
        Fact(html, "Quality problems", data.Problems.Count == 0 ? "none" : string.Join(", ", data.Problems.GroupBy(p => p.Severity).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{Num(g.Count())} {Text(g.Key)}")) + " (<a href=\"#quality\">listed below</a>)");
        html.Append("</dl>\n");

        html.Append("<h2 id=\"example\">Worked example: ").Append(Text(example.Title)).Append("</h2>\n");
        var exampleApp = data.Apps.FirstOrDefault(a => a.AppId == example.AppId);
        if (exampleApp is null)
            html.Append("<p>The worked example's app, ").Append(Text(example.AppId)).Append(", is not in this dataset.</p>\n");
        else
        {
            var fields = data.MetaFields.Where(f => f.AppId == example.AppId).ToList();
            html.Append("<p>").Append(Text(example.Summary)).Append("</p>\n");
            html.Append("<p>In this dataset, <a href=\"").Append(AppPath(exampleApp.AppId)).Append("\">").Append(Text(AppLabel(exampleApp.AppId)))
                .Append("</a> sent ").Append(Plural(fields.Count, "kind of data", "kinds of data")).Append(" to Meta, ")
                .Append(Num(fields.Count(f => f.PersonalData))).Append(" of them personal data or identifiers. <a href=\"")
                .Append(AppPath(exampleApp.AppId)).Append("\">Read the worked example</a>.</p>\n");
        }

        html.Append("<h2 id=\"apps\">Apps</h2>\n");
        html.Append("<form id=\"app-search\" class=\"search\" role=\"search\" hidden>\n<label for=\"app-query\">Search the apps</label>\n<input id=\"app-query\" type=\"search\" autocomplete=\"off\" aria-describedby=\"app-count\">\n<p id=\"app-count\" role=\"status\">").Append(Plural(data.Apps.Count, "app", "apps")).Append(" shown</p>\n</form>\n");
        Table(html, "app-list", "Apps in the dataset; select a column heading to sort (with script)",
            ["App", "Platform", "Version", "Meta SDK", "Kinds of data sent to Meta", "Of which personal", "Organisations contacted"],
            rows =>
            {
                foreach (var app in data.Apps)
                {
                    var fields = data.MetaFields.Where(f => f.AppId == app.AppId).ToList();
                    var organisations = data.Contacts.Where(c => c.AppId == app.AppId).Select(c => data.OwnerOf(c.Host)).OfType<string>().Distinct().Count();
                    rows.Append("<tr><th scope=\"row\" data-sort=\"").Append(Attr(app.Name ?? app.AppId)).Append("\"><a href=\"").Append(AppPath(app.AppId)).Append("\">")
                        .Append(Text(app.Name ?? app.AppId)).Append("</a><br><span class=\"id\">").Append(Text(app.AppId)).Append("</span></th>")
                        .Append("<td>").Append(Text(app.Platform ?? "not given")).Append("</td>")
                        .Append("<td>").Append(Text(app.Version ?? "not given")).Append("</td>")
                        .Append("<td>").Append(Text(app.Sdks.Count == 0 ? "none seen" : string.Join(", ", app.Sdks))).Append("</td>")
                        .Append("<td class=\"n\">").Append(Num(fields.Count)).Append("</td>")
                        .Append("<td class=\"n\">").Append(Num(fields.Count(f => f.PersonalData))).Append("</td>")
                        .Append("<td class=\"n\">").Append(Num(organisations)).Append("</td></tr>\n");
                }
            }, "sortable");

        HeatMap(html);

        html.Append("<h2 id=\"organisations\">Organisations</h2>\n<p>Who received the apps' traffic, by parent organisation (from the tracker taxonomy):</p>\n<ul>\n");
        foreach (var organisation in Organisations())
        {
            var apps = data.Contacts.Where(c => data.OwnerOf(c.Host) == organisation).Select(c => c.AppId).Distinct().Count();
            html.Append("<li><a href=\"").Append(OrganisationPath(organisation)).Append("\">").Append(Text(organisation)).Append("</a>: ")
                .Append(Plural(apps, "app", "apps")).Append("</li>\n");
        }
        html.Append("</ul>\n");

        html.Append("<h2 id=\"quality\">Quality problems</h2>\n");
        if (data.Problems.Count == 0) html.Append("<p>The pipeline recorded no problem.</p>\n");
        else
            Table(html, "quality-list", "Problems the pipeline recorded while reading and decoding the captures (the quality table)",
                ["Severity", "Stage", "What", "File", "Where"],
                rows =>
                {
                    foreach (var p in data.Problems)
                        rows.Append("<tr><td>").Append(Text(p.Severity)).Append("</td><td>").Append(Text(p.Stage)).Append("</td><td>").Append(Text(p.Message))
                            .Append("</td><td>").Append(Text(p.FileName)).Append("</td><td>").Append(Text(p.Location)).Append("</td></tr>\n");
                });

        html.Append("<h2 id=\"cite\">How to cite</h2>\n");
        if (citation is not null)
            html.Append("<p>Cite the dataset as its <a href=\"citation.cff\">citation file (CITATION.cff)</a> says, and name the git commit of the pipeline that produced it")
                .Append(data.Tool?.GitCommit is { } commit ? $" (this one: <code>{Text(commit)}</code>)" : "").Append('.')
                .Append(data.Tool?.SourceModified == true ? " The pipeline's source had changes not committed when these tables were made, so a re-run from that commit need not give them." : "")
                .Append("</p>\n");
        html.Append("<p>The tables are Parquet files in the published folder, beside <code>manifest.json</code> (inputs, reference data, tool")
            .Append(data.Tool?.Version is { Length: > 0 } v ? $" version {Text(v)}" : "").Append(", parameters), <code>datapackage.json</code> and <code>SHA256SUMS</code>. Check a copy against these digests from <code>manifest.json</code>:</p>\n");
        Table(html, "files", "Published files and their SHA-256 digests, from manifest.json",
            ["File", "Bytes", "SHA-256"],
            rows =>
            {
                foreach (var f in data.Files)
                    rows.Append("<tr><th scope=\"row\"><code>").Append(Text(f.Path)).Append("</code></th><td class=\"n\">").Append(Num(f.Bytes))
                        .Append("</td><td><code class=\"hash\">").Append(Text(f.Sha256)).Append("</code></td></tr>\n");
            });
        if (data.Reference.Count > 0)
        {
            html.Append("<p>The tables were enriched (countries, cities, networks) and attributed (trackers, companies) with this reference data, as <code>manifest.json</code> names it:</p>\n");
            Table(html, "reference", "Reference data the tables were made with, and its SHA-256 digests, from manifest.json",
                ["Data", "Version", "File", "SHA-256", "Licence"],
                rows =>
                {
                    foreach (var r in data.Reference)
                        rows.Append("<tr><th scope=\"row\">").Append(Text(r.Name)).Append("</th><td>").Append(Text(r.Version)).Append("</td><td><code>").Append(Text(r.File))
                            .Append("</code></td><td><code class=\"hash\">").Append(Text(r.Sha256)).Append("</code></td><td>").Append(Text(r.Licence)).Append("</td></tr>\n");
                });
        }
        html.Append("<p>What every column means: the <a href=\"dictionary.html\">data dictionary</a>.</p>\n");
        return Layout("", "What mobile apps send to Meta and other trackers", html.ToString(), script: true);
    }

    private static void Fact(StringBuilder html, string term, string value) =>
        html.Append("<div><dt>").Append(term).Append("</dt><dd>").Append(value).Append("</dd></div>\n");

    /// <summary>
    /// The app x field matrix as a table: fields in rows (grouped by category) and apps in columns, so it stays
    /// narrow at phone width; a cell says in how many requests the app sent the field, in words as well as colour.
    /// </summary>
    private void HeatMap(StringBuilder html)
    {
        var apps = data.Apps.Where(a => data.MetaFields.Any(f => f.AppId == a.AppId)).ToList();
        var fields = data.MetaFields.GroupBy(f => f.Semantic, StringComparer.Ordinal)
            .Select(g => (Semantic: g.Key, Category: g.Select(f => f.Category).Order(StringComparer.Ordinal).First(), Personal: g.Any(f => f.PersonalData)))
            .OrderBy(f => f.Category, StringComparer.Ordinal).ThenBy(f => f.Semantic, StringComparer.Ordinal).ToList();
        var cells = data.MetaFields.ToDictionary(f => (f.AppId, f.Semantic), f => f.Requests);
        var max = Math.Max(1, data.MetaFields.Select(f => f.Requests).DefaultIfEmpty(0).Max());

        html.Append("<h2 id=\"heat-map\">What each app sent to Meta</h2>\n");
        html.Append("<p>Each row is a kind of data, grouped by category; each column an app. A number is how many requests to Meta carried it (darker: more); a dot means the app did not send it. <span class=\"badge\">personal</span> marks personal data and identifiers.</p>\n");
        Table(html, "heat", "Kinds of data sent to Meta, by app (from app_facebook_fields)",
            ["Kind of data", .. apps.Select(a => $"<a href=\"{AppPath(a.AppId)}\">{Text(ShortName(a))}</a>")],
            rows =>
            {
                string? category = null;
                foreach (var f in fields)
                {
                    if (f.Category != category)
                    {
                        // One tbody per category, so its heading row labels exactly that group of rows.
                        if (category is not null) rows.Append("</tbody>\n<tbody>\n");
                        category = f.Category;
                        rows.Append("<tr class=\"group\"><th scope=\"rowgroup\" colspan=\"").Append(apps.Count + 1).Append("\">").Append(Text(category)).Append("</th></tr>\n");
                    }
                    rows.Append("<tr><th scope=\"row\">").Append(Text(PlainWords.Semantic(f.Semantic)));
                    if (f.Personal) rows.Append(" <span class=\"badge\">personal</span>");
                    rows.Append("<br><code>").Append(Text(f.Semantic)).Append("</code></th>");
                    foreach (var a in apps)
                    {
                        if (cells.TryGetValue((a.AppId, f.Semantic), out var n))
                            rows.Append("<td class=\"heat h").Append(1 + 3 * (n - 1) / max).Append("\">").Append(Num(n)).Append("</td>");
                        else
                            rows.Append("<td class=\"heat h0\"><span aria-hidden=\"true\">·</span><span class=\"sr\">not sent</span></td>");
                    }
                    rows.Append("</tr>\n");
                }
            }, "heat");
    }

    // ---------------------------------------------------------------- app

    private string App(SiteApp app)
    {
        var html = new StringBuilder();
        var title = app.Name ?? app.AppId;
        html.Append("<h1>").Append(Text(title)).Append("</h1>\n");
        if (app.AppId == example.AppId)
            html.Append("<p class=\"note\"><strong>Worked example: ").Append(Text(example.Title)).Append(".</strong> ").Append(Text(example.Summary)).Append("</p>\n");
        html.Append("<dl class=\"facts\">\n");
        Fact(html, "App identifier", "<code>" + Text(app.AppId) + "</code>");
        Fact(html, "Platform", Text(app.Platform ?? "not given"));
        Fact(html, "App version", Text(app.Version ?? "not given"));
        Fact(html, "Test device", Text(app.Device ?? "not given"));
        Fact(html, "Meta SDK", Text(app.Sdks.Count == 0 ? "none seen" : string.Join(", ", app.Sdks)));
        Fact(html, "Captures", string.Join("; ", app.Captures.Select(c => $"<code>{Text(c.FileName)}</code> ({Text(c.Format)}, {Plural(c.Exchanges, "record", "records")}{(c.Primary ? ", counted" : "")})")));
        Fact(html, "Recorded", Date(app.Captures.Select(c => c.FirstUtc).OfType<DateTime>().DefaultIfEmpty().Min() is var d && d != default ? d : null));
        html.Append("</dl>\n");

        var fields = data.MetaFields.Where(f => f.AppId == app.AppId).OrderBy(f => f.Category, StringComparer.Ordinal).ThenBy(f => f.Semantic, StringComparer.Ordinal).ToList();
        html.Append("<h2 id=\"meta\">What it sent to Meta</h2>\n");
        if (fields.Count == 0) html.Append("<p>The captures hold no request of this app to a Meta host.</p>\n");
        else
        {
            html.Append("<p>").Append(Plural(fields.Count, "kind of data", "kinds of data")).Append(", ").Append(Num(fields.Count(f => f.PersonalData)))
                .Append(" of them personal data or identifiers. <em>First seen</em> is the time after the start of the recording at which a request first carried it; the example is the value of that first occurrence as published.</p>\n");
            Table(html, "meta-fields", "Data sent to Meta, field by field (from app_facebook_fields)",
                ["Kind of data", "Category", "Personal data", "First seen", "Requests", "Example as published", "Meaning from the SDK source"],
                rows =>
                {
                    foreach (var f in fields)
                    {
                        rows.Append("<tr><th scope=\"row\">").Append(Text(PlainWords.Semantic(f.Semantic))).Append("<br><code>").Append(Text(f.Semantic)).Append("</code></th>")
                            .Append("<td>").Append(Text(f.Category)).Append("</td>")
                            .Append("<td>").Append(f.PersonalData ? "<strong>yes</strong>" : "no").Append("</td>")
                            .Append("<td class=\"n\">").Append(Seconds(f.FirstSeenSeconds)).Append("</td>")
                            .Append("<td class=\"n\">").Append(Num(f.Requests)).Append("</td>")
                            .Append("<td><code class=\"value\">").Append(Text(f.ExampleValue ?? "null")).Append("</code>");
                        if (f.ExampleKeyPath is { } kp) rows.Append("<br><span class=\"id\">in ").Append(Text(kp)).Append("</span>");
                        rows.Append("</td><td>");
                        Sources(rows, f.Sources);
                        rows.Append("</td></tr>\n");
                    }
                });
        }

        var contacts = data.Contacts.Where(c => c.AppId == app.AppId).ToList();
        html.Append("<h2 id=\"trackers\">Who it talked to</h2>\n");
        var byHost = contacts.GroupBy(c => c.Host, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (byHost.Count == 0) html.Append("<p>No request of this app was counted.</p>\n");
        else
            Table(html, "hosts", "Hosts contacted, with the tracker and organisation they belong to (from trackers)",
                ["Host", "Tracker", "Category", "Organisation", "Parent organisation", "Requests"],
                rows =>
                {
                    foreach (var g in byHost)
                    {
                        var h = data.Host(g.Key);
                        var parent = data.OwnerOf(g.Key);
                        rows.Append("<tr><th scope=\"row\"><code>").Append(Text(g.Key)).Append("</code></th>")
                            .Append("<td>").Append(Text(h?.TrackerName ?? "not a known tracker")).Append("</td>")
                            .Append("<td>").Append(Text(h?.Category ?? "")).Append("</td>")
                            .Append("<td>").Append(Text(h?.Organisation ?? "")).Append("</td><td>");
                        if (parent is not null) rows.Append("<a href=\"../").Append(OrganisationPath(parent)).Append("\">").Append(Text(parent)).Append("</a>");
                        rows.Append("</td><td class=\"n\">").Append(Num(g.Sum(c => c.Requests))).Append("</td></tr>\n");
                    }
                });

        html.Append("<h2 id=\"where\">Where its data went</h2>\n");
        if (contacts.Count == 0) html.Append("<p>No request of this app was counted.</p>\n");
        else
        {
            html.Append("<p>Country and network of the server address each request reached (from endpoints). Addresses that cannot be located, such as those of a recording proxy, are named as such rather than left out.</p>\n");
            Table(html, "destinations", "Requests by host, country and network",
                ["Host", "Country", "Network", "Requests"],
                rows =>
                {
                    foreach (var c in contacts)
                        rows.Append("<tr><th scope=\"row\"><code>").Append(Text(c.Host)).Append("</code></th><td>").Append(Text(c.Country)).Append("</td><td>")
                            .Append(Text(c.Network)).Append("</td><td class=\"n\">").Append(Num(c.Requests)).Append("</td></tr>\n");
                });
        }

        var identifiers = data.Identifiers.Where(i => i.AppId == app.AppId).ToList();
        html.Append("<h2 id=\"identifiers\">Identifiers and device values, to whom and how</h2>\n");
        if (identifiers.Count == 0) html.Append("<p>None of the test device's known values was found in this app's requests.</p>\n");
        else
        {
            html.Append("<p>Known values of the test device found in the requests (from identifier_matches): which value, to which host, where in the request and in what form. The values themselves are not published.</p>\n");
            Table(html, "identifier-flows", "Known device values found in requests, by host and form",
                ["Value", "Sent to", "Organisation", "Where in the request", "How it was sent", "Requests"],
                rows =>
                {
                    foreach (var i in identifiers)
                    {
                        var owner = data.OwnerOf(i.Host);
                        rows.Append("<tr><th scope=\"row\">").Append(Text(PlainWords.Identity(i.Identity))).Append("</th><td><code>").Append(Text(i.Host)).Append("</code></td><td>");
                        if (owner is not null) rows.Append("<a href=\"../").Append(OrganisationPath(owner)).Append("\">").Append(Text(owner)).Append("</a>");
                        else rows.Append("unknown");
                        rows.Append("</td><td>").Append(Text(i.Location)).Append(" <code>").Append(Text(i.KeyPath)).Append("</code></td><td>")
                            .Append(Text(PlainWords.Transform(i.Transform))).Append(" <span class=\"id\">(").Append(Text(i.Transform)).Append(")</span></td><td class=\"n\">")
                            .Append(Num(i.Requests)).Append("</td></tr>\n");
                    }
                });
        }
        return Layout("../", title, html.ToString());
    }

    /// <summary>
    /// The semantic dictionary's sources for a field, folded into a disclosure (native, no script) so a row stays
    /// one line high until the reader asks; the SDK references in them link to the code.
    /// </summary>
    private static void Sources(StringBuilder html, IReadOnlyList<string> sources)
    {
        if (sources.Count == 0) { html.Append("not given"); return; }
        var links = sources.SelectMany(SdkSources.Links).DistinctBy(l => l.Url).ToList();
        html.Append("<details class=\"sources\"><summary>").Append(Plural(sources.Count, "source", "sources"));
        if (links.Count > 0) html.Append(", ").Append(Plural(links.Count, "SDK link", "SDK links"));
        html.Append("</summary>");
        foreach (var source in sources) html.Append("<p class=\"source\">").Append(Text(source)).Append("</p>");
        if (links.Count > 0)
            html.Append("<p class=\"source\">Read the code: ")
                .Append(string.Join(", ", links.Select(l => $"<a href=\"{Attr(l.Url)}\" rel=\"external\">{Text(l.Text)}</a>"))).Append("</p>");
        html.Append("</details>");
    }

    // ---------------------------------------------------------------- organisation

    private string Organisation(string organisation)
    {
        var html = new StringBuilder();
        var hosts = data.Hosts.Where(h => (h.Parent ?? h.Organisation) == organisation).ToList();
        var contacted = data.Contacts.Where(c => data.OwnerOf(c.Host) == organisation).ToList();
        var apps = contacted.Select(c => c.AppId).Distinct().Order(StringComparer.Ordinal).ToList();
        html.Append("<h1>").Append(Text(organisation)).Append("</h1>\n");
        html.Append("<p>").Append(Plural(apps.Count, "app", "apps")).Append(" of the dataset sent ").Append(Plural(contacted.Sum(c => c.Requests), "request", "requests"))
            .Append(" to hosts of ").Append(Text(organisation)).Append(organisation.EndsWith('.') ? "" : ".")
            .Append(organisation == MetaParent ? " The <a href=\"../index.html#heat-map\">heat map</a> compares the apps field by field." : "").Append("</p>\n");

        Table(html, "org-hosts", "Hosts of this organisation in the tracker taxonomy (from trackers)",
            ["Host", "Tracker", "Category", "Organisation", "Country"],
            rows =>
            {
                foreach (var h in hosts)
                    rows.Append("<tr><th scope=\"row\"><code>").Append(Text(h.Host)).Append("</code></th><td>").Append(Text(h.TrackerName ?? "")).Append("</td><td>")
                        .Append(Text(h.Category ?? "")).Append("</td><td>").Append(Text(h.Organisation ?? "")).Append("</td><td>").Append(Text(h.OrganisationCountry ?? "")).Append("</td></tr>\n");
            });

        html.Append("<h2 id=\"apps\">Which apps send it what</h2>\n");
        foreach (var appId in apps)
        {
            var id = "app-" + Slug(appId);
            html.Append("<h3 id=\"").Append(id).Append("\"><a href=\"../").Append(AppPath(appId)).Append("\">").Append(Text(AppLabel(appId))).Append("</a></h3>\n");
            var fields = data.FieldsToHosts.Where(f => f.AppId == appId && data.OwnerOf(f.Host) == organisation)
                .GroupBy(f => f.Semantic, StringComparer.Ordinal)
                .Select(g => (Semantic: g.Key, g.First().Category, Personal: g.Any(f => f.PersonalData), Hosts: string.Join(", ", g.Select(f => f.Host).Distinct().Order(StringComparer.Ordinal)), Requests: g.Sum(f => f.Requests)))
                .OrderBy(f => f.Category, StringComparer.Ordinal).ThenBy(f => f.Semantic, StringComparer.Ordinal).ToList();
            var identifiers = data.Identifiers.Where(i => i.AppId == appId && data.OwnerOf(i.Host) == organisation)
                .GroupBy(i => i.Identity, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).ToList();
            var requests = contacted.Where(c => c.AppId == appId).Sum(c => c.Requests);
            html.Append("<p>").Append(Plural(requests, "request", "requests"));
            if (identifiers.Count > 0)
                html.Append("; device values found in them: ").Append(string.Join(", ", identifiers.Select(g =>
                    $"{Text(PlainWords.Identity(g.Key))} ({Text(string.Join("; ", g.Select(i => PlainWords.Transform(i.Transform)).Distinct().Order(StringComparer.Ordinal)))})")));
            html.Append(".</p>\n");
            if (fields.Count == 0)
            {
                html.Append("<p>No field of these requests has a known meaning.</p>\n");
                continue;
            }
            Table(html, id + "-fields", $"Kinds of data {Text(AppLabel(appId))} sent to {Text(organisation)} (decoded fields with a known meaning)",
                ["Kind of data", "Category", "Personal data", "Hosts", "Requests"],
                rows =>
                {
                    foreach (var f in fields)
                        rows.Append("<tr><th scope=\"row\">").Append(Text(PlainWords.Semantic(f.Semantic))).Append("<br><code>").Append(Text(f.Semantic)).Append("</code></th><td>")
                            .Append(Text(f.Category)).Append("</td><td>").Append(f.Personal ? "<strong>yes</strong>" : "no").Append("</td><td>").Append(Text(f.Hosts))
                            .Append("</td><td class=\"n\">").Append(Num(f.Requests)).Append("</td></tr>\n");
                });
        }
        return Layout("../", organisation, html.ToString());
    }

    // ---------------------------------------------------------------- dictionary

    private string Dictionary()
    {
        var html = new StringBuilder();
        var tables = Tables.All;
        html.Append("<h1>Data dictionary</h1>\n");
        html.Append("<p>Generated from the same table definitions as <code>docs/DATA_DICTIONARY.md</code>. Each table is one Parquet file in the published folder, rows sorted by the table's key. Types are Parquet types; a column may be null unless its meaning says otherwise.</p>\n");
        html.Append("<ul>\n");
        foreach (var t in tables) html.Append("<li><a href=\"#").Append(t.Name).Append("\"><code>").Append(Text(t.Name)).Append("</code></a>: a row is ").Append(Text(t.RowMeaning)).Append("</li>\n");
        html.Append("</ul>\n");
        foreach (var t in tables)
        {
            html.Append("<h2 id=\"").Append(t.Name).Append("\"><code>").Append(Text(t.Name)).Append("</code></h2>\n");
            html.Append("<p>File <code>").Append(Text(t.FileName)).Append("</code>; a row is ").Append(Text(t.RowMeaning)).Append(".</p>\n");
            Table(html, "table-" + t.Name, $"Columns of {Text(t.Name)}", ["Column", "Type", "Meaning"], rows =>
            {
                foreach (var c in t.Columns)
                    rows.Append("<tr><th scope=\"row\"><code>").Append(Text(c.Name)).Append("</code></th><td>").Append(Text(c.TypeName)).Append("</td><td>").Append(Text(c.Description)).Append("</td></tr>\n");
            });
        }
        return Layout("", "Data dictionary", html.ToString());
    }

    // ---------------------------------------------------------------- layout

    private string Layout(string root, string title, string main, bool script = false)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>").Append(Text(title)).Append(root.Length == 0 && title.StartsWith("What", StringComparison.Ordinal) ? "" : " · app traffic dataset").Append("</title>\n");
        html.Append("<link rel=\"stylesheet\" href=\"").Append(root).Append("style.css\">\n</head>\n<body>\n");
        html.Append("<a class=\"skip\" href=\"#main\">Skip to the content</a>\n");
        html.Append("<header><nav aria-label=\"Site\"><a href=\"").Append(root).Append("index.html\">Dataset</a> <a href=\"").Append(root).Append("index.html#apps\">Apps</a> <a href=\"")
            .Append(root).Append("index.html#organisations\">Organisations</a> ");
        if (data.Apps.Any(a => a.AppId == example.AppId)) html.Append("<a href=\"").Append(root).Append(AppPath(example.AppId)).Append("\">Worked example</a> ");
        html.Append("<a href=\"")
            .Append(root).Append("dictionary.html\">Data dictionary</a></nav></header>\n");
        html.Append("<main id=\"main\">\n").Append(main).Append("</main>\n");
        html.Append("<footer><p>Generated by research-pipeline").Append(data.Tool?.Version is { Length: > 0 } v ? " " + Text(v) : "")
            .Append(" from the published tables").Append(data.Tool?.GitCommit is { } c ? $" of commit <code>{Text(c[..Math.Min(12, c.Length)])}</code>" : "")
            .Append(data.Tool?.SourceModified == true ? " with changes not committed" : "").Append(".</p></footer>\n");
        if (script) html.Append("<script src=\"").Append(root).Append("site.js\"></script>\n");
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }
}

/// <summary>Orders "FBiOSSDK 5.15.1" before "FBiOSSDK 17.4.0": runs of digits compare as numbers, the rest ordinally.</summary>
internal sealed partial class VersionOrder : IComparer<string>
{
    public static readonly VersionOrder Instance = new();

    [System.Text.RegularExpressions.GeneratedRegex(@"\d+|\D+")]
    private static partial System.Text.RegularExpressions.Regex Runs();

    public int Compare(string? x, string? y)
    {
        var a = Runs().Matches(x ?? "");
        var b = Runs().Matches(y ?? "");
        for (var i = 0; i < Math.Min(a.Count, b.Count); i++)
        {
            var (p, q) = (a[i].Value, b[i].Value);
            var c = char.IsAsciiDigit(p[0]) && char.IsAsciiDigit(q[0])
                ? p.TrimStart('0').Length.CompareTo(q.TrimStart('0').Length) is var l and not 0 ? l : string.CompareOrdinal(p.TrimStart('0'), q.TrimStart('0'))
                : string.CompareOrdinal(p, q);
            if (c != 0) return c;
        }
        return a.Count.CompareTo(b.Count) is var n and not 0 ? n : string.CompareOrdinal(x, y);
    }
}
