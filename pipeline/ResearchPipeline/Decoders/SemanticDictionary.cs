using System.Text.RegularExpressions;
using CsvHelper;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Decoders;

/// <summary>What a decoded field means: its semantic name, data category, whether it is personal data, and why we say so.</summary>
public sealed record Semantic(string Name, string Category, bool PersonalData, string Source);

/// <summary>
/// One row of a semantic dictionary: in requests to <see cref="Endpoints"/> (names, or <c>*</c>), a field at
/// <see cref="Location"/> (<c>param</c> = query or body, <c>header</c>, <c>cookie</c>) whose key path relative to
/// its request matches <see cref="Key"/>, and, where <see cref="When"/> is given, whose sibling field has the
/// named value (<c>extinfo[0]=a2</c>), and whose own value matches <see cref="OnlyIf"/> and not <see cref="NotIf"/>
/// (where given), means <see cref="Meaning"/>. A value equal to <see cref="NotSentValue"/> is a placeholder the
/// sender puts where it sends nothing.
/// </summary>
public sealed record SemanticRule(
    IReadOnlySet<string> Endpoints,
    string Location,
    KeyPattern Key,
    string? WhenKey,
    IReadOnlySet<string>? WhenValues,
    Semantic Meaning,
    string? NotSentValue,
    long Line)
{
    public Regex? OnlyIf { get; init; }
    public Regex? NotIf { get; init; }
}

/// <summary>
/// A semantic dictionary read from CSV (columns <c>endpoint, location, key_pattern, when, [only_if, not_if,]
/// semantic, category, personal_data, not_sent, source</c>; lines starting with '#' are comments). The first row that matches
/// wins, so a file lists specific rows before the fallbacks that follow them. A row may leave category and
/// personal_data empty: the vocabulary gives them (and a test checks that rows which give them agree).
/// </summary>
public sealed class SemanticDictionary
{
    private static readonly string[] Locations = ["param", "header", "cookie", "*"];

    public SemanticDictionary(IReadOnlyList<SemanticRule> rules) => Rules = rules;

    /// <summary>
    /// The rules whose endpoint, location and key pattern fit, by (endpoint, location, key path): a pure function
    /// of the three, worked out once per distinct key path instead of every pattern per field (SDKs send the same
    /// keys request after request). Bounded; past the bound a path is worked out each time, with the same answer.
    /// </summary>
    private readonly BoundedCache<(string Endpoint, string Location, string KeyPath), int[]> _candidates = new(65_536);

    private int[] Candidates(string endpoint, string location, string keyPath)
    {
        if (_candidates.TryGetValue((endpoint, location, keyPath), out var known)) return known;
        var fitting = new List<int>();
        for (var i = 0; i < Rules.Count; i++)
        {
            var rule = Rules[i];
            if (!rule.Endpoints.Contains("*") && !rule.Endpoints.Contains(endpoint)) continue;
            if (rule.Location != "*" && rule.Location != location) continue;
            if (!rule.Key.Matches(keyPath)) continue;
            fitting.Add(i);
        }
        int[] result = [.. fitting];
        _candidates.Remember((endpoint, location, keyPath), result);
        return result;
    }

    public IReadOnlyList<SemanticRule> Rules { get; }

    public static SemanticDictionary Read(Stream csv, string name, Vocabulary? vocabulary = null)
    {
        var rules = new List<SemanticRule>();
        using var reader = CsvReader.Create(csv, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
        while (reader.Read())
        {
            string Required(string column) => reader.GetStringOrNull(column) is { Length: > 0 } v ? v
                : throw new InvalidDataException($"{name} line {reader.LineNumber}: column '{column}' is empty");
            var location = Required("location");
            if (!Locations.Contains(location)) throw new InvalidDataException($"{name} line {reader.LineNumber}: location '{location}' is not one of {string.Join(", ", Locations)}");
            var semantic = Required("semantic");
            var term = vocabulary?.Find(semantic);
            if (vocabulary is not null && term is null)
                throw new InvalidDataException($"{name} line {reader.LineNumber}: semantic '{semantic}' is not in the vocabulary (Decoders/vocabulary.csv)");
            var category = reader.GetStringOrNull("category") is { Length: > 0 } c ? c : term?.Category ?? Required("category");
            var personal = (reader.GetStringOrNull("personal_data") is { Length: > 0 } p ? p : term is null ? Required("personal_data") : term.PersonalData ? "true" : "false") switch
            {
                "true" => true,
                "false" => false,
                var other => throw new InvalidDataException($"{name} line {reader.LineNumber}: personal_data must be true or false, found '{other}'"),
            };
            Regex? Pattern(string column)
            {
                // Optional columns: a dictionary without them has no value filters.
                if (!reader.TryGetFieldIndex(column, out _) || reader.GetStringOrNull(column) is not { Length: > 0 } text) return null;
                try { return new Regex(text, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
                catch (ArgumentException e) { throw new InvalidDataException($"{name} line {reader.LineNumber}: {column} is not a regular expression: {e.Message}"); }
            }
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
                new Semantic(semantic, category, personal, Required("source")),
                reader.GetStringOrNull("not_sent") is { Length: > 0 } ns ? ns : null,
                reader.LineNumber)
            {
                OnlyIf = Pattern("only_if"),
                NotIf = Pattern("not_if"),
            });
        }
        return new SemanticDictionary(rules);
    }

    /// <param name="valueOf">The value of a sibling field of the same request, by relative key path.</param>
    /// <param name="value">The field's own value, for rules with only_if / not_if.</param>
    public SemanticRule? Find(string endpoint, string location, string keyPath, string? value, Func<string, string?> valueOf)
    {
        foreach (var i in Candidates(endpoint, location, keyPath))
        {
            var rule = Rules[i];
            if (rule.WhenKey is not null && (valueOf(rule.WhenKey) is not { } v || !rule.WhenValues!.Contains(v))) continue;
            if (rule.OnlyIf is not null && (value is null || !rule.OnlyIf.IsMatch(value))) continue;
            if (rule.NotIf is not null && value is not null && rule.NotIf.IsMatch(value)) continue;
            return rule;
        }
        return null;
    }
}
