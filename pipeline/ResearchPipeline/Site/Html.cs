using System.Globalization;
using System.Net;
using System.Text;

namespace ResearchPipeline.Site;

/// <summary>
/// Small HTML writing helpers. Everything that comes from a table goes through <see cref="Text"/>; numbers are
/// written in the invariant culture so a page is the same bytes on every machine.
/// </summary>
internal static class Html
{
    public static string Text(string? value) => WebUtility.HtmlEncode(value ?? "");

    public static string Attr(string? value) => WebUtility.HtmlEncode(value ?? "");

    public static string Num(int value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Num(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Seconds(double? value) => value is { } v ? v.ToString("0.00", CultureInfo.InvariantCulture) + " s" : "not recorded";

    public static string Date(DateTime? value) => value is { } v ? v.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "not recorded";

    public static string Plural(int n, string one, string many) => Num(n) + " " + (n == 1 ? one : many);

    /// <summary>A file name for a page: letters, digits, '.', '-' and '_' kept, anything else a '-'.</summary>
    public static string Slug(string name)
    {
        var sb = new StringBuilder();
        foreach (var ch in name.ToLowerInvariant())
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' ? ch : '-');
        var slug = sb.ToString().Trim('-', '.');
        while (slug.Contains("--", StringComparison.Ordinal)) slug = slug.Replace("--", "-", StringComparison.Ordinal);
        return slug.Length == 0 ? "unnamed" : slug;
    }

    /// <summary>
    /// A table inside a labelled, keyboard-scrollable region so a wide table scrolls on its own at phone width
    /// instead of widening the page. <paramref name="head"/> is the header cells; rows are written by the caller.
    /// </summary>
    public static void Table(StringBuilder html, string id, string caption, IEnumerable<string> head, Action<StringBuilder> rows, string? cssClass = null)
    {
        html.Append("<div class=\"scroll\" role=\"region\" tabindex=\"0\" aria-labelledby=\"").Append(id).Append("-caption\">\n");
        html.Append("<table id=\"").Append(id).Append('"');
        if (cssClass is not null) html.Append(" class=\"").Append(cssClass).Append('"');
        html.Append(">\n<caption id=\"").Append(id).Append("-caption\">").Append(caption).Append("</caption>\n<thead><tr>");
        foreach (var h in head) html.Append("<th scope=\"col\">").Append(h).Append("</th>");
        html.Append("</tr></thead>\n<tbody>\n");
        rows(html);
        html.Append("</tbody>\n</table>\n</div>\n");
    }
}
