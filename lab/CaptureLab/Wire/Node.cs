using System.Globalization;
using System.Text;

namespace CaptureLab.Wire;

/// <summary>
/// A value the lab sends, with the meaning the ground truth gives each leaf. The same tree is serialised onto the
/// wire and flattened into truth rows, so the two cannot disagree.
/// </summary>
public abstract record Node;

/// <summary>
/// A scalar: string, long, double or bool. <paramref name="Semantic"/> is the truth's name for it;
/// <paramref name="NotSent"/> marks a placeholder the SDK writes in the field's place when it has no value to send
/// (iOS SDK >= 17 writes -1 for both disk sizes, wire-format doc 4; iOS >= 12.2 sends an empty ud as "{}", doc 3).
/// </summary>
public sealed record Leaf(object Value, string Semantic, bool NotSent = false) : Node;

public sealed record JsonArray(IReadOnlyList<Node> Items) : Node;

/// <summary>A JSON object whose members keep the order the SDK writes them in.</summary>
public sealed record JsonObject(IReadOnlyList<KeyValuePair<string, Node>> Members) : Node;

/// <summary>The semantic of a leaf no ground truth is written for (third parties' requests, the lab's own serialisation).</summary>
public static class Marker
{
    public const string NoTruth = "";
}

/// <summary>
/// JSON text as the SDKs write it. NSJSONSerialization (iOS) and Android's org.json both escape '/' as '\/'
/// (wire-format doc 1.1; doc 7.4 shows "\/v16.0\/" from Android) and leave non-ASCII unescaped.
/// </summary>
public static class JsonText
{
    public static string Write(Node node)
    {
        var sb = new StringBuilder();
        Append(sb, node);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, Node node)
    {
        switch (node)
        {
            case Leaf leaf:
                AppendScalar(sb, leaf.Value);
                break;
            case JsonArray array:
                sb.Append('[');
                for (var i = 0; i < array.Items.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    Append(sb, array.Items[i]);
                }
                sb.Append(']');
                break;
            case JsonObject obj:
                sb.Append('{');
                for (var i = 0; i < obj.Members.Count; i++)
                {
                    if (i > 0) sb.Append(',');
                    AppendString(sb, obj.Members[i].Key);
                    sb.Append(':');
                    Append(sb, obj.Members[i].Value);
                }
                sb.Append('}');
                break;
            case BatchItems batch:
                Append(sb, new JsonArray(batch.Requests.Select(r => (Node)new JsonObject(
                [
                    new("relative_url", new Leaf(r.RelativeUrl, Marker.NoTruth)),
                    new("method", new Leaf(r.Method, Marker.NoTruth)),
                ])).ToList()));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(node));
        }
    }

    private static void AppendScalar(StringBuilder sb, object value)
    {
        switch (value)
        {
            case string s: AppendString(sb, s); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            default: sb.Append(Number(value)); break;
        }
    }

    /// <summary>Numbers as both SDKs print them: integral values without a fraction (org.json prints 3725.0 as 3725).</summary>
    public static string Number(object value) => value switch
    {
        int i => i.ToString(CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d when d == Math.Floor(d) && Math.Abs(d) < 1e15 => ((long)d).ToString(CultureInfo.InvariantCulture),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        _ => throw new ArgumentOutOfRangeException(nameof(value), value, "not a number"),
    };

    private static void AppendString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '/': sb.Append("\\/"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                case < ' ': sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture)); break;
                default: sb.Append(c); break;
            }
        }
        sb.Append('"');
    }
}
