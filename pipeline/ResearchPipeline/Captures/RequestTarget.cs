namespace ResearchPipeline.Captures;

/// <summary>The URL a request went to, split the way the tables publish it.</summary>
public sealed record RequestTarget(string Scheme, string Host, int Port, string Path, string Query)
{
    /// <summary>
    /// Splits an absolute URL without normalising it: System.Uri would unescape the path and lower-case
    /// nothing consistently, and captures must be published as sent.
    /// </summary>
    public static RequestTarget? TryParse(string url)
    {
        var schemeEnd = url.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd <= 0) return null;
        // The schemes nearly every request has, as one string each rather than one a request.
        var schemeText = url.AsSpan(0, schemeEnd);
        var scheme = schemeText is "https" ? "https" : schemeText is "http" ? "http" : schemeText.ToString().ToLowerInvariant();
        var rest = url.AsSpan(schemeEnd + 3);
        var authorityEnd = rest.IndexOfAny('/', '?', '#');
        var authority = authorityEnd < 0 ? rest : rest[..authorityEnd];
        var pathAndQuery = authorityEnd < 0 ? ReadOnlySpan<char>.Empty : rest[authorityEnd..];
        var at = authority.LastIndexOf('@');
        if (at >= 0) authority = authority[(at + 1)..];

        string host;
        int? port = null;
        if (authority.StartsWith("["))
        {
            var close = authority.IndexOf(']');
            if (close < 0) return null;
            host = authority[1..close].ToString();
            var after = authority[(close + 1)..];
            if (after.StartsWith(":") && int.TryParse(after[1..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p6)) port = p6;
        }
        else
        {
            var colon = authority.LastIndexOf(':');
            if (colon >= 0 && int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p))
            {
                port = p;
                authority = authority[..colon];
            }
            // Requests come in runs to one host: the host of the request before on this thread, when it is the same.
            host = t_lastHost is { } last && authority.SequenceEqual(last) ? last : t_lastHost = authority.ToString();
        }
        if (host.Length == 0) return null;

        var hash = pathAndQuery.IndexOf('#');
        if (hash >= 0) pathAndQuery = pathAndQuery[..hash];
        var q = pathAndQuery.IndexOf('?');
        var path = q < 0 ? pathAndQuery : pathAndQuery[..q];
        var query = q < 0 ? ReadOnlySpan<char>.Empty : pathAndQuery[(q + 1)..];
        return new RequestTarget(
            scheme,
            host.ToLowerInvariant(),
            port ?? DefaultPort(scheme),
            path.Length == 0 ? "/" : path.ToString(),
            query.ToString());
    }

    [ThreadStatic] private static string? t_lastHost;

    public static int DefaultPort(string scheme) => scheme switch
    {
        "https" or "wss" => 443,
        "http" or "ws" => 80,
        _ => 0,
    };

    public string Url => $"{Scheme}://{(Host.Contains(':') ? $"[{Host}]" : Host)}{(Port == DefaultPort(Scheme) ? "" : $":{Port}")}{Path}{(Query.Length > 0 ? "?" + Query : "")}";
}
