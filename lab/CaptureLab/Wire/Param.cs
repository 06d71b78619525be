namespace CaptureLab.Wire;

public enum Platform
{
    Ios,
    Android,
}

/// <summary>
/// One request parameter. A <see cref="Leaf"/> is sent as its string form; an array or object is sent as JSON
/// text inside the parameter ("nested structures are pre-serialised JSON strings", wire-format doc 1.1).
/// </summary>
public sealed record Param(string Name, Node Value)
{
    public static Param Of(string name, object value, string semantic) => new(name, new Leaf(value, semantic));

    /// <summary>A parameter of a third party's request, for which no ground truth is written.</summary>
    public static Param ThirdParty(string name, string value) => new(name, new Leaf(value, Marker.NoTruth));

    /// <summary>
    /// The parameter's value on the wire. iOS turns NSNumber into stringValue and booleans into "1"/"0";
    /// Android calls toString(), so booleans become "true"/"false" (wire-format doc 1.1, 1.2).
    /// </summary>
    public string WireValue(Platform platform) => Value switch
    {
        Leaf { Value: string s } => s,
        Leaf { Value: bool b } => platform == Platform.Ios ? (b ? "1" : "0") : (b ? "true" : "false"),
        Leaf leaf => JsonText.Number(leaf.Value),
        var nested => JsonText.Write(nested),
    };
}

/// <summary>
/// One field of the ground truth: where it was sent, its key path once decoded, its meaning and value, and
/// whether the value is only a placeholder the SDK sends where it has nothing to send (see <see cref="Leaf"/>).
/// </summary>
public sealed record TruthField(string Location, string KeyPath, string Semantic, string Value, bool NotSent = false);

public static class Truth
{
    /// <summary>The leaves of a parameter as a decoder sees them after undoing every JSON layer.</summary>
    public static IEnumerable<TruthField> Flatten(Param param, Platform platform, string location, string prefix = "")
    {
        var path = prefix + param.Name;
        return param.Value is Leaf leaf
            ? [new TruthField(location, path, leaf.Semantic, param.WireValue(platform), leaf.NotSent)]
            : Leaves(param.Value, path, location);
    }

    private static IEnumerable<TruthField> Leaves(Node node, string path, string location)
    {
        switch (node)
        {
            case Leaf leaf:
                yield return new TruthField(location, path, leaf.Semantic, leaf.Value switch
                {
                    string s => s,
                    bool b => b ? "true" : "false",
                    var n => JsonText.Number(n),
                }, leaf.NotSent);
                break;
            case JsonArray { Items.Count: 0 } or JsonObject { Members.Count: 0 }:
                // An empty container has no leaf to carry its meaning; the script sends it as a named Leaf instead.
                throw new InvalidOperationException($"{path}: an empty JSON container has no semantic; send it as a Leaf");
            case JsonArray array:
                for (var i = 0; i < array.Items.Count; i++)
                {
                    foreach (var f in Leaves(array.Items[i], $"{path}[{i}]", location)) yield return f;
                }
                break;
            case JsonObject obj:
                foreach (var (key, value) in obj.Members)
                {
                    foreach (var f in Leaves(value, $"{path}.{key}", location)) yield return f;
                }
                break;
        }
    }
}
