using CsvHelper;

namespace ResearchPipeline.Decoders;

/// <summary>One word of the shared vocabulary: a datum's name whoever receives it, its category, and whether it is personal data.</summary>
public sealed record VocabularyTerm(string Semantic, string Category, bool PersonalData, string Description);

/// <summary>
/// The one vocabulary of every adapter (<c>Decoders/vocabulary.csv</c>): the same datum has the same semantic
/// name whichever tracker receives it, so one query answers "which trackers get the advertising ID". A term's
/// category decides publication: every field whose semantic is of category <c>identifier</c> is pseudonymised.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The categories a term may have, in the order the data dictionary lists them.</summary>
    public static readonly IReadOnlyList<(string Name, string Meaning)> Categories =
    [
        ("identifier", "identifies a device, installation, user, browser or session across requests (pseudonymised when published)"),
        ("user_data", "data about the person: hashed contact data, gender, interests"),
        ("account", "the app's own account data"),
        ("location", "where the device is: coordinates, region"),
        ("device", "the device: model, OS, screen, memory, battery, state"),
        ("sensor", "sensor readings"),
        ("network", "carrier, connection type, addresses"),
        ("locale", "language, country setting, time zone"),
        ("app", "the app or site: id, version, build, install"),
        ("usage", "how the app or page is used: sessions, pages, times"),
        ("event", "an analytics event: name, value, parameters, purchases"),
        ("ad", "advertising: campaigns, placements, clicks"),
        ("consent", "consent and tracking-permission states"),
        ("sdk", "the tracker SDK: name, version, user agent"),
        ("config", "configuration the SDK asks for"),
        ("transport", "how the request is sent"),
        ("credential", "tokens and keys (secrets: never published)"),
        ("diagnostics", "crash and error reports"),
    ];

    public const string ResourceName = "ResearchPipeline.Decoders.vocabulary.csv";

    private readonly Dictionary<string, VocabularyTerm> _terms;

    public Vocabulary(IEnumerable<VocabularyTerm> terms) => _terms = terms.ToDictionary(t => t.Semantic, StringComparer.Ordinal);

    public static Vocabulary Default { get; } = Load();

    public IReadOnlyCollection<VocabularyTerm> Terms => _terms.Values;

    public VocabularyTerm? Find(string semantic) => _terms.GetValueOrDefault(semantic);

    private static Vocabulary Load()
    {
        using var stream = typeof(Vocabulary).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"embedded resource {ResourceName} is missing from the build");
        return Read(stream, "Decoders/vocabulary.csv");
    }

    public static Vocabulary Read(Stream csv, string name)
    {
        var terms = new List<VocabularyTerm>();
        var known = Categories.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        using var reader = CsvReader.Create(csv, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });
        while (reader.Read())
        {
            var semantic = reader.GetStringOrNull("semantic") ?? throw new InvalidDataException($"{name} line {reader.LineNumber}: semantic is empty");
            var category = reader.GetStringOrNull("category") ?? "";
            if (!known.Contains(category)) throw new InvalidDataException($"{name} line {reader.LineNumber}: category '{category}' is not one of {string.Join(", ", known)}");
            var personal = reader.GetStringOrNull("personal_data") switch
            {
                "true" => true,
                "false" => false,
                var other => throw new InvalidDataException($"{name} line {reader.LineNumber}: personal_data must be true or false, found '{other}'"),
            };
            terms.Add(new VocabularyTerm(semantic, category, personal, reader.GetStringOrNull("description") ?? ""));
        }
        var duplicate = terms.GroupBy(t => t.Semantic, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new InvalidDataException($"{name}: semantic '{duplicate.Key}' is listed twice");
        return new Vocabulary(terms);
    }
}
