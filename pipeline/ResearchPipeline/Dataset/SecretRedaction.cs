namespace ResearchPipeline.Dataset;

/// <summary>
/// Secrets never reach a published table: the value of a secret parameter is replaced by a marker naming
/// what was removed, so readers still see that a token was sent.
/// </summary>
public static class SecretRedaction
{
    /// <summary>Parameter names whose values are credentials (Graph API tokens, passwords, session keys).</summary>
    public static readonly IReadOnlySet<string> SecretParameters = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "access_token", "client_token", "input_token", "fb_exchange_token", "password", "passwd", "pwd",
        "session_key", "session_token", "sessionid", "auth_token", "oauth_token", "refresh_token", "id_token",
        "api_key", "apikey", "secret", "client_secret", "app_secret", "receipt_data", "receipt-data",
    };

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
