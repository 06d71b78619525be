using Microsoft.Data.Analysis;
using ScottPlot;

namespace ResearchPipeline.Analysis;

/// <summary>
/// The key figures of the dataset, drawn from the published tables only (never from the pipeline's
/// internals), so a notebook and `make figures` draw the same thing. Every ordering is explicit (by count,
/// then by name) so the pictures do not depend on row order.
/// </summary>
public static class Figures
{
    public const int Width = 1200;
    public const int Height = 800;

    /// <summary>Which fields each app sends to Meta: apps down, semantic fields across, a cell where sent.</summary>
    public static Plot MetaFieldHeatmap(DataFrame appFacebookFields)
    {
        var pairs = Rows(appFacebookFields, "app_id", "semantic").Where(p => p[0] is not null && p[1] is not null).Select(p => (App: p[0]!, Field: p[1]!)).Distinct().ToList();
        var apps = pairs.Select(p => p.App).Distinct().Order(StringComparer.Ordinal).ToArray();
        var fields = pairs.GroupBy(p => p.Field).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key).ToArray();
        var sent = pairs.ToHashSet();
        var cells = new double[Math.Max(1, apps.Length), Math.Max(1, fields.Length)];
        for (var a = 0; a < apps.Length; a++)
            for (var f = 0; f < fields.Length; f++)
                cells[a, f] = sent.Contains((apps[a], fields[f])) ? 1 : 0;

        var plot = new Plot();
        var heatmap = plot.Add.Heatmap(cells);
        heatmap.Colormap = new ScottPlot.Colormaps.Viridis();
        heatmap.FlipVertically = true;
        plot.Axes.Left.SetTicks(Enumerable.Range(0, apps.Length).Select(i => (double)(apps.Length - 1 - i)).ToArray(), apps);
        plot.Axes.Bottom.SetTicks(Enumerable.Range(0, fields.Length).Select(i => (double)i).ToArray(), fields);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 60;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Bottom.MinimumSize = 220;
        plot.Axes.Left.MinimumSize = 200;
        plot.Title("Fields each app sends to Meta");
        return plot;
    }

    /// <summary>Organisations (parent where known) by the number of apps that contacted them.</summary>
    public static Plot OrganisationsByApps(DataFrame exchanges, DataFrame trackers, int top = 20)
    {
        var owner = Rows(trackers, "host", "organisation", "parent_organisation")
            .Where(r => r[0] is not null && (r[1] ?? r[2]) is not null)
            .GroupBy(r => r[0]!)
            .ToDictionary(g => g.Key, g => g.First()[2] ?? g.First()[1]!, StringComparer.Ordinal);
        var counts = Rows(exchanges, "app_id", "host")
            .Where(r => r[1] is not null && owner.ContainsKey(r[1]!))
            .Select(r => (App: r[0]!, Org: owner[r[1]!]))
            .Distinct()
            .GroupBy(x => x.Org)
            .Select(g => (Org: g.Key, Apps: g.Count()))
            .OrderByDescending(x => x.Apps).ThenBy(x => x.Org, StringComparer.Ordinal)
            .Take(top)
            .ToList();
        return HorizontalBars(counts.Select(c => (c.Org, (double)c.Apps)).ToList(), "Organisations by number of apps", "apps");
    }

    /// <summary>Requests by country of the address contacted, or by AS organisation.</summary>
    public static Plot RequestsBy(DataFrame exchanges, DataFrame endpoints, string endpointColumn, string title, int top = 15)
    {
        var where = Rows(endpoints, "host", "server_ip", endpointColumn)
            .GroupBy(r => (r[0], r[1]))
            .ToDictionary(g => g.Key, g => g.First()[2] ?? "unknown");
        var counts = Rows(exchanges, "host", "server_ip")
            .Select(r => where.TryGetValue((r[0], r[1]), out var v) ? v : "unknown")
            .GroupBy(v => v)
            .Select(g => (Label: g.Key, Count: (double)g.Count()))
            .OrderByDescending(x => x.Count).ThenBy(x => x.Label, StringComparer.Ordinal)
            .Take(top)
            .ToList();
        return HorizontalBars(counts, title, "requests");
    }

    public static byte[] Png(Plot plot, int width = Width, int height = Height) => plot.GetImageBytes(width, height, ImageFormat.Png);

    private static Plot HorizontalBars(List<(string Label, double Value)> items, string title, string unit)
    {
        var plot = new Plot();
        var bars = items.Select((x, i) => new Bar { Position = items.Count - 1 - i, Value = x.Value, FillColor = Colors.SteelBlue }).ToList();
        plot.Add.Bars(bars).Horizontal = true;
        plot.Axes.Left.SetTicks(items.Select((_, i) => (double)(items.Count - 1 - i)).ToArray(), items.Select(x => x.Label).ToArray());
        plot.Axes.Left.MinimumSize = 260;
        plot.Axes.Margins(left: 0);
        plot.XLabel(unit);
        plot.Title(title);
        return plot;
    }

    private static IEnumerable<string?[]> Rows(DataFrame frame, params string[] columns)
    {
        var cols = columns.Select(c => frame.Columns.IndexOf(c) >= 0 ? frame.Columns[c] : throw new ArgumentException($"table has no column {c}")).ToArray();
        for (long i = 0; i < frame.Rows.Count; i++)
            yield return cols.Select(c => c[i] switch { null => null, string s => s, var v => Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) }).ToArray();
    }
}
