using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace ResearchPipeline.Privacy;

/// <summary>
/// Secrets never reach a published table: the value of a secret parameter is replaced by a marker naming
/// what was removed, so readers still see that a token was sent.
/// </summary>
public static partial class SecretRedaction
{
    /// <summary>Parameter names whose values are credentials (Graph API tokens, passwords, session keys, store receipts).</summary>
    private static readonly HashSet<string> SecretParameterSet = new(StringComparer.OrdinalIgnoreCase)
    {
        "access_token", "client_token", "input_token", "fb_exchange_token", "password", "passwd", "pwd",
        "session_key", "session_token", "sessionid", "session_id", "auth_token", "oauth_token", "refresh_token", "id_token",
        "api_key", "apikey", "secret", "client_secret", "app_secret", "receipt_data", "receipt-data", "receipt",
        "purchase_token", "signature", "sig", "token", "push_token", "device_token", "registration_token",
        "authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "accesskey",
    };

    /// <summary>
    /// A decoded field's value as published: a marker when its own key (the last key of the key path, as the secrets
    /// collector reads it, so <c>batch[0].relative_url.query.access_token</c> too) names a secret, or when the value has the shape
    /// of a Graph token wherever it was sent: <c>{app_id}|{client_token}</c> (also <c>GG|</c>-prefixed for
    /// gaming login, wire-format doc 1.1) or a user token (<c>EAA…</c>).
    /// </summary>
    public static string? RedactValue(string keyPath, string? value)
    {
        if (value is null) return null;
        if (SensitiveKeys.Of(keyPath) == SensitiveKey.Secret) return Marker(Payloads.KeyPaths.LastKey(keyPath));
        // The shortest token the pattern takes is EAA and 30 characters, and every token it takes begins with G, E or
        // a digit: other values are not matched at all.
        if (value.Length >= 33 && (value[0] is 'G' or 'E' || char.IsDigit(value[0])) && GraphToken().IsMatch(value)) return Marker("access_token");
        return RedactTokens(value);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^((GG\|)?\d{5,}\|[0-9a-fA-F]{32}|EAA[A-Za-z0-9]{30,})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex GraphToken();

    /// <summary>
    /// Request and response headers that carry credentials or session state. Any header whose name contains
    /// token, secret, session, password, api-key or x-auth is treated the same (X-CRASHLYTICS-DEVELOPER-TOKEN, x-goog-api-key).
    /// </summary>
    public static readonly IReadOnlySet<string> SecretHeaders = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "Set-Cookie2", "X-Auth-Token", "X-Api-Key",
        "X-FB-Session", "X-Amz-Security-Token",
    };

    private static readonly string[] SecretHeaderWords = ["token", "secret", "session", "password", "passwd", "api-key", "apikey", "x-auth"];

    public static string Marker(string name) => Markers.TryGetValue(name, out var marker) ? marker : NewMarker(name);

    private static string NewMarker(string name) => $"[redacted:{name.ToLowerInvariant()}]";

    // The secret parameters and cookie stand for nearly every marker a run writes: made once, not per field.
    private static readonly System.Collections.Frozen.FrozenDictionary<string, string> Markers =
        SecretParameterSet.Append("cookie").ToDictionary(n => n, NewMarker, StringComparer.Ordinal).ToFrozenDictionary(StringComparer.Ordinal);

    public static bool IsSecret(string name) => IsSecret(name.AsSpan());

    // A key read as a slice of its key path: no string per field looked up.
    private static readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> SecretParameterSpans = SecretParameterSet.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>
    /// Whether a parameter's name (a pair's key, or the last key of a field's key path) names a secret: as a whole, or
    /// as a form nests it, by the name before its brackets (<c>password[new]</c>) or the name in its last brackets
    /// (<c>user[password]</c>, <c>session[token]</c>).
    /// </summary>
    public static bool IsSecret(ReadOnlySpan<char> name)
    {
        if (IsSecretParameter(name)) return true;
        var open = name.IndexOf('[');
        if (open <= 0) return false;
        if (IsSecretParameter(name[..open])) return true;
        var last = name.LastIndexOf('[');
        return name[^1] == ']' && IsSecretParameter(name[(last + 1)..^1]);
    }

    private static bool IsSecretParameter(ReadOnlySpan<char> name) => SecretParameterSpans.Contains(name) || name.EndsWith("_token", StringComparison.OrdinalIgnoreCase);

    /// <summary>HTTP/2 pseudo-headers (:authority, :path) are never secrets as such; their content is published as host and path.</summary>
    public static bool IsSecretHeader(string name)
    {
        if (name.StartsWith(':')) return false;
        // Asked of every header of every request and response, which use few distinct names; and a search that
        // ignores case runs character by character in the invariant globalization mode the CLI runs in.
        if (HeaderAnswers.TryGetValue(name, out var known)) return known;
        var secret = SecretHeaders.Contains(name) || HasSecretWord(name);
        HeaderAnswers.Remember(name, secret);
        return secret;
    }

    // A loop, not Array.Exists with a lambda: a lambda capturing the name would make a closure on every call of
    // IsSecretHeader, the cached answers included.
    private static bool HasSecretWord(string name)
    {
        foreach (var word in SecretHeaderWords)
            if (name.Contains(word, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    private static readonly Payloads.BoundedCache<string, bool> HeaderAnswers = new(4096, StringComparer.Ordinal);

    public static string RedactQuery(string query) => query.Length == 0 ? query : RedactQuery(query, Payloads.FormUrlEncoding.Parse(query));

    /// <summary><see cref="RedactQuery(string)"/> over the query's pairs as the request view parsed them.</summary>
    public static string RedactQuery(string query, List<Payloads.FormUrlEncoding.Pair> pairs) =>
        query.Length == 0 ? query : RedactTokens(Payloads.FormUrlEncoding.Rewrite(query, pairs, static (string name, ReadOnlySpan<char> _) => IsSecret(name) ? Marker(name) : null));

    /// <summary>
    /// Replaces credentials recognisable by their shape wherever they stand: a Graph app token
    /// <c>app_id|client_token</c> (also URL-encoded, <c>%7C</c>) and a Graph user or page token (EAA...).
    /// </summary>
    public static string RedactTokens(string text)
    {
        if (text.Length < 20) return text;
        text = RedactAppTokens(text);
        // The user token's pattern is tried only where its fixed part occurs.
        return text.Contains("EAA", StringComparison.Ordinal) ? UserToken().Replace(text, Marker("access_token")) : text;
    }

    private static string RedactAppTokens(string text)
    {
        if (!NextAppToken(text, 0, out var index, out var length)) return text;
        var marker = Marker("access_token");
        var redacted = new System.Text.StringBuilder(text.Length);
        var done = 0;
        do
        {
            redacted.Append(text, done, index - done).Append(marker);
            done = index + length;
        }
        while (NextAppToken(text, done, out index, out length));
        return redacted.Append(text, done, text.Length - done).ToString();
    }

    /// <summary>
    /// Calls <paramref name="found"/> with every token in a text that <see cref="RedactTokens"/> would remove
    /// (app tokens, then user tokens), making a string only for a token found.
    /// </summary>
    internal static void EachToken<TState>(string text, TState state, Action<TState, string> found)
    {
        // The shortest token: EAA and 30 characters.
        if (text.Length < 33) return;
        for (var from = 0; NextAppToken(text, from, out var index, out var length); from = index + length) found(state, text.Substring(index, length));
        if (text.Contains("EAA", StringComparison.Ordinal))
            foreach (var m in UserToken().EnumerateMatches(text)) found(state, text.Substring(m.Index, m.Length));
    }

    /// <summary>
    /// The first app token at or after <paramref name="from"/>, as <c>\b\d{6,20}(?:\||%7[Cc])[0-9a-fA-F]{32}\b</c> finds
    /// it scanning from there (what <see cref="AppTokenAt"/> anchors). Every such token holds its separator right after
    /// a run of 6 to 20 digits that begins the token, so the pattern is asked only at the start of the run of digits
    /// before each '|', <c>%7C</c> or <c>%7c</c>, not tried at every digit of every text that holds a separator (every
    /// URL-encoded JSON value holds <c>%7B</c>). Tokens found one after another do not overlap, as the pattern's own do not.
    /// </summary>
    internal static bool NextAppToken(string text, int from, out int index, out int length)
    {
        var rest = text.AsSpan();
        for (var at = from; at < text.Length;)
        {
            var next = rest[at..].IndexOfAny('|', '%');
            if (next < 0) break;
            var separator = at + next;
            at = separator + 1;
            if (text[separator] == '%' && !(separator + 2 < text.Length && text[separator + 1] == '7' && text[separator + 2] is 'C' or 'c')) continue;
            // The run of digits (\d: any decimal digit, as char.IsDigit reads one) before the separator; a token begins
            // where it begins, at a word boundary, so a run longer than 20 holds none.
            var digits = 0;
            while (digits <= 20 && separator - digits > 0 && char.IsDigit(text[separator - digits - 1])) digits++;
            if (digits is < 6 or > 20) continue;
            var token = AppTokenAt().Match(text, separator - digits);
            if (!token.Success) continue;
            (index, length) = (token.Index, token.Length);
            return true;
        }
        (index, length) = (0, 0);
        return false;
    }

    // Graph app access token: numeric app id, '|', 32 hex digits of client token (or app secret). Anchored (\G) where
    // NextAppToken asks; the text before that place is still seen by the first word boundary.
    [GeneratedRegex(@"\G\b\d{6,20}(?:\||%7[Cc])[0-9a-fA-F]{32}\b")]
    private static partial Regex AppTokenAt();

    // Graph user, page and system-user tokens start with EAA and are long base62 strings.
    [GeneratedRegex(@"\bEAA[A-Za-z0-9]{30,}\b")]
    private static partial Regex UserToken();
}
