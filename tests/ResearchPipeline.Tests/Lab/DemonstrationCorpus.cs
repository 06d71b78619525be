using System.Text;
using System.Text.Json;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Har;
using ResearchPipeline.Identity;
using ResearchPipeline.Run;
using ResearchPipeline.Study;

namespace ResearchPipeline.Tests.Lab;

/// <summary>The committed demonstration corpus (data/raw, recorded by lab/record.sh) and its ground truth.</summary>
internal static class DemonstrationCorpus
{
    public static string Raw => Path.Combine(TestFiles.RepositoryRoot, "data", "raw");

    /// <summary>Each recorded session: app folder and the path of the capture without its extension.</summary>
    public static IEnumerable<string> Sessions() =>
        Directory.Exists(Raw)
            ? Directory.GetFiles(Raw, "*.truth.csv", SearchOption.AllDirectories).Select(p => p[..^".truth.csv".Length]).Order(StringComparer.Ordinal)
            : [];

    public static string Name(string session) => Path.GetRelativePath(Raw, session).Replace(Path.DirectorySeparatorChar, '/');

    /// <summary>
    /// Each capture of the study as the parse stage reads it: with its app from apps.csv and its device's known values
    /// searched for (identify), in the raw folder's order.
    /// </summary>
    public static IEnumerable<(CaptureFile File, CaptureOutcome Outcome)> Parsed()
    {
        var apps = AppsCatalog.Load(Raw);
        var identify = new IdentifierMatchers(DevicesCatalog.Load(Raw), ReadLimits.Default);
        foreach (var file in CaptureFile.Discover(Raw)) yield return (file, CaptureParse.Run(file, apps, CaptureFormats.All, ReadLimits.Default, identify));
    }

    public static bool IsMeta(string host) => host.EndsWith(".facebook.com", StringComparison.Ordinal) || host.EndsWith(".fb.gg", StringComparison.Ordinal);

    /// <summary>
    /// One field the lab sent to Meta, named in the decoder dictionary's vocabulary. <paramref name="NotSent"/>
    /// marks a placeholder the SDK writes where it has no value (iOS SDK >= 17's -1 disks, an empty ud "{}").
    /// </summary>
    public sealed record TruthRow(string App, int Request, string Location, string KeyPath, string Semantic, string Value, bool NotSent);

    public static List<TruthRow> Truth(string session)
    {
        using var reader = CsvHelper.CsvReader.Create(File.OpenRead(session + ".truth.csv"));
        var rows = new List<TruthRow>();
        while (reader.Read())
        {
            rows.Add(new TruthRow(reader.GetStringOrNull("app")!, int.Parse(reader.GetStringOrNull("request")!, System.Globalization.CultureInfo.InvariantCulture),
                reader.GetStringOrNull("location")!, reader.GetStringOrNull("key_path")!, reader.GetStringOrNull("semantic")!, reader.GetStringOrNull("value") ?? "",
                reader.GetStringOrNull("not_sent") switch
                {
                    "true" => true,
                    "false" => false,
                    var other => throw new InvalidDataException($"{session}.truth.csv: not_sent must be true or false, found '{other}'"),
                }));
        }
        return rows;
    }

    public static List<CaptureRecord> ReadHar(string session)
    {
        using var stream = File.OpenRead(session + ".har");
        return new HarReader().Read(stream, ReadLimits.Default).ToList();
    }

    /// <summary>
    /// Every leaf field of a request, undoing every layer the SDKs add: query and form decoding, the iOS JSON
    /// object of strings, JSON nested in string values, and each iOS batch item's relative_url split into its
    /// Graph path and the parameters of its query (wire-format doc 1.3).
    /// This is a reference reading for checking the ground truth against the recorded bytes, not the pipeline's decoder.
    /// </summary>
    public static HashSet<(string Location, string KeyPath, string Value)> Leaves(Exchange exchange)
    {
        var leaves = new HashSet<(string, string, string)>();
        foreach (var (name, value) in QueryPairs(exchange.Target.Query, plusIsSpace: false)) Flatten(leaves, "query", name, value);
        var body = Encoding.UTF8.GetString(exchange.RequestBody.Span);
        if (body.StartsWith('{'))
        {
            using var doc = JsonDocument.Parse(body);
            foreach (var p in doc.RootElement.EnumerateObject()) Flatten(leaves, "body", p.Name, p.Value.GetString()!);
        }
        else if (body.Length > 0)
        {
            foreach (var (name, value) in QueryPairs(body, plusIsSpace: true)) Flatten(leaves, "body", name, value);
        }
        return leaves;
    }

    private static IEnumerable<(string, string)> QueryPairs(string text, bool plusIsSpace)
    {
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=');
            string Decode(string s) => Uri.UnescapeDataString(plusIsSpace ? s.Replace('+', ' ') : s);
            yield return eq < 0 ? (Decode(pair), "") : (Decode(pair[..eq]), Decode(pair[(eq + 1)..]));
        }
    }

    private static void Flatten(HashSet<(string, string, string)> leaves, string location, string path, string value)
    {
        if (value.Length > 1 && value[0] is '[' or '{')
        {
            using var doc = JsonDocument.Parse(value);
            Flatten(leaves, location, path, doc.RootElement);
            return;
        }
        if (!path.EndsWith(".relative_url", StringComparison.Ordinal))
        {
            leaves.Add((location, path, value));
            return;
        }
        var question = value.IndexOf('?');
        leaves.Add((location, $"{path}.path", question < 0 ? value : value[..question]));
        if (question < 0) return;
        foreach (var (name, v) in QueryPairs(value[(question + 1)..], plusIsSpace: false)) Flatten(leaves, location, $"{path}.query.{name}", v);
    }

    private static void Flatten(HashSet<(string, string, string)> leaves, string location, string path, JsonElement e)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object when !e.EnumerateObject().Any():
                leaves.Add((location, path, "{}"));
                break;
            case JsonValueKind.Array when e.GetArrayLength() == 0:
                leaves.Add((location, path, "[]"));
                break;
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject()) Flatten(leaves, location, $"{path}.{p.Name}", p.Value);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Flatten(leaves, location, $"{path}[{i++}]", item);
                break;
            case JsonValueKind.String:
                Flatten(leaves, location, path, e.GetString()!);
                break;
            case JsonValueKind.True or JsonValueKind.False:
                leaves.Add((location, path, e.ValueKind == JsonValueKind.True ? "true" : "false"));
                break;
            default:
                leaves.Add((location, path, e.GetRawText()));
                break;
        }
    }
}
