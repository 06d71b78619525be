using System.Globalization;

namespace ResearchPipeline.Captures.Mitmproxy;

/// <summary>
/// The format version a flow says it is written in. Until mitmproxy 3.0 the field was the release's version
/// list (<c>[0, 18, 2]</c>), of which only major and minor matter; since then it is one integer that grows
/// with every change of the flow dictionary, independent of releases (mitmproxy <c>io/compat.py</c>).
/// </summary>
internal sealed record FlowFormatVersion(string Name)
{
    public override string ToString() => Name;

    public static FlowFormatVersion Release(int major, int minor) => new($"{major}.{minor}");

    public static FlowFormatVersion Number(int version) => new(version.ToString(CultureInfo.InvariantCulture));

    /// <summary>Reads the <c>version</c> field; null where it is missing or neither a list of integers nor an integer.</summary>
    public static FlowFormatVersion? Of(TNetDict flow) => flow["version"] switch
    {
        TNetInteger i when i.Value is >= 0 and <= int.MaxValue => Number((int)i.Value),
        TNetList { Items: [TNetInteger major, TNetInteger minor, ..] } when major.Value is >= 0 and <= int.MaxValue && minor.Value is >= 0 and <= int.MaxValue
            => Release((int)major.Value, (int)minor.Value),
        _ => null,
    };

    /// <summary>How the field looked, for a problem message about a version we cannot read.</summary>
    public static string Describe(TNetValue? value) => value switch
    {
        null => "missing",
        TNetList l => "[" + string.Join(", ", l.Items.Select(i => TNetDict.AsText(i) ?? i.GetType().Name)) + "]",
        _ => TNetDict.AsText(value) ?? value.GetType().Name,
    };
}
