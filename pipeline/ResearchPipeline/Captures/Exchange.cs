using System.Collections.Immutable;

namespace ResearchPipeline.Captures;

/// <summary>One HTTP header as it was on the wire (name case preserved, repeated headers kept in order).</summary>
/// <remarks>A value, not an object: a capture's requests carry millions of headers, each read once.</remarks>
public readonly record struct HttpHeader(string Name, string Value);

/// <summary>What kind of traffic an exchange row stands for: packet captures also yield flows we could not read as HTTP.</summary>
public enum ExchangeKind
{
    Http,
    TlsFlow,
    DnsQuery,
    TcpFlow,
    UdpFlow,
}

/// <summary>
/// One request and its response (or one non-HTTP flow from a packet capture), as read from a capture.
/// Bodies are bytes exactly as the capture tool stored them: still compressed where the tool kept the
/// Content-Encoding, already decoded where it did not.
/// </summary>
public sealed record Exchange
{
    /// <summary>0-based position of the record in its capture file (a HAR entry's index, a flow's index).</summary>
    public required int Ordinal { get; init; }
    public ExchangeKind Kind { get; init; } = ExchangeKind.Http;
    public DateTimeOffset? StartedUtc { get; init; }
    public required string Method { get; init; }
    public required RequestTarget Target { get; init; }
    public string HttpVersion { get; init; } = "";
    public ImmutableArray<HttpHeader> RequestHeaders { get; init; } = [];
    /// <summary>Cookies the capture tool listed separately (HAR <c>request.cookies</c>), name and value.</summary>
    public ImmutableArray<HttpHeader> RequestCookies { get; init; } = [];
    public ReadOnlyMemory<byte> RequestBody { get; init; }
    public int? Status { get; init; }
    public ImmutableArray<HttpHeader> ResponseHeaders { get; init; } = [];
    public ReadOnlyMemory<byte> ResponseBody { get; init; }
    /// <summary>
    /// The response body's length where the reader measured it and did not keep it (a HAR's: of a response, the tables
    /// publish its size, and nothing after the parse reads its bytes); null where <see cref="ResponseBody"/> holds them.
    /// </summary>
    public int? ResponseBodyBytes { get; init; }
    /// <summary>Response body size the capture tool reported, where it dropped the body itself.</summary>
    public long? ReportedResponseBytes { get; init; }
    /// <summary>Total time of the exchange in milliseconds, where the tool recorded it.</summary>
    public double? DurationMs { get; init; }
    public string? ServerIp { get; init; }
    public string? Sni { get; init; }
    public string? TlsVersion { get; init; }
    /// <summary>The TLS cipher suite the server chose, by its IANA name (packet captures).</summary>
    public string? CipherSuite { get; init; }
    /// <summary>Address and port of the client end (packet captures).</summary>
    public string? ClientIp { get; init; }
    public int? ClientPort { get; init; }
    /// <summary>Bytes the client sent in this exchange or flow (packet captures: TCP stream or UDP payload bytes, headers and bodies of an HTTP message).</summary>
    public long? BytesToServer { get; init; }
    /// <summary>Bytes the server sent in this exchange or flow, counted like <see cref="BytesToServer"/>.</summary>
    public long? BytesToClient { get; init; }
    /// <summary>Time of the last packet of the exchange or flow (packet captures).</summary>
    public DateTimeOffset? LastSeenUtc { get; init; }
    /// <summary>Addresses and names a DNS answer gave for the queried name (A, AAAA, CNAME), in answer order.</summary>
    public ImmutableArray<string> DnsAnswers { get; init; } = [];
    /// <summary>Connection id as the capture tool names it (HAR <c>connection</c>, mitmproxy connection id, pcap flow).</summary>
    public string? Connection { get; init; }

    public string? RequestHeader(string name) => FirstHeader(RequestHeaders, name);
    public string? ResponseHeader(string name) => FirstHeader(ResponseHeaders, name);

    private static string? FirstHeader(ImmutableArray<HttpHeader> headers, string name)
    {
        foreach (var h in headers)
        {
            if (string.Equals(h.Name, name, StringComparison.OrdinalIgnoreCase)) return h.Value;
        }
        return null;
    }
}
