using ResearchPipeline.Dataset;
using System.Security.Cryptography;
using System.Text;
using ResearchPipeline.Identity;

using ResearchPipeline.Payloads;

namespace ResearchPipeline.Privacy;

/// <summary>
/// The key of the keyed hash that stands in for identifiers. A real study keeps its key in a file outside the
/// repository (<c>--study-key FILE</c> or the <see cref="EnvironmentVariable"/>), so nobody without it can test
/// a guessed advertising ID or e-mail against the published pseudonyms. Without one, the fixed
/// <see cref="Demonstration"/> key is used: it is public, so the demonstration corpus (public captures)
/// comes out the same on every machine, and it protects nothing.
/// </summary>
public sealed class StudyKey
{
    public const string EnvironmentVariable = "RESEARCH_PIPELINE_STUDY_KEY_FILE";

    /// <summary>The demonstration key's text, UTF-8 encoded. Public; documented in docs/DATA_DICTIONARY.md.</summary>
    public const string DemonstrationText = "research-pipeline demonstration key (public; not for real studies)";

    /// <summary>Fewer bytes than this cannot be a key chosen to resist guessing.</summary>
    public const int MinBytes = 16;

    private StudyKey(byte[] bytes, string source)
    {
        Bytes = bytes;
        Source = source;
        KeyId = Convert.ToHexStringLower(HMACSHA256.HashData(bytes, "research-pipeline key id"u8))[..16];
    }

    internal byte[] Bytes { get; }

    /// <summary>"demonstration" or "file": which kind of key made the pseudonyms (published in the manifest).</summary>
    public string Source { get; }

    /// <summary>A fingerprint of the key (HMAC of a fixed text), so two datasets can be seen to share a key without revealing it.</summary>
    public string KeyId { get; }

    public static StudyKey Demonstration { get; } = new(Encoding.UTF8.GetBytes(DemonstrationText), "demonstration");

    /// <summary>The key in a file: its bytes, without a trailing line break an editor may have added.</summary>
    public static StudyKey FromFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"study key file {path} does not exist");
        var bytes = File.ReadAllBytes(path).AsSpan().TrimEnd("\r\n"u8).ToArray();
        if (bytes.Length < MinBytes) throw new InvalidDataException($"study key file {path} holds {bytes.Length} bytes; a key needs at least {MinBytes}");
        return new StudyKey(bytes, "file");
    }

    /// <summary>The key named by the option, else by the environment variable, else the demonstration key.</summary>
    public static StudyKey Resolve(string? optionPath)
    {
        if (!string.IsNullOrEmpty(optionPath)) return FromFile(optionPath);
        var env = Environment.GetEnvironmentVariable(EnvironmentVariable);
        return !string.IsNullOrEmpty(env) ? FromFile(env) : Demonstration;
    }
}

/// <summary>
/// Replaces, in what emit publishes, identifiers by their keyed hash (<c>hmac:</c> and the first 32 hex digits
/// of HMAC-SHA-256 under the study key: the same value always gets the same pseudonym, so requests can still be
/// linked) and secrets by a marker. It knows the study's identifiers from two sources: the identifying known
/// values of the devices (devices.csv, in every form the identify stage looks for) and the sensitive values
/// seen in the traffic. Turned off (<c>--no-pseudonymise</c>, for private analysis) it leaves identifiers as
/// sent; secrets are removed either way. Immutable; thread-safe.
/// </summary>
public sealed class Pseudonymiser
{
    private readonly StudyKey _key;
    private readonly NeedleSearch<Replacement> _search;
    private readonly Dictionary<string, string> _canonicalIdentifiers;

    /// <param name="Encoding">How the value stands in the text (<see cref="EncodedForm"/>), for the leak report.</param>
    private sealed record Replacement(SensitiveKind Kind, string Name, string Canonical, bool MustStandAlone, string Encoding = "as sent");

    /// <summary>
    /// Full transition rows the search keeps, fewer than a device's search: its needles are every seen secret in each
    /// encoding, a trie of long single-child chains that text seldom goes deep into, and it is built on the run's
    /// critical path between parse and emit, where each row is written and its memory touched for the first time.
    /// </summary>
    private const long SearchDenseBytes = 1 << 20;

    public Pseudonymiser(StudyKey key, bool enabled, IEnumerable<DeviceProfile> devices, IEnumerable<SensitiveValue> seen)
    {
        _key = key;
        Enabled = enabled;
        var needles = new List<Needle<Replacement>>();
        _canonicalIdentifiers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var identifying = devices.SelectMany(d => d.Values).Where(v => IdentityKinds.IsIdentifying(v.Kind)).Distinct().ToList();
        foreach (var needle in KnownValueNeedles.For(identifying))
        {
            var form = needle.Tag;
            needles.Add(new Needle<Replacement>(needle.Pattern, needle.IgnoreCase, new Replacement(SensitiveKind.Identifier, form.Value.Kind, form.Text, MustStandAlone: true)));
            if (needle.IgnoreCase) _canonicalIdentifiers.TryAdd(form.Text, form.Text);
        }
        // Secrets first: a value seen both as a secret and as an identifier is treated as the secret; a value
        // seen under several names is named by the first in ordinal order, whatever order it was seen in.
        // A seen value is replaced only as a whole token, never inside a longer word or number, and in each
        // form an encoding gives it (a cookie sent again percent-encoded in another request's query).
        foreach (var value in seen.OrderBy(v => v.Kind).ThenBy(v => v.Value, StringComparer.Ordinal).ThenBy(v => v.Name, StringComparer.Ordinal).DistinctBy(v => v.Value))
        {
            foreach (var form in EncodedForms.Of(value.Value))
                needles.Add(new Needle<Replacement>(Encoding.UTF8.GetBytes(form.Text), false, new Replacement(value.Kind, value.Name, value.Value, MustStandAlone: true, form.Encoding)));
        }
        _search = new NeedleSearch<Replacement>(needles.Distinct(Needle<Replacement>.SamePattern), SearchDenseBytes);
    }

    public bool Enabled { get; }

    public StudyKey Key => _key;

    /// <summary>The keyed hash of a value, as published.</summary>
    public string Pseudonym(string value) =>
        "hmac:" + Convert.ToHexStringLower(HMACSHA256.HashData(_key.Bytes, Encoding.UTF8.GetBytes(value)))[..32];

    /// <summary>A value known to be an identifier (from its parameter name or semantic): its pseudonym, or itself when turned off.</summary>
    public string? Identifier(string? value)
    {
        if (value is null || !Enabled || value.Length == 0) return value;
        // A secret's marker stays a marker: its hash would hide that a secret was removed.
        if (value.StartsWith("[redacted:", StringComparison.Ordinal)) return value;
        // A known device value in another letter case gets the same pseudonym as in its canonical form.
        return Pseudonym(_canonicalIdentifiers.TryGetValue(value, out var canonical) ? canonical : value);
    }

    /// <summary>Free text (a URL path, a header, a JSON string): every known identifier and seen secret inside it replaced.</summary>
    public string? Text(string? text)
    {
        if (string.IsNullOrEmpty(text) || _search.IsEmpty) return text;
        // Most published text holds nothing to replace: it is searched in a pooled buffer, and only a text
        // with a hit is copied out to be rebuilt.
        var rented = System.Buffers.ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(text.Length));
        try
        {
            var length = Encoding.UTF8.GetBytes(text, rented);
            var found = t_scratch ??= [];
            found.Clear();
            _search.Search(rented.AsSpan(0, length), found);
            if (found.Count == 0) return SecretRedaction.RedactTokens(text);
            return Replace(text, rented.AsSpan(0, length), found);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <param name="found">The search's hits in the text's bytes, of which those that count are replaced.</param>
    private string Replace(string text, ReadOnlySpan<byte> bytes, List<NeedleHit> found)
    {
        var hits = Counting(bytes, found, secretsOnly: !Enabled);
        if (hits.Count == 0) return SecretRedaction.RedactTokens(text);
        var sb = new StringBuilder();
        var at = 0;
        foreach (var hit in hits)
        {
            if (hit.Start < at) continue;
            sb.Append(Encoding.UTF8.GetString(bytes[at..hit.Start]));
            var r = _search.Needles[hit.Needle].Tag;
            sb.Append(r.Kind == SensitiveKind.Secret ? SecretRedaction.Marker(r.Name) : Pseudonym(r.Canonical));
            at = hit.Start + hit.Length;
        }
        sb.Append(Encoding.UTF8.GetString(bytes[at..]));
        return SecretRedaction.RedactTokens(sb.ToString());
    }

    /// <summary>
    /// A query string as an exchange row holds it, its secret parameters and tokens already replaced by a marker
    /// when the row was made (<see cref="SecretRedaction.RedactQuery(string)"/>, which a second time changes nothing):
    /// identifier parameters (advertiser_id, anon_id, ud[em]...) replaced by their pseudonym, and any known
    /// identifier or seen secret elsewhere in it replaced.
    /// </summary>
    public string Query(string query)
    {
        if (query.Length == 0) return query;
        if (Enabled)
            query = FormUrlEncoding.Rewrite(query, (string name, ReadOnlySpan<char> value) => value.Length > 0 && SensitiveValues.IsIdentifier(name) ? Identifier(FormUrlEncoding.Unescape(value)) : null);
        return Text(query)!;
    }

    /// <summary>True when the text holds a value this pseudonymiser would replace (the publication check).</summary>
    public bool Leaks(string text) => Leaks(Encoding.UTF8.GetBytes(text), out _);

    public bool Leaks(ReadOnlySpan<byte> text, out string what)
    {
        // The publication check asks this of every distinct published string: no list is built for the
        // usual answer, no hit at all.
        var found = t_scratch ??= [];
        found.Clear();
        _search.Search(text, found);
        what = "";
        if (found.Count == 0) return false;
        // The first hit that counts, left to right and longest first, as a replacement would take them.
        var hits = Counting(text, found, secretsOnly: !Enabled);
        if (hits.Count == 0) return false;
        var r = _search.Needles[hits[0].Needle].Tag;
        what = (r.Kind == SensitiveKind.Secret ? "a secret (" : "an identifier (") + r.Name + (r.Encoding == "as sent" ? "" : ", " + r.Encoding) + ")";
        return true;
    }

    [ThreadStatic]
    private static List<NeedleHit>? t_scratch;

    /// <summary>
    /// A decoded field's key path and value as published: a value the dictionary calls an identifier or user data
    /// (advertising ID, anon_id, hashed ud values), or whose parameter name says so, is replaced by its pseudonym;
    /// any other value keeps its text with known identifiers and seen secrets inside it replaced.
    /// </summary>
    public (string KeyPath, string? Value) Field(string keyPath, string? value, string? category, string? valueType) =>
        (Text(keyPath)!, FieldValue(value, category, NamesIdentifier(keyPath), valueType));

    /// <summary>Whether a field's key path (its last key, as the secrets collector reads it, or the whole path) is an identifier parameter's name.</summary>
    public static bool NamesIdentifier(string keyPath) => SensitiveKeys.Of(keyPath) == SensitiveKey.Identifier || SensitiveValues.IsIdentifier(keyPath);

    /// <summary>A decoded field's value as published, given what <see cref="NamesIdentifier"/> says of its key path.</summary>
    public string? FieldValue(string? value, string? category, bool keyPathNamesIdentifier, string? valueType) =>
        PublishesAsPseudonym(category, keyPathNamesIdentifier, valueType) ? Identifier(value) : Text(value);

    /// <summary>Whether a decoded field's value is published as <see cref="Identifier"/> (else as <see cref="Text"/>).</summary>
    public bool PublishesAsPseudonym(string? category, bool keyPathNamesIdentifier, string? valueType)
    {
        var identifier = category is "identifier" or "user_data" || keyPathNamesIdentifier;
        // Without pseudonyms an identifier is published as text: a cookie that is also a session secret
        // (c_user, datr sent again) is still removed.
        return identifier && Enabled && valueType != "not_sent";
    }

    /// <summary>Of the search's hits in the text, those that count, left to right, longest first where two start together.</summary>
    private List<NeedleHit> Counting(ReadOnlySpan<byte> text, List<NeedleHit> found, bool secretsOnly)
    {
        var kept = new List<NeedleHit>(found.Count);
        foreach (var h in found)
        {
            var r = _search.Needles[h.Needle].Tag;
            if (secretsOnly && r.Kind != SensitiveKind.Secret) continue;
            if (r.MustStandAlone && !IdentifierMatcher.StandsAlone(text, h.Start, h.Length)) continue;
            kept.Add(h);
        }
        kept.Sort((a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : b.Length.CompareTo(a.Length));
        return kept;
    }
}
