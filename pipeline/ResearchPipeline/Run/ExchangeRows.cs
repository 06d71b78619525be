using ResearchPipeline.Privacy;
using ResearchPipeline.Captures;

using ResearchPipeline.Dataset;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Run;

/// <summary>Turns what the parse stage read into the published <c>exchanges</c> row.</summary>
public static class ExchangeRows
{
    /// <summary>An exchange's id: its capture's id cut to 16 characters, and its ordinal (made without a string of the cut id).</summary>
    public static string ExchangeId(string captureId, int ordinal) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{captureId.AsSpan(0, 16)}:{ordinal}");

    /// <summary>The row of an exchange that is not decoded, its query's pairs parsed already (for its secrets).</summary>
    public static ExchangeRow From(Exchange e, string captureId, string appId, List<FormUrlEncoding.Pair> queryPairs) => From(e, captureId, appId, queryPairs, null);

    /// <summary>The row of a decoded exchange: its query's pairs as its view parsed them, the SDK and Graph API version decode named.</summary>
    public static ExchangeRow From(RequestView view, DecodedExchange decoded, string captureId, string appId) =>
        From(view.Exchange, captureId, appId, view.QueryPairs, decoded.Sdk, decoded.GraphApiVersion);

    private static ExchangeRow From(Exchange e, string captureId, string appId, List<FormUrlEncoding.Pair>? queryPairs, string? sdk = null, string? graphApiVersion = null) => new()
    {
        ExchangeId = ExchangeId(captureId, e.Ordinal),
        CaptureId = captureId,
        AppId = appId,
        Ordinal = e.Ordinal,
        Kind = KindName(e.Kind),
        TimeUtc = e.StartedUtc,
        Method = e.Method,
        Scheme = e.Target.Scheme,
        Host = e.Target.Host,
        Port = e.Target.Port,
        Path = e.Target.Path,
        Query = queryPairs is null ? SecretRedaction.RedactQuery(e.Target.Query) : SecretRedaction.RedactQuery(e.Target.Query, queryPairs),
        Sdk = sdk,
        GraphApiVersion = graphApiVersion,
        HttpVersion = e.HttpVersion.Length == 0 ? null : e.HttpVersion,
        Status = e.Status,
        RequestBytes = e.RequestBody.Length,
        ResponseBytes = e.ResponseBody.Length > 0 ? e.ResponseBody.Length : e.ResponseBodyBytes ?? e.ReportedResponseBytes,
        RequestContentType = e.RequestHeader("Content-Type"),
        RequestContentEncoding = e.RequestHeader("Content-Encoding"),
        ResponseContentType = e.ResponseHeader("Content-Type"),
        ServerIp = e.ServerIp,
        Sni = e.Sni,
        TlsVersion = e.TlsVersion,
        CipherSuite = e.CipherSuite,
        UserAgent = e.RequestHeader("User-Agent"),
        DurationMs = e.DurationMs,
        ClientIp = e.ClientIp,
        ClientPort = e.ClientPort,
        BytesToServer = e.BytesToServer,
        BytesToClient = e.BytesToClient,
        LastSeenUtc = e.LastSeenUtc,
        DnsAnswers = e.DnsAnswers.IsDefaultOrEmpty ? null : string.Join(' ', e.DnsAnswers),
    };

    public static string KindName(ExchangeKind kind) => kind switch
    {
        ExchangeKind.Http => "http",
        ExchangeKind.TlsFlow => "tls_flow",
        ExchangeKind.DnsQuery => "dns_query",
        ExchangeKind.TcpFlow => "tcp_flow",
        ExchangeKind.UdpFlow => "udp_flow",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Seconds since the capture's first exchange, filled in once the whole capture is read.</summary>
    public static List<ExchangeRow> WithSecondsSinceStart(List<ExchangeRow> rows, DateTimeOffset? start)
    {
        if (start is null) return rows;
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].TimeUtc is { } t) rows[i] = rows[i] with { SecondsSinceStart = SecondsSince(start.Value.UtcTicks, t.UtcTicks) };
        }
        return rows;
    }

    /// <summary>seconds_since_start from UTC ticks, as rows held in memory and rows read back from shards both take it.</summary>
    public static double? SecondsSince(long? startTicks, long? ticks) =>
        startTicks is { } s && ticks is { } t ? TimeSpan.FromTicks(t - s).TotalSeconds : null;
}
