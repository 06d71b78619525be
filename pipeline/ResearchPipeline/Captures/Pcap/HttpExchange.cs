using System.Globalization;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>An HTTP request read off the wire and its response (if one came) as an <see cref="Exchange"/>.</summary>
internal static class HttpExchange
{
    public static Exchange From(int ordinal, HttpMessage request, HttpMessage? response, Endpoint client, Endpoint server, string serverName, string connection, string scheme = "http", int? port = null) =>
        From(ordinal, request, response, client, client.Address.ToString(), server, server.Address.ToString(), serverName, connection, scheme, port);

    /// <summary>As above, with the addresses already written out (a connection writes its own once, for all its exchanges).</summary>
    public static Exchange From(int ordinal, HttpMessage request, HttpMessage? response, Endpoint client, string clientIp, Endpoint server, string serverIp, string serverName, string connection,
        string scheme = "http", int? port = null, TlsFacts? tls = null)
    {
        var method = request.StartLine[0];
        var uri = request.StartLine[1];
        var target = Target(uri, request.Header("Host"), serverName, port ?? server.Port, scheme);
        var started = request.FirstFrame.TimeUtc;
        var last = (response ?? request).LastFrame.TimeUtc;
        return new Exchange
        {
            Ordinal = ordinal,
            Kind = ExchangeKind.Http,
            StartedUtc = started,
            LastSeenUtc = last,
            DurationMs = started is not null && last is not null ? (last.Value - started.Value).TotalMilliseconds : null,
            Method = method,
            Target = target,
            HttpVersion = request.StartLine[2],
            RequestHeaders = request.Headers,
            RequestBody = request.Body,
            Status = response is null ? null : int.Parse(response.StartLine[1], CultureInfo.InvariantCulture),
            ResponseHeaders = response?.Headers ?? [],
            ResponseBody = response?.Body ?? ReadOnlyMemory<byte>.Empty,
            ServerIp = serverIp,
            Sni = tls?.Sni,
            TlsVersion = tls?.Version,
            CipherSuite = tls?.CipherSuite,
            ClientIp = clientIp,
            ClientPort = client.Port,
            BytesToServer = request.WireBytes,
            BytesToClient = response?.WireBytes,
            Connection = connection,
        };
    }

    /// <summary>
    /// The URL the request went to: absolute-form targets (sent to proxies) name it whole; otherwise the Host
    /// header names the host, and without one the server's DNS name or address does.
    /// </summary>
    public static RequestTarget Target(string uri, string? hostHeader, string serverName, int port, string scheme)
    {
        if (uri.Contains("://", StringComparison.Ordinal) && RequestTarget.TryParse(uri) is { } absolute) return absolute;
        var host = serverName;
        if (!string.IsNullOrWhiteSpace(hostHeader) && RequestTarget.TryParse("http://" + hostHeader.Trim() + "/") is { } fromHeader)
            host = fromHeader.Host;
        var q = uri.IndexOf('?');
        var path = q < 0 ? uri : uri[..q];
        var query = q < 0 ? "" : uri[(q + 1)..];
        return new RequestTarget(scheme, host.ToLowerInvariant(), port, path, query);
    }
}

/// <summary>What a TLS connection says of itself, copied onto each exchange it carried.</summary>
internal readonly record struct TlsFacts(string? Sni, string? Version, string? CipherSuite);
