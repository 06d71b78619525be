namespace ResearchPipeline.Dataset;

/// <summary>
/// Secrets never reach a published table: the value of a secret parameter is replaced by a marker naming
/// what was removed, so readers still see that a token was sent.
/// </summary>
public static partial class SecretRedaction
{
    /// <summary>Parameter names whose values are credentials (Graph API tokens, passwords, session keys).</summary>
    public static readonly IReadOnlySet<string> SecretParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "access_token", "client_token", "input_token", "fb_exchange_token", "password", "passwd", "pwd",
        "session_key", "session_token", "sessionid", "auth_token", "oauth_token", "refresh_token", "id_token",
        "api_key", "apikey", "secret", "client_secret", "app_secret", "receipt_data", "receipt-data",
        "authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "accesskey",
    };

    /// <summary>
    /// A decoded field's value as published: a marker when its own key (the last segment of the key path,
    /// so <c>batch[0].relative_url.query.access_token</c> too) names a secret, or when the value has the shape
    /// of a Graph token wherever it was sent: <c>{app_id}|{client_token}</c> (also <c>GG|</c>-prefixed for
    /// gaming login, wire-format doc 1.1) or a user token (<c>EAA…</c>).
    /// </summary>
    public static string? RedactValue(string keyPath, string? value)
    {
        if (value is null) return null;
        var last = keyPath;
        var dot = last.LastIndexOf('.');
        if (dot >= 0) last = last[(dot + 1)..];
        var bracket = last.IndexOf('[');
        if (bracket > 0) last = last[..bracket];
        if (IsSecret(last)) return Marker(last);
        if (GraphToken().IsMatch(value)) return Marker("access_token");
        return value;
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"^((GG\|)?\d{5,}\|[0-9a-fA-F]{32}|EAA[A-Za-z0-9]{30,})$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)]
    private static partial System.Text.RegularExpressions.Regex GraphToken();

    public static string Marker(string name) => $"[redacted:{name.ToLowerInvariant()}]";

    public static bool IsSecret(string name) => SecretParameters.Contains(name);

    public static string RedactQuery(string query)
    {
        if (query.Length == 0 || !SecretParameters.Any(s => query.Contains(s, StringComparison.OrdinalIgnoreCase))) return query;
        var parts = query.Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=');
            var name = Uri.UnescapeDataString((eq < 0 ? parts[i] : parts[i][..eq]).Replace('+', ' '));
            if (eq >= 0 && IsSecret(name)) parts[i] = parts[i][..eq] + "=" + Marker(name);
        }
        return string.Join('&', parts);
    }
}
