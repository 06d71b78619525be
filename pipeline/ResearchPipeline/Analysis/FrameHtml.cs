using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Data.Analysis;

namespace ResearchPipeline.Analysis;

/// <summary>
/// A DataFrame as a plain HTML table, for notebooks: Microsoft.Data.Analysis brings no notebook formatter of its
/// own that is served here, and the kernel's default shows a DataFrame as a tree of objects. Cells are escaped,
/// numbers and times are written in the invariant culture (round-trip for doubles, ISO 8601 for times), nulls are
/// shown as "null", so a notebook's saved output is the same on every machine.
/// </summary>
public static class FrameHtml
{
    public static string Render(DataFrame frame, int maxRows = 50) =>
        Table(frame.Columns.Select(c => c.Name).ToList(), frame.Rows.Count, row => frame.Columns.Select(c => c[row]), maxRows);

    /// <summary>Rows of any record or anonymous type, one column per public property in declaration order.</summary>
    public static string Render<[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicProperties)] T>(
        IEnumerable<T> rows, int maxRows = 50)
    {
        var properties = typeof(T).GetProperties();
        var list = rows.ToList();
        return Table(properties.Select(p => p.Name).ToList(), list.Count, row => properties.Select(p => p.GetValue(list[(int)row])), maxRows);
    }

    private static string Table(IReadOnlyList<string> columns, long rowCount, Func<long, IEnumerable<object?>> cells, int maxRows)
    {
        var html = new StringBuilder();
        html.Append("<table><thead><tr>");
        foreach (var column in columns) html.Append("<th>").Append(WebUtility.HtmlEncode(column)).Append("</th>");
        html.Append("</tr></thead><tbody>");
        var shown = Math.Min(rowCount, maxRows);
        for (long row = 0; row < shown; row++)
        {
            html.Append("<tr>");
            foreach (var cell in cells(row)) html.Append("<td>").Append(WebUtility.HtmlEncode(Text(cell))).Append("</td>");
            html.Append("</tr>");
        }
        html.Append("</tbody></table>");
        html.Append("<p>").Append(rowCount.ToString(CultureInfo.InvariantCulture)).Append(rowCount == 1 ? " row" : " rows");
        if (shown < rowCount) html.Append(", first ").Append(shown.ToString(CultureInfo.InvariantCulture)).Append(" shown");
        html.Append("</p>");
        return html.ToString();
    }

    public static string Text(object? value) => value switch
    {
        null => "null",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        float f => f.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        DateTime t => t.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        System.Collections.IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Text)),
        var other => other.ToString() ?? "",
    };
}
