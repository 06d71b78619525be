using System.Collections.Immutable;
using System.Net;

namespace ResearchPipeline.Captures.Mitmproxy;

/// <summary>
/// mitmproxy flow files (<c>mitmdump -w</c>, "Save" in mitmproxy and mitmweb) of every format version from
/// 0.10 to 20. Flows are read one at a time; each is upgraded to format 20 by <see cref="FlowUpgrades"/>, so
/// everything below reads only that shape.
/// </summary>
/// <remarks>
/// TCP, UDP and DNS flows become exchanges of kind <see cref="ExchangeKind.TcpFlow"/>,
/// <see cref="ExchangeKind.UdpFlow"/> and <see cref="ExchangeKind.DnsQuery"/> rather than quality notes:
/// they are traffic the app really sent (an MQTT or FCM push channel, a DNS lookup of a tracker), they carry
/// the endpoint (host, server address, SNI) the later stages attribute, and packet captures publish their
/// non-HTTP flows the same way, so a study reads alike whichever tool recorded it.
/// </remarks>
public sealed class MitmproxyReader : ICaptureReader
{
    public string Format => "mitmproxy";

    /// <summary>
    /// A flow file starts with the length prefix of its first flow's dictionary and then the first key,
    /// itself a tnetstring string (<c>2134:5:error,</c>). HAR starts with <c>{</c>, pcap and pcapng with
    /// binary magic numbers, so none of them can look like this.
    /// </summary>
    public bool Recognises(ReadOnlySpan<byte> head)
    {
        var pos = 0;
        if (!Digits(head, ref pos, out var outer) || outer == 0) return false;
        if (pos >= head.Length || head[pos++] != (byte)':') return false;
        if (!Digits(head, ref pos, out var keyLength)) return false;
        if (pos >= head.Length || head[pos++] != (byte)':') return false;
        if (keyLength >= outer) return false;
        var tagAt = pos + keyLength;
        return tagAt >= head.Length || head[(int)tagAt] is (byte)',' or (byte)';';

        static bool Digits(ReadOnlySpan<byte> s, ref int p, out long value)
        {
            value = 0;
            var start = p;
            while (p < s.Length && s[p] is >= (byte)'0' and <= (byte)'9' && p - start < TNetStringParser.MaxLengthDigits)
            {
                value = value * 10 + (s[p] - '0');
                p++;
            }
            return p > start;
        }
    }

    public IEnumerable<CaptureRecord> Read(Stream input, ReadLimits limits)
    {
        var scanner = new FlowFileScanner(input, limits.MaxRecordBytes);
        var ordinal = 0;
        var creatorFound = false;
        while (true)
        {
            var ev = scanner.Next();
            var location = $"flow {ordinal} at byte {ev.Offset}";
            switch (ev.Kind)
            {
                case FlowFileScanner.EventKind.Value:
                    foreach (var record in ReadFlow(ev, ordinal, location, limits))
                    {
                        if (record is CreatorFound)
                        {
                            if (creatorFound) continue;
                            creatorFound = true;
                        }
                        yield return record;
                    }
                    ordinal++;
                    break;
                case FlowFileScanner.EventKind.Oversized:
                    yield return new RecordQuarantined(ordinal, ev.Message, location);
                    ordinal++;
                    break;
                case FlowFileScanner.EventKind.Truncated:
                    // The flow being read when the file ended is a record we saw and lost: count it.
                    yield return new RecordQuarantined(ordinal, ev.Message, location);
                    yield break;
                case FlowFileScanner.EventKind.Invalid:
                    // Without a trustworthy length there is no telling where the next flow starts.
                    yield return new CaptureProblem(Severity.Error, $"{ev.Message}; reading stops here",
                        ordinal == 0 ? $"byte {ev.Offset}" : $"after flow {ordinal - 1}, byte {ev.Offset}");
                    yield break;
                case FlowFileScanner.EventKind.End:
                    if (ordinal == 0) yield return new CaptureProblem(Severity.Warning, "the file holds no flows", "byte 0");
                    yield break;
            }
        }
    }

    private static IEnumerable<CaptureRecord> ReadFlow(FlowFileScanner.ScanEvent ev, int ordinal, string location, ReadLimits limits)
    {
        var problems = new List<CaptureRecord>();
        CaptureRecord result;
        try
        {
            result = ReadFlow(ev, ordinal, location, limits, problems);
        }
        catch (InvalidDataException e)
        {
            result = new RecordQuarantined(ordinal, e.Message, location);
        }
        foreach (var p in problems) yield return p;
        yield return result;
    }

    private static CaptureRecord ReadFlow(FlowFileScanner.ScanEvent ev, int ordinal, string location, ReadLimits limits, List<CaptureRecord> problems)
    {
        if (ev.Tag != (byte)'}')
            return new RecordQuarantined(ordinal, $"top-level value has type tag '{(char)ev.Tag}', not a flow dictionary '}}'", location);
        var flow = (TNetDict)TNetStringParser.ParsePayload(ev.Payload, ev.Tag);

        var version = FlowFormatVersion.Of(flow);
        if (version is null)
            return new RecordQuarantined(ordinal, $"flow has no readable format version (version: {FlowFormatVersion.Describe(flow["version"])})", location);
        var newest = FlowUpgrades.ToNewest(flow, version);
        if (newest is null)
        {
            var newer = int.TryParse(version.Name, out var n) && n > int.Parse(FlowUpgrades.Newest.Name);
            return new RecordQuarantined(ordinal, newer
                ? $"flow format version {version} is newer than {FlowUpgrades.Newest}, the newest this reader knows"
                : $"flow format version {version} is unknown: this reader knows 0.10 to {FlowUpgrades.Newest}", location);
        }
        problems.Add(new CreatorFound("mitmproxy", $"flow format {version}"));

        var type = newest.Text("type");
        return type switch
        {
            "http" => ReadHttp(newest, ordinal, location, limits, problems),
            "tcp" => new ExchangeRead(ReadStream(newest, ordinal, ExchangeKind.TcpFlow, location, limits, problems)),
            "udp" => new ExchangeRead(ReadStream(newest, ordinal, ExchangeKind.UdpFlow, location, limits, problems)),
            "dns" => ReadDns(newest, ordinal, location),
            _ => new CaptureProblem(Severity.Info, $"flow {ordinal} is a {type ?? "typeless"} flow, which is no exchange: counted here, not read", location),
        };
    }

    private static CaptureRecord ReadHttp(TNetDict flow, int ordinal, string location, ReadLimits limits, List<CaptureRecord> problems)
    {
        var request = flow.Dict("request");
        if (request is null) return new RecordQuarantined(ordinal, "HTTP flow has no request", location);
        var method = request.Text("method");
        if (string.IsNullOrEmpty(method)) return new RecordQuarantined(ordinal, "request has no method", location);
        var scheme = (request.Text("scheme") ?? "").ToLowerInvariant();
        var requestHeaders = Headers(request);
        var host = RequestHost(request, requestHeaders);
        if (host.Length == 0) return new RecordQuarantined(ordinal, "request has no host", location);
        var port = request.Integer("port") is { } p and >= 0 and <= 65535 ? (int)p : RequestTarget.DefaultPort(scheme);
        var (path, query) = SplitPath(request.Text("path") ?? "");

        var response = flow.Dict("response");
        var started = Utc(request.Number("timestamp_start"));
        double? durationMs = null;
        if (request.Number("timestamp_start") is { } t0 && response?.Number("timestamp_end") is { } t1 && t1 >= t0)
            durationMs = (t1 - t0) * 1000;
        if (started is null) problems.Add(new CaptureProblem(Severity.Warning, "request has no start time", location));

        var server = flow.Dict("server_conn");
        var client = flow.Dict("client_conn");
        return new ExchangeRead(new Exchange
        {
            Ordinal = ordinal,
            StartedUtc = started,
            Method = method.ToUpperInvariant(),
            Target = new RequestTarget(scheme, host, port, path, query),
            HttpVersion = HttpVersion(request.Text("http_version")),
            RequestHeaders = requestHeaders,
            RequestBody = Body(request["content"], limits, location + " request.content", problems),
            Status = response?.Integer("status_code") is { } s and > 0 and < 1000 ? (int)s : null,
            ResponseHeaders = response is null ? [] : Headers(response),
            ResponseBody = response is null ? ReadOnlyMemory<byte>.Empty : Body(response["content"], limits, location + " response.content", problems),
            DurationMs = durationMs,
            ServerIp = ServerIp(server),
            Sni = Sni(server, client),
            TlsVersion = NonEmpty(server?.Text("tls_version")) ?? NonEmpty(client?.Text("tls_version")),
            CipherSuite = CipherSuite(server, client),
            Connection = NonEmpty(server?.Text("id")),
        });
    }

    /// <summary>A TCP or UDP flow: the server it went to and the bytes each way (client messages as the request body, server messages as the response body).</summary>
    private static Exchange ReadStream(TNetDict flow, int ordinal, ExchangeKind kind, string location, ReadLimits limits, List<CaptureRecord> problems)
    {
        var server = flow.Dict("server_conn");
        var client = flow.Dict("client_conn");
        var (host, port) = ServerAddress(server);
        var sni = Sni(server, client);
        var start = flow.Number("timestamp_created") ?? client?.Number("timestamp_start");
        var end = client?.Number("timestamp_end") ?? server?.Number("timestamp_end");

        var sent = new MemoryStream();
        var received = new MemoryStream();
        var overLimit = false;
        foreach (var message in flow.List("messages")?.Items ?? [])
        {
            if (message is not TNetList { Items: [var fromClient, TNetString content, ..] }) continue;
            var target = TNetDict.Truthy(fromClient) ? sent : received;
            if (target.Length + content.Bytes.Length > limits.MaxBodyBytes)
            {
                overLimit = true;
                continue;
            }
            target.Write(content.Bytes.Span);
        }
        if (overLimit)
            problems.Add(new CaptureProblem(Severity.Warning, $"messages over the body limit of {limits.MaxBodyBytes} bytes were not kept", location + " messages"));

        return new Exchange
        {
            Ordinal = ordinal,
            Kind = kind,
            StartedUtc = Utc(start),
            Method = "",
            Target = new RequestTarget("", host ?? sni?.ToLowerInvariant() ?? "", port, "", ""),
            RequestBody = sent.ToArray(),
            ResponseBody = received.ToArray(),
            DurationMs = start is { } a && end is { } b && b >= a ? (b - a) * 1000 : null,
            ServerIp = ServerIp(server),
            Sni = sni,
            TlsVersion = NonEmpty(server?.Text("tls_version")) ?? NonEmpty(client?.Text("tls_version")),
            CipherSuite = CipherSuite(server, client),
            Connection = NonEmpty(server?.Text("id")),
        };
    }

    /// <summary>
    /// A DNS flow (mitmproxy's DNS mode, format 19 and later): the name asked for is the host. The server
    /// address is the resolver's, not the named host's, so it is left out.
    /// </summary>
    private static CaptureRecord ReadDns(TNetDict flow, int ordinal, string location)
    {
        var request = flow.Dict("request");
        var name = request?.List("questions")?.Items.Select(QuestionName).FirstOrDefault(n => n is not null);
        if (name is null) return new RecordQuarantined(ordinal, "DNS flow has no question", location);
        var response = flow.Dict("response");
        return new ExchangeRead(new Exchange
        {
            Ordinal = ordinal,
            Kind = ExchangeKind.DnsQuery,
            StartedUtc = Utc(request!.Number("timestamp") ?? flow.Number("timestamp_created")),
            Method = "",
            Target = new RequestTarget("", name.TrimEnd('.').ToLowerInvariant(), 53, "", ""),
            Status = response?.Integer("response_code") is { } rc and >= 0 and < 65536 ? (int)rc : null,
            Connection = NonEmpty(flow.Dict("server_conn")?.Text("id")),
        });

        static string? QuestionName(TNetValue q) => q switch
        {
            TNetDict d => NonEmpty(d.Text("name")),
            TNetList { Items: [var n, ..] } => NonEmpty(TNetDict.AsText(n)),
            _ => null,
        };
    }

    /// <summary>
    /// The host the request was for. In transparent and WireGuard mode mitmproxy's <c>request.host</c> is the
    /// IP address the app connected to; the name the app asked for is then in <c>:authority</c> or <c>Host</c>,
    /// which is what mitmproxy itself shows (<c>pretty_host</c>) and what attribution needs.
    /// </summary>
    private static string RequestHost(TNetDict request, ImmutableArray<HttpHeader> headers)
    {
        var host = (request.Text("host") ?? "").Trim('[', ']').ToLowerInvariant();
        if (host.Length > 0 && !IPAddress.TryParse(host, out _)) return host;
        var named = NonEmpty(request.Text("authority")) ?? headers.FirstOrDefault(h => string.Equals(h.Name, "Host", StringComparison.OrdinalIgnoreCase)).Value;
        if (named is null) return host;
        var name = StripPort(named.Trim()).ToLowerInvariant();
        return name.Length > 0 && !IPAddress.TryParse(name, out _) ? name : host;
    }

    private static string StripPort(string authority)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']');
            return close > 0 ? authority[1..close] : authority;
        }
        var colon = authority.LastIndexOf(':');
        return colon >= 0 && authority.IndexOf(':') == colon ? authority[..colon] : authority;
    }

    private static (string Path, string Query) SplitPath(string path)
    {
        var hash = path.IndexOf('#');
        if (hash >= 0) path = path[..hash];
        var q = path.IndexOf('?');
        var p = q < 0 ? path : path[..q];
        return (p.Length == 0 ? "/" : p, q < 0 ? "" : path[(q + 1)..]);
    }

    private static ImmutableArray<HttpHeader> Headers(TNetDict message)
    {
        if (message.List("headers") is not { } list) return [];
        var builder = ImmutableArray.CreateBuilder<HttpHeader>(list.Items.Length);
        foreach (var item in list.Items)
        {
            if (item is TNetList { Items: [var name, var value] } && TNetDict.AsText(name) is { } n)
                builder.Add(new HttpHeader(n, TNetDict.AsText(value) ?? ""));
        }
        return builder.ToImmutable();
    }

    /// <summary>A copy of the body, so that the flow's buffer is not kept alive by the exchange.</summary>
    private static ReadOnlyMemory<byte> Body(TNetValue? content, ReadLimits limits, string location, List<CaptureRecord> problems)
    {
        if (content is not TNetString { Bytes.Length: > 0 } s) return ReadOnlyMemory<byte>.Empty;
        if (s.Bytes.Length > limits.MaxBodyBytes)
        {
            problems.Add(new CaptureProblem(Severity.Warning, $"body of {s.Bytes.Length} bytes is over the limit of {limits.MaxBodyBytes} bytes and was not kept", location));
            return ReadOnlyMemory<byte>.Empty;
        }
        return s.Bytes.ToArray();
    }

    private static (string? Host, int Port) ServerAddress(TNetDict? server)
    {
        if (server?.List("address") is not { Items: [var host, var port, ..] }) return (null, 0);
        var h = NonEmpty(TNetDict.AsText(host)?.Trim('[', ']').ToLowerInvariant());
        return (h, port is TNetInteger { Value: >= 0 and <= 65535 } p ? (int)p.Value : 0);
    }

    /// <summary>The address mitmproxy really connected to (<c>peername</c>); a host name there (a replayed or hand-made flow) is no IP and is left out.</summary>
    private static string? ServerIp(TNetDict? server)
    {
        if (server?.List("peername") is not { Items: [var first, ..] }) return null;
        var text = TNetDict.AsText(first)?.Trim('[', ']');
        if (text is null || !IPAddress.TryParse(text, out var ip)) return null;
        return (ip.IsIPv4MappedToIPv6 ? ip.MapToIPv4() : ip).ToString();
    }

    /// <summary>The SNI mitmproxy sent upstream; where it sent none, the one the client sent it.</summary>
    /// <summary>The connection's cipher as the IANA registry names it: mitmproxy writes OpenSSL's name.</summary>
    private static string? CipherSuite(TNetDict? server, TNetDict? client) =>
        Pcap.Tls.CipherSuites.FromOpenSsl(NonEmpty(server?.Text("cipher")) ?? NonEmpty(client?.Text("cipher")));

    private static string? Sni(TNetDict? server, TNetDict? client) =>
        NonEmpty(server?.Text("sni")) ?? NonEmpty(client?.Text("sni"));

    /// <summary>mitmproxy writes "HTTP/2.0" and "HTTP/3"; publish the spelling the HAR reader publishes.</summary>
    private static string HttpVersion(string? version) => version?.ToUpperInvariant() switch
    {
        null or "" => "",
        "HTTP/2.0" or "HTTP/2" or "H2" => "HTTP/2",
        "HTTP/3.0" or "HTTP/3" or "H3" => "HTTP/3",
        var v => v,
    };

    /// <summary>Seconds since the Unix epoch as mitmproxy records them, to UTC at tick precision.</summary>
    private static DateTimeOffset? Utc(double? seconds)
    {
        // 0 is what format 19 writes for a client connection without a start time.
        if (seconds is not { } s || !double.IsFinite(s) || s <= 0 || s > 253402300799) return null;
        return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(s * TimeSpan.TicksPerSecond));
    }

    private static string? NonEmpty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
