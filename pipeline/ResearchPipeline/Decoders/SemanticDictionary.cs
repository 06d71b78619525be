using CsvHelper;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Decoders;

/// <summary>What a decoded field means: its semantic name, data category, whether it is personal data, and why we say so.</summary>
public sealed record Semantic(string Name, string Category, bool PersonalData, string Source);

/// <summary>
/// One row of a semantic dictionary: in requests to <see cref="Endpoints"/> (names, or <c>*</c>), a field at
/// <see cref="Location"/> (<c>param</c> = query or body, <c>header</c>, <c>cookie</c>) whose key path relative to
/// its request matches <see cref="Key"/>, and, where <see cref="When"/> is given, whose sibling field has the
/// named value (<c>extinfo[0]=a2</c>), means <see cref="Meaning"/>. A value equal to <see cref="NotSentValue"/>
/// is a placeholder the sender puts where it sends nothing.
/// </summary>
public sealed record SemanticRule(
    IReadOnlySet<string> Endpoints,
    string Location,
    KeyPattern Key,
    string? WhenKey,
    IReadOnlySet<string>? WhenValues,
    Semantic Meaning,
    string? NotSentValue,
    long Line);

/// <summary>
/// A semantic dictionary read from CSV (columns <c>endpoint, location, key_pattern, when, semantic, category,
/// personal_data, not_sent, source</c>; lines starting with '#' are comments). The first row that matches
/// wins, so a file lists specific rows before the fallbacks that follow them.
/// </summary>
public sealed class SemanticDictionary
{
    private static readonly string[] Locations = ["param", "header", "cookie", "*"];

    public SemanticDictionary(IReadOnlyList<SemanticRule> rules) => Rules = rules;

    public IReadOnlyList<SemanticRule> Rules { get; }

    public static SemanticDictionary Read(Stream csv, string name)
    {
        var rules = new List<SemanticRule>();
        using var reader = CsvReader.Create(csv, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
        while (reader.Read())
        {
            string Required(string column) => reader.GetStringOrNull(column) is { Length: > 0 } v ? v
                : throw new InvalidDataException($"{name} line {reader.LineNumber}: column '{column}' is empty");
            var location = Required("location");
            if (!Locations.Contains(location)) throw new InvalidDataException($"{name} line {reader.LineNumber}: location '{location}' is not one of {string.Join(", ", Locations)}");
            var personal = Required("personal_data") switch
            {
                "true" => true,
                "false" => false,
                var other => throw new InvalidDataException($"{name} line {reader.LineNumber}: personal_data must be true or false, found '{other}'"),
            };
            string? whenKey = null;
            HashSet<string>? whenValues = null;
            if (reader.GetStringOrNull("when") is { Length: > 0 } when)
            {
                var eq = when.IndexOf('=');
                if (eq <= 0) throw new InvalidDataException($"{name} line {reader.LineNumber}: 'when' must read key=value[|value], found '{when}'");
                whenKey = when[..eq];
                whenValues = [.. when[(eq + 1)..].Split('|')];
            }
            rules.Add(new SemanticRule(
                Required("endpoint").Split('|').ToHashSet(StringComparer.Ordinal),
                location,
                new KeyPattern(Required("key_pattern")),
                whenKey,
                whenValues,
                new Semantic(Required("semantic"), Required("category"), personal, Required("source")),
                reader.GetStringOrNull("not_sent") is { Length: > 0 } ns ? ns : null,
                reader.LineNumber));
        }
        return new SemanticDictionary(rules);
    }

    /// <param name="valueOf">The value of a sibling field of the same request, by relative key path.</param>
    public SemanticRule? Find(string endpoint, string location, string keyPath, Func<string, string?> valueOf)
    {
        foreach (var rule in Rules)
        {
            if (!rule.Endpoints.Contains("*") && !rule.Endpoints.Contains(endpoint)) continue;
            if (rule.Location != "*" && rule.Location != location) continue;
            if (!rule.Key.Matches(keyPath)) continue;
            if (rule.WhenKey is not null && (valueOf(rule.WhenKey) is not { } v || !rule.WhenValues!.Contains(v))) continue;
            return rule;
        }
        return null;
    }
}
