using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Privacy;

/// <summary>A value seen in the inputs that must not be published as it is: a secret or an identifier.</summary>
public sealed record SensitiveValue(SensitiveKind Kind, string Name, string Value);

public enum SensitiveKind
{
    /// <summary>A credential or session state: replaced by a marker, never published.</summary>
    Secret,
    /// <summary>An identifier of a device, user or install: replaced by its keyed hash.</summary>
    Identifier,
}

/// <summary>
/// Collects, from a request, the values that a published table must never show: the values of secret and
/// identifier parameters (query, form or JSON body), secret headers and every cookie. Emit replaces them
/// wherever they occur, and the publication check looks for them in every published string.
/// </summary>
public static partial class SensitiveValues
{
    /// <summary>Shorter values are not collected: searching every published string for "1" would find it everywhere.</summary>
    public const int MinLength = 8;

    /// <summary>
    /// Parameter and key names whose values identify a device, install or person (SDK and tracker names as
    /// they appear on the wire). Meta's hashed user data (<c>ud[em]</c>, <c>ud.ph</c>...) is matched by shape.
    /// </summary>
    private static readonly HashSet<string> IdentifierParameterSet = new(StringComparer.OrdinalIgnoreCase)
    {
        "advertiser_id", "anon_id", "idfa", "idfv", "gaid", "aaid", "adid", "android_id", "androidid", "ifa", "madid",
        "device_id", "deviceid", "did", "udid", "installation_id", "fid", "firebase_instance_id", "app_instance_id",
        "user_id", "userid", "uid", "app_user_id", "external_id", "email", "em", "phone", "ph", "msisdn",
        "attribution_id", "fb_attribution_id", "install_id", "X-Crashlytics-Installation-ID",
    };

    // A key read as a slice of its key path: no string per field looked up.
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> IdentifierParameterSpans = IdentifierParameterSet.GetAlternateLookup<ReadOnlySpan<char>>();

    public static bool IsIdentifier(string name) => IsIdentifier(name.AsSpan());

    public static bool IsIdentifier(ReadOnlySpan<char> name)
    {
        if (IdentifierParameterSpans.Contains(name)) return true;
        // ud[em], ud.em, user_data[em]: Meta advanced matching fields, always user data (hashed or not).
        return name.StartsWith("ud[", StringComparison.OrdinalIgnoreCase) || name.StartsWith("ud.", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith("user_data[", StringComparison.OrdinalIgnoreCase) || name.StartsWith("user_data.", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// The secrets and identifiers of one request, read from its view and the fields decode produced from the
    /// same view (none when the run only parses): the query's and a form body's pairs by name (also as sent,
    /// URL-encoded, as a published query string shows them), every field below them (JSON, multipart, base64,
    /// nested documents) by the key it was sent under, secret headers, the cookies, and tokens anywhere. Added to
    /// <paramref name="found"/>: the parse collects a request's values in one list.
    /// </summary>
    public static void AddIn(RequestView view, IReadOnlyList<PayloadField> fields, List<SensitiveValue> found) =>
        In(view.Exchange, view.QueryPairs, view.Cookies, view.FormText, view.FormPairs, fields, found);

    /// <summary>
    /// The secrets and identifiers of a request the run does not decode (the parse stage alone): the same values
    /// as <see cref="In(RequestView, IReadOnlyList{PayloadField})"/> with no fields, its body read only as far as
    /// telling whether it is a form. <paramref name="queryPairs"/> are the query's, as the row took them.
    /// </summary>
    public static List<SensitiveValue> In(Exchange exchange, List<FormUrlEncoding.Pair> queryPairs, DecodeLimits limits)
    {
        var form = RequestView.FormTextOf(exchange, limits);
        var found = new List<SensitiveValue>();
        In(exchange, queryPairs, RequestView.CookiesOf(exchange), form, form is null ? [] : FormUrlEncoding.Parse(form), [], found);
        return found;
    }

    private static void In(Exchange exchange, List<FormUrlEncoding.Pair> queryPairs, IReadOnlyList<HttpHeader> cookies, string? formText,
        List<FormUrlEncoding.Pair> formPairs, IReadOnlyList<PayloadField> fields, List<SensitiveValue> found)
    {
        FromPairs(queryPairs, exchange.Target.Query, found);
        Tokens(exchange.Target.Path, found);
        foreach (var h in exchange.RequestHeaders) FromHeader(h, found);
        foreach (var h in exchange.ResponseHeaders) FromHeader(h, found);
        // By index: through the list's interface, its enumerator would be an object for each request.
        for (var i = 0; i < cookies.Count; i++) Add(found, SensitiveKind.Secret, "cookie", cookies[i].Value);
        if (formText is { } form) FromPairs(formPairs, form, found);
        if (fields.Count == 0) return;

        // The names of the pairs read above, in sets the thread keeps from one request to the next.
        var pairs = Names(queryPairs, ref t_queryNames);
        var bodyPairs = Names(formPairs, ref t_formNames);
        // By index: the decoded fields are read through, and their enumerator would be an object for every request.
        for (var i = 0; i < fields.Count; i++)
        {
            var f = fields[i];
            if (f.Value is null || f.Location is not (PayloadLocation.Query or PayloadLocation.Body)) continue;
            // A pair read above by its name as sent.
            if ((f.Location == PayloadLocation.Query ? pairs : bodyPairs)?.Contains(f.KeyPath) == true) continue;
            // The name becomes a string only for a value collected under it.
            if (KindOf(SensitiveKeys.Of(f.KeyPath)) is { } kind) Add(found, kind, KeyPaths.LastKey(f.KeyPath), f.Value);
            else Tokens(f.Value, found);
        }
    }

    /// <param name="names">The thread's set for these pairs, emptied and filled here; null where there are no pairs.</param>
    private static HashSet<string>? Names(List<FormUrlEncoding.Pair> pairs, ref HashSet<string>? names)
    {
        if (pairs.Count == 0) return null;
        names ??= new HashSet<string>(StringComparer.Ordinal);
        // A set grown once by a request of many pairs is made anew, rather than cleared at that size for every request after it.
        if (names.Count > 256) names = new HashSet<string>(StringComparer.Ordinal);
        names.Clear();
        foreach (var p in pairs) names.Add(KeyPaths.Raw("", p.Key));
        return names;
    }

    [ThreadStatic] private static HashSet<string>? t_queryNames;
    [ThreadStatic] private static HashSet<string>? t_formNames;

    private static void FromHeader(HttpHeader h, List<SensitiveValue> found)
    {
        var kind = HeaderKindOf(h.Name);
        if ((kind & HeaderKind.SetCookie) != 0)
        {
            var first = h.Value.AsSpan();
            if (first.IndexOf(';') is var semi and >= 0) first = first[..semi];
            var eq = first.IndexOf('=');
            Add(found, SensitiveKind.Secret, "set-cookie", (eq < 0 ? first : first[(eq + 1)..]).ToString());
        }
        if ((kind & HeaderKind.Secret) != 0)
        {
            Add(found, SensitiveKind.Secret, h.Name, h.Value);
            // "Bearer abc", "Basic abc": the credential alone may be echoed elsewhere. Only after an authentication
            // scheme (a token, RFC 9110 section 11.4): a cookie header's value goes on with its next pair ("a=1; b=2")
            // and a set-cookie's with its attributes ("Path=/; Expires=..."), whose cookies are collected one by one.
            var space = h.Value.IndexOf(' ');
            if (space > 0 && h.Value.AsSpan(0, space).IndexOfAny(NotInScheme) < 0) Add(found, SensitiveKind.Secret, h.Name, h.Value[(space + 1)..]);
        }
        else if ((kind & HeaderKind.Identifier) != 0)
        {
            Add(found, SensitiveKind.Identifier, h.Name, h.Value);
        }
        else
        {
            Tokens(h.Value, found);
        }
    }

    /// <summary>Characters an authentication scheme's name cannot hold, which a cookie's pair or attribute does.</summary>
    private static readonly System.Buffers.SearchValues<char> NotInScheme = System.Buffers.SearchValues.Create("=;,\"");

    [Flags]
    private enum HeaderKind : byte { None = 0, SetCookie = 1, Secret = 2, Identifier = 4 }

    // The last names asked about on this thread, by the string itself: a capture's reader hands back the same string
    // for a name that repeats (a HAR's, RepeatedText), and each of the three questions ignores case, which costs a
    // hash of the name apiece.
    [ThreadStatic] private static (string? Name, HeaderKind Kind)[]? t_headerKinds;

    private static HeaderKind HeaderKindOf(string name) => ReferenceMemo.Get(ref t_headerKinds, 256, name, static n =>
        (n.Equals("Set-Cookie", StringComparison.OrdinalIgnoreCase) ? HeaderKind.SetCookie : HeaderKind.None)
        | (SecretRedaction.IsSecretHeader(n) ? HeaderKind.Secret : IsIdentifier(n) ? HeaderKind.Identifier : HeaderKind.None));

    private static void FromPairs(List<FormUrlEncoding.Pair> pairs, string text, List<SensitiveValue> found)
    {
        foreach (var pair in pairs)
        {
            if (pair.ValueStart == pair.Start || text[pair.ValueStart - 1] != '=') continue;
            if (KindOf(SensitiveKeys.OfName(pair.Key)) is not { } kind)
            {
                Tokens(pair.Value, found);
                continue;
            }
            Add(found, kind, pair.Key, pair.Value);
            // The raw form too, where it differs: a published query string shows the value still URL-encoded.
            var raw = pair.RawValue(text);
            if (!raw.SequenceEqual(pair.Value)) Add(found, kind, pair.Key, raw.ToString());
        }
    }

    /// <summary>What a value sent under a name so classified is collected as, if anything.</summary>
    private static SensitiveKind? KindOf(SensitiveKey key) => key switch
    {
        SensitiveKey.Secret => SensitiveKind.Secret,
        SensitiveKey.Identifier => SensitiveKind.Identifier,
        _ => null,
    };

    private static void Tokens(string text, List<SensitiveValue> found) =>
        SecretRedaction.EachToken(text, found, static (found, token) => Add(found, SensitiveKind.Secret, "access_token", token));

    private static void Add(List<SensitiveValue> found, SensitiveKind kind, string name, string value)
    {
        value = value.Trim();
        if (value.Length >= MinLength && !IsCommon(value)) found.Add(new SensitiveValue(kind, name, value));
    }

    /// <summary>
    /// The values of one decoded request that its own fields do not show as sensitive by name, found by what
    /// they mean or look like: every field whose semantic the dictionary files under <c>identifier</c> or
    /// <c>user_data</c>, whichever adapter named it, and every field no semantic names whose value has the
    /// shape of an identifier (<see cref="IdentifierShapes"/>). Collected so that the same value is
    /// pseudonymised wherever else it is published (another request's query, a path, a header). Added to
    /// <paramref name="found"/>.
    /// </summary>
    public static void AddIn(DecodedExchange decoded, List<SensitiveValue> found)
    {
        foreach (var a in decoded.Fields)
        {
            if (a.Field.Value is not { } value || a.ValueType == ValueTypes.NotSent) continue;
            if (a.Field.Location == PayloadLocation.Cookie) continue; // a secret already, collected by In(exchange)
            if (a.Semantic is { } semantic)
            {
                if (semantic.Category is "identifier" or "user_data") Add(found, SensitiveKind.Identifier, semantic.Name, value);
            }
            else if (IdentifierShapes.Pseudonymise(a.Field.KeyPath, value))
            {
                Add(found, SensitiveKind.Identifier, "shape", value);
            }
        }
    }

    /// <summary>
    /// Values too common to be searched for elsewhere: booleans, numbers that are not long enough to name
    /// someone, decimals and timestamps. A cookie set to the time of the visit (<c>1440877502</c>) would
    /// otherwise be found inside every later number that starts with the same seconds. Such a value is still
    /// removed where it was sent as a secret (the cookie's own field, the secret parameter).
    /// </summary>
    public static bool IsCommon(string value)
    {
        if (value is "true" or "false" or "True" or "False" or "null" or "undefined") return true;
        // Each pattern below begins with a digit or a minus sign: most values (tokens, words, addresses) are told
        // by their first character, without asking the patterns (a pattern asked by two workers at once makes a
        // second runner for one of them).
        if (value.Length == 0 || !(char.IsDigit(value[0]) || value[0] == '-')) return false;
        if (EpochTimestamp().IsMatch(value) || IsoTimestamp().IsMatch(value) || Decimal().IsMatch(value)) return true;
        return Integer().IsMatch(value) && value.TrimStart('-').Length < LongNumber;
    }

    /// <summary>Integers of this many digits or more are kept: a 15-digit Facebook user ID or an 18-digit ad ID identifies.</summary>
    public const int LongNumber = 12;

    // Seconds or milliseconds since 1970 between 2001 and 2286: 10 or 13 digits starting with 1 or 2.
    [System.Text.RegularExpressions.GeneratedRegex(@"^[12]\d{9}(\d{3})?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex EpochTimestamp();

    [System.Text.RegularExpressions.GeneratedRegex(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex IsoTimestamp();

    [System.Text.RegularExpressions.GeneratedRegex(@"^-?\d+[.,]\d+$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Decimal();

    [System.Text.RegularExpressions.GeneratedRegex(@"^-?\d+$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex Integer();
}
