using Microsoft.Data.Analysis;
using ScottPlot;

namespace ResearchPipeline.Analysis;

/// <summary>A drawn figure, the file name it is published under, and the size it is rendered at.</summary>
public sealed record Figure(string FileName, Plot Plot, int Width, int Height)
{
    public byte[] Png() => Plot.GetImageBytes(Width, Height, ImageFormat.Png);
}

/// <summary>
/// The key figures of the dataset, drawn from <see cref="FigureData"/>. The same tables give the same PNG bytes
/// on a machine with the same fonts: nothing is timed, random or hash-ordered, and the font is named (DejaVu Sans,
/// Debian's fonts-dejavu-core) rather than left to whatever the system offers first.
/// </summary>
public static class Figures
{
    public const string Font = "DejaVu Sans";

    private static readonly Color Sent = Color.FromHex("#4C72B0");
    private static readonly Color SentPersonal = Color.FromHex("#DD5A3A");
    private static readonly Color NotSent = Color.FromHex("#F0F0F0");
    private static readonly Color Bars = Color.FromHex("#4C72B0");

    /// <summary>Every figure `research-pipeline figures` writes, from the tables in a published folder.</summary>
    public static IReadOnlyList<Figure> All(string processedFolder)
    {
        var captures = DatasetFrames.Load(processedFolder, "captures");
        var exchanges = DatasetFrames.Load(processedFolder, "exchanges");
        var endpoints = DatasetFrames.Load(processedFolder, "endpoints");
        return
        [
            MetaFieldHeatmap(FigureData.MetaFields(DatasetFrames.Load(processedFolder, "app_facebook_fields"))),
            OrganisationsByApps(FigureData.OrganisationsByApps(captures, exchanges, DatasetFrames.Load(processedFolder, "trackers"))),
            RequestsByCountry(FigureData.RequestsByCountry(captures, exchanges, endpoints)),
            RequestsByNetwork(FigureData.RequestsByNetwork(captures, exchanges, endpoints)),
        ];
    }

    /// <summary>Which fields each app sends to Meta: apps down, fields across grouped by data category, personal data in red.</summary>
    public static Figure MetaFieldHeatmap(FieldMatrix matrix)
    {
        var plot = NewPlot();
        var sent = matrix.Cells.ToDictionary(c => (c.App, c.Field));
        for (var a = 0; a < matrix.Apps.Count; a++)
        {
            var y = matrix.Apps.Count - 1 - a;
            for (var f = 0; f < matrix.Fields.Count; f++)
            {
                var color = sent.TryGetValue((matrix.Apps[a], matrix.Fields[f]), out var cell) ? (cell.PersonalData ? SentPersonal : Sent) : NotSent;
                var box = plot.Add.Rectangle(f - 0.45, f + 0.45, y - 0.45, y + 0.45);
                box.FillColor = color;
                box.LineWidth = 0;
            }
        }
        // Category names across the top, centred over their columns, with a rule between categories.
        var groups = matrix.FieldCategories.Select((category, column) => (category, column)).GroupBy(x => x.category).ToList();
        plot.Axes.Top.SetTicks(groups.Select(g => (g.First().column + g.Last().column) / 2.0).ToArray(), groups.Select(g => g.Key).ToArray());
        plot.Axes.Top.TickLabelStyle.Rotation = -45;
        plot.Axes.Top.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        plot.Axes.Top.MinimumSize = 80;
        plot.Axes.Right.MinimumSize = 70;
        plot.Axes.Top.TickLabelStyle.IsVisible = true;
        plot.Axes.Top.MajorTickStyle.Length = 4;
        foreach (var g in groups.Skip(1))
        {
            var rule = plot.Add.VerticalLine(g.First().column - 0.5);
            rule.Color = Colors.Black;
            rule.LineWidth = 1;
        }
        plot.Axes.Left.SetTicks(Positions(matrix.Apps.Count).Reverse().ToArray(), [.. matrix.Apps]);
        plot.Axes.Bottom.SetTicks(Positions(matrix.Fields.Count), [.. matrix.Fields]);
        plot.Axes.Bottom.TickLabelStyle.Rotation = 90;
        plot.Axes.Bottom.TickLabelStyle.Alignment = Alignment.MiddleLeft;
        // ScottPlot sizes an axis by its labels unrotated; rotated field names need room for their length.
        plot.Axes.Bottom.MinimumSize = 50 + 7 * matrix.Fields.Select(f => f.Length).DefaultIfEmpty(0).Max();
        plot.Axes.SetLimits(-0.6, matrix.Fields.Count - 0.4, -0.6, matrix.Apps.Count - 0.4);
        plot.Axes.SetLimitsX(-0.6, matrix.Fields.Count - 0.4, plot.Axes.Top);
        plot.HideGrid();
        plot.XLabel("semantic field sent to a Meta host (app_facebook_fields.semantic)");
        plot.YLabel("app (platform)");
        plot.Title("Fields each app sends to Meta, by data category");
        plot.Legend.ManualItems.AddRange(
        [
            new LegendItem { LabelText = "sent, personal data or identifier", FillColor = SentPersonal },
            new LegendItem { LabelText = "sent", FillColor = Sent },
            new LegendItem { LabelText = "not sent", FillColor = NotSent },
        ]);
        plot.ShowLegend(Edge.Bottom);
        return new Figure("meta-fields-by-app.png", plot, Width: 320 + 18 * matrix.Fields.Count, Height: 300 + 7 * matrix.Fields.Select(f => f.Length).DefaultIfEmpty(0).Max() + 34 * matrix.Apps.Count);
    }

    /// <summary>Parent organisations by the number of apps that contacted any of their hosts.</summary>
    public static Figure OrganisationsByApps(IReadOnlyList<OrganisationReach> reach, int top = 20)
    {
        var shown = reach.Take(top).Select(r => new LabelCount(
            r.Organisations.SequenceEqual([r.Parent]) ? r.Parent : $"{r.Parent} ({string.Join(", ", r.Organisations.Where(o => o != r.Parent))})",
            r.Apps.Count)).ToList();
        return HorizontalBars("organisations-by-apps.png", shown, "Organisations (ultimate parent) by number of apps contacting them", "apps", "parent (organisations)");
    }

    /// <summary>Requests and flows by the country of the server address.</summary>
    public static Figure RequestsByCountry(IReadOnlyList<LabelCount> counts, int top = 15) =>
        HorizontalBars("requests-by-country.png", [.. counts.Take(top)], "Requests by country of the server address", "requests and flows (primary capture of each session, DNS excluded)", "country (GeoIP)");

    /// <summary>Requests and flows by the autonomous system of the server address.</summary>
    public static Figure RequestsByNetwork(IReadOnlyList<LabelCount> counts, int top = 15) =>
        HorizontalBars("requests-by-asn.png", [.. counts.Take(top)], "Requests by network (autonomous system) of the server address", "requests and flows (primary capture of each session, DNS excluded)", "autonomous system");

    private static Figure HorizontalBars(string fileName, IReadOnlyList<LabelCount> items, string title, string valueAxis, string labelAxis)
    {
        var plot = NewPlot();
        if (items.Count == 0) items = [new LabelCount("(nothing to show)", 0)];
        var bars = items.Select((x, i) => new Bar
        {
            Position = items.Count - 1 - i,
            Value = x.Count,
            FillColor = Bars,
            Label = x.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).ToList();
        var plottable = plot.Add.Bars(bars);
        plottable.Horizontal = true;
        plottable.ValueLabelStyle.FontName = Font;
        plot.Axes.Left.SetTicks(items.Select((_, i) => (double)(items.Count - 1 - i)).ToArray(), items.Select(x => x.Label).ToArray());
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.Axes.Margins(left: 0, right: 0.12);
        plot.HideGrid();
        plot.XLabel(valueAxis);
        plot.YLabel(labelAxis);
        plot.Title(title);
        return new Figure(fileName, plot, 1200, Math.Max(420, 200 + 40 * items.Count));
    }

    private static Plot NewPlot()
    {
        var plot = new Plot();
        plot.Font.Set(Font);
        return plot;
    }

    private static double[] Positions(int count) => Enumerable.Range(0, count).Select(i => (double)i).ToArray();
}
