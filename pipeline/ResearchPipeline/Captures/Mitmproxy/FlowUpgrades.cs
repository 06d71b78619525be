using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ResearchPipeline.Captures.Mitmproxy;

/// <summary>
/// Brings a flow dictionary of any format version from mitmproxy 0.10 up to version 20, one small step per
/// version, so that <see cref="MitmproxyReader"/> knows only the newest shape. The facts of each step
/// (which field was renamed, added or dropped in which version) follow mitmproxy's own
/// <c>mitmproxy/io/compat.py</c>; 0.10 to 0.11, which mitmproxy never wrote (it refuses 0.10 files), is
/// ours, worked out from a real 0.10 file against a real 0.11 one. The shapes the steps produce are checked
/// against the field sets of real files of formats 0.11, 0.18, 7, 10, 11, 18 and 20. Two of mitmproxy's steps are done
/// differently on purpose, each said where it happens: connection ids are derived instead of random, and
/// old WebSocket message flows are not merged into their handshake flow, so no flow waits for another.
/// </summary>
internal static class FlowUpgrades
{
    internal sealed record Step(FlowFormatVersion From, FlowFormatVersion To, Func<TNetDict, TNetDict> Upgrade)
    {
        /// <summary>The <c>version</c> field of a flow this step has upgraded.</summary>
        public TNetValue WrittenTo { get; } = Written(To);
    }

    public static FlowFormatVersion Newest { get; } = FlowFormatVersion.Number(20);

    public static ImmutableArray<Step> Steps { get; } =
    [
        new(FlowFormatVersion.Release(0, 10), FlowFormatVersion.Release(0, 11), From_0_10),
        new(FlowFormatVersion.Release(0, 11), FlowFormatVersion.Release(0, 12), Unchanged),
        new(FlowFormatVersion.Release(0, 12), FlowFormatVersion.Release(0, 13), Unchanged),
        new(FlowFormatVersion.Release(0, 13), FlowFormatVersion.Release(0, 14), From_0_13),
        new(FlowFormatVersion.Release(0, 14), FlowFormatVersion.Release(0, 15), Unchanged),
        new(FlowFormatVersion.Release(0, 15), FlowFormatVersion.Release(0, 16), From_0_15),
        new(FlowFormatVersion.Release(0, 16), FlowFormatVersion.Release(0, 17), From_0_16),
        new(FlowFormatVersion.Release(0, 17), FlowFormatVersion.Release(0, 18), From_0_17),
        new(FlowFormatVersion.Release(0, 18), FlowFormatVersion.Release(0, 19), From_0_18),
        new(FlowFormatVersion.Release(0, 19), FlowFormatVersion.Release(1, 0), Unchanged),
        new(FlowFormatVersion.Release(1, 0), FlowFormatVersion.Release(2, 0), From_1_0),
        new(FlowFormatVersion.Release(2, 0), FlowFormatVersion.Release(3, 0), From_2_0),
        new(FlowFormatVersion.Release(3, 0), FlowFormatVersion.Number(4), Unchanged),
        new(FlowFormatVersion.Number(4), FlowFormatVersion.Number(5), From_4),
        new(FlowFormatVersion.Number(5), FlowFormatVersion.Number(6), From_5),
        new(FlowFormatVersion.Number(6), FlowFormatVersion.Number(7), From_6),
        new(FlowFormatVersion.Number(7), FlowFormatVersion.Number(8), From_7),
        new(FlowFormatVersion.Number(8), FlowFormatVersion.Number(9), From_8),
        new(FlowFormatVersion.Number(9), FlowFormatVersion.Number(10), From_9),
        new(FlowFormatVersion.Number(10), FlowFormatVersion.Number(11), From_10),
        new(FlowFormatVersion.Number(11), FlowFormatVersion.Number(12), From_11),
        new(FlowFormatVersion.Number(12), FlowFormatVersion.Number(13), From_12),
        new(FlowFormatVersion.Number(13), FlowFormatVersion.Number(14), From_13),
        new(FlowFormatVersion.Number(14), FlowFormatVersion.Number(15), From_14),
        new(FlowFormatVersion.Number(15), FlowFormatVersion.Number(16), From_15),
        new(FlowFormatVersion.Number(16), FlowFormatVersion.Number(17), From_16),
        new(FlowFormatVersion.Number(17), FlowFormatVersion.Number(18), From_17),
        new(FlowFormatVersion.Number(18), FlowFormatVersion.Number(19), From_18),
        new(FlowFormatVersion.Number(19), FlowFormatVersion.Number(20), From_19),
    ];

    /// <summary>Runs every step from <paramref name="version"/> to the newest; null where no step starts at that version.</summary>
    public static TNetDict? ToNewest(TNetDict flow, FlowFormatVersion version)
    {
        var at = 0;
        while (version != Newest)
        {
            while (at < Steps.Length && Steps[at].From != version) at++;
            if (at == Steps.Length) return null;
            var step = Steps[at];
            flow = step.Upgrade(flow).With("version", step.WrittenTo);
            version = step.To;
        }
        return flow;
    }

    private static TNetValue Written(FlowFormatVersion version)
    {
        var parts = version.Name.Split('.');
        return parts.Length == 1
            ? new TNetInteger(long.Parse(parts[0], CultureInfo.InvariantCulture))
            : new TNetList([.. parts.Select(p => (TNetValue)new TNetInteger(long.Parse(p, CultureInfo.InvariantCulture)))]);
    }

    private static TNetDict Unchanged(TNetDict flow) => flow;

    /// <summary>
    /// 0.10 kept the client connection inside the request and the server connection's facts scattered over
    /// request and response; 0.11 has <c>client_conn</c> and <c>server_conn</c> beside them, a flow type and
    /// an interception flag. 0.10's <c>request.ip</c> is dropped: 0.11 has no field for it, and the format never
    /// said whether it named the client or the server, so publishing it as the server address would be a guess.
    /// </summary>
    private static TNetDict From_0_10(TNetDict flow)
    {
        var request = flow.Dict("request") ?? throw new InvalidDataException("a 0.10 flow without a request");
        var response = flow.Dict("response");
        var https = string.Equals(request.Text("scheme"), "https", StringComparison.OrdinalIgnoreCase);
        var client = request.Dict("client_conn") ?? TNetDict.Empty;
        var noAddress = TNetList.Of(Bytes(""), new TNetInteger(0));

        var clientConn = TNetDict.Empty
            .With("address", Address(client["address"] ?? noAddress))
            .With("clientcert", TNetNull.Value)
            .With("ssl_established", https ? TNetBoolean.True : TNetBoolean.False)
            .With("timestamp_start", TNetNull.Value)
            .With("timestamp_end", TNetNull.Value)
            .With("timestamp_ssl_setup", TNetNull.Value);
        var serverConn = TNetDict.Empty
            .With("address", Address(TNetList.Of(request["host"] ?? Bytes(""), request["port"] ?? new TNetInteger(0))))
            .With("cert", response?["cert"] ?? TNetNull.Value)
            .With("sni", TNetNull.Value)
            .With("source_address", Address(noAddress))
            .With("ssl_established", https ? TNetBoolean.True : TNetBoolean.False)
            .With("state", TNetList.Empty)
            .With("timestamp_start", TNetNull.Value)
            .With("timestamp_tcp_setup", request["tcp_setup_timestamp"] ?? TNetNull.Value)
            .With("timestamp_ssl_setup", request["ssl_setup_timestamp"] ?? TNetNull.Value)
            .With("timestamp_end", TNetNull.Value);

        return flow
            .Updated("request", r => r
                .Without("client_conn", "ip", "tcp_setup_timestamp", "ssl_setup_timestamp")
                .With("form_in", Bytes("relative"))
                .With("form_out", Bytes("relative"))
                .With("is_replay", TNetBoolean.False))
            .Updated("response", r => r.Without("cert"))
            .With("client_conn", clientConn)
            .With("server_conn", serverConn)
            .With("type", Bytes("http"))
            .With("intercepted", TNetBoolean.False);

        static TNetDict Address(TNetValue hostAndPort) =>
            TNetDict.Empty.With("address", hostAndPort).With("use_ipv6", TNetBoolean.False);
    }

    /// <summary>0.14: HTTP versions become text ("HTTP/1.1"), <c>code</c> becomes <c>status_code</c>, an upstream proxy connection (<c>via</c>) appears.</summary>
    private static TNetDict From_0_13(TNetDict flow) => flow
        .Updated("request", r => r.Renamed("form_in", "first_line_format").Without("httpversion").With("http_version", HttpVersionText(r["httpversion"])))
        .Updated("response", r => r.Without("httpversion").With("http_version", HttpVersionText(r["httpversion"]))
            .Renamed("code", "status_code").Renamed("content", "body"))
        .Updated("server_conn", s => s.Without("state").With("via", TNetNull.Value));

    /// <summary>0.16: bodies are <c>content</c> again, the status text is <c>reason</c>.</summary>
    private static TNetDict From_0_15(TNetDict flow) => flow
        .Updated("request", r => (r.Has("body") ? r.Renamed("body", "content") : r).Without("form_out"))
        .Updated("response", r =>
        {
            if (r.Has("body")) r = r.Renamed("body", "content");
            return r.Has("msg") ? r.Renamed("msg", "reason") : r;
        });

    private static TNetDict From_0_16(TNetDict flow) => flow
        .Updated("server_conn", s => s.With("peer_address", TNetNull.Value));

    /// <summary>0.18 (the first Python 3 release): the server's IP address gets its name, flows can be marked.</summary>
    private static TNetDict From_0_17(TNetDict flow) => flow
        .Updated("server_conn", s => s.Renamed("peer_address", "ip_address"))
        .With("marked", TNetBoolean.False);

    /// <summary>0.19: TLS details (SNI, ALPN, cipher, version) are recorded per connection.</summary>
    private static TNetDict From_0_18(TNetDict flow) => flow
        .Updated("request", r => r.Without("stickyauth", "stickycookie"))
        .Updated("client_conn", c => c
            .With("sni", TNetNull.Value)
            .With("alpn_proto_negotiated", TNetNull.Value)
            .With("cipher_name", TNetNull.Value)
            .With("tls_version", TNetNull.Value))
        .Updated("server_conn", s => WithVia(s, c => c.With("alpn_proto_negotiated", TNetNull.Value)))
        .With("mode", TNetString.Of("regular"))
        .With("metadata", TNetDict.Empty);

    /// <summary>2.0: addresses lose their wrapper (<c>{"address": [host, port], "use_ipv6": ...}</c> becomes <c>[host, port]</c>).</summary>
    private static TNetDict From_1_0(TNetDict flow) => flow
        .Updated("client_conn", c => c.With("address", Unwrap(c["address"])))
        .Updated("server_conn", s => WithVia(s, c =>
        {
            c = c.With("address", Unwrap(c["address"])).With("source_address", Unwrap(c["source_address"]));
            return c.IsTruthy("ip_address") ? c.With("ip_address", Unwrap(c["ip_address"])) : c;
        }));

    private static TNetDict From_2_0(TNetDict flow) => flow
        .Updated("client_conn", c => c.With("mitmcert", TNetNull.Value))
        .Updated("server_conn", s => WithVia(s, c => c.With("tls_version", TNetNull.Value)));

    /// <summary>
    /// 5: connections get ids. mitmproxy draws a random UUID per distinct (start time, address); we derive
    /// the id from those same facts, so flows of one connection still share it and every run gives the same id.
    /// </summary>
    private static TNetDict From_4(TNetDict flow) => flow
        .Updated("client_conn", c => c.With("id", DerivedId("client", c["timestamp_start"], c["address"])))
        .Updated("server_conn", s => WithVia(s, c => c.With("id", DerivedId("server", c["timestamp_start"], c["source_address"]))));

    /// <summary>6: "ssl" becomes "tls" in field names.</summary>
    private static TNetDict From_5(TNetDict flow)
    {
        static TNetDict Rename(TNetDict c) => c
            .Renamed("ssl_established", "tls_established")
            .Renamed("timestamp_ssl_setup", "timestamp_tls_setup");
        return flow
            .Updated("client_conn", Rename)
            .Updated("server_conn", s => WithVia(s, Rename));
    }

    private static TNetDict From_6(TNetDict flow) => flow
        .Updated("client_conn", c => c.With("tls_extensions", TNetNull.Value));

    private static TNetDict From_7(TNetDict flow) => flow
        .Updated("request", r => r.With("trailers", TNetNull.Value))
        .Updated("response", r => r.With("trailers", TNetNull.Value));

    /// <summary>9: requests carry their authority (HTTP/2 <c>:authority</c>); replay is a property of the flow.</summary>
    private static TNetDict From_8(TNetDict flow)
    {
        var requestReplay = flow.Dict("request")?.IsTruthy("is_replay") ?? false;
        var responseReplay = flow.Dict("response")?.IsTruthy("is_replay") ?? false;
        return flow
            .Updated("request", r => r.Without("first_line_format", "is_replay").With("authority", Bytes("")))
            .Updated("response", r => r.Without("is_replay"))
            .With("is_replay", requestReplay ? TNetString.Of("request") : responseReplay ? TNetString.Of("response") : TNetNull.Value);
    }

    /// <summary>10 (mitmproxy 7's new proxy core): connections get a state, an error, certificate lists and offered ALPNs and ciphers.</summary>
    private static TNetDict From_9(TNetDict flow)
    {
        static TNetDict Common(TNetDict c)
        {
            var alpn = c["alpn_proto_negotiated"];
            var cipher = c["cipher_name"];
            return c
                .With("state", new TNetInteger(0))
                .With("error", TNetNull.Value)
                .With("tls", c["tls_established"] ?? TNetBoolean.False)
                .With("alpn_offers", TNetDict.Truthy(alpn) ? TNetList.Of(alpn!) : TNetNull.Value)
                .With("cipher_list", TNetDict.Truthy(cipher) ? TNetList.Of(cipher!) : TNetNull.Value);
        }
        static TNetDict Server(TNetDict c)
        {
            var cert = c["cert"];
            return Common(c
                .Without("cert")
                .With("certificate_list", TNetDict.Truthy(cert) ? TNetList.Of(cert!) : TNetList.Empty)
                .With("cipher_name", TNetNull.Value)
                .With("via2", TNetNull.Value));
        }
        return flow
            .Updated("client_conn", c =>
            {
                var cert = c["clientcert"];
                return Common(c
                    .With("sockname", TNetList.Of(TNetString.Of(""), new TNetInteger(0)))
                    .Without("clientcert")
                    .With("certificate_list", TNetDict.Truthy(cert) ? TNetList.Of(cert!) : TNetList.Empty));
            })
            .Updated("server_conn", s => WithVia(s, Server));
    }

    /// <summary>11: the negotiated ALPN is <c>alpn</c>, the SNI is always text, offer lists are never None.</summary>
    private static TNetDict From_10(TNetDict flow)
    {
        static TNetDict Common(TNetDict c) => c
            .Renamed("alpn_proto_negotiated", "alpn")
            .With("alpn_offers", c["alpn_offers"] is TNetList offers ? offers : TNetList.Empty)
            .With("cipher_list", c["cipher_list"] is TNetList ciphers ? ciphers : TNetList.Empty);
        return flow
            .Updated("client_conn", Common)
            .Updated("server_conn", s => WithVia(s, c =>
                Common(c).With("sni", c["sni"] is TNetString sni ? TNetString.Of(sni.Text) : c["sni"] ?? TNetNull.Value)));
    }

    /// <summary>
    /// 12: a WebSocket's messages live in its HTTP flow (<c>websocket</c>) instead of in a flow of their own.
    /// mitmproxy merges the two, holding the handshake flow until its message flow comes; we read the handshake
    /// as the HTTP exchange it is, at once, and leave an old message flow with its type <c>websocket</c>, which
    /// the reader reports, so that no flow has to wait for another.
    /// </summary>
    private static TNetDict From_11(TNetDict flow) =>
        flow.Text("type") == "websocket" ? flow : flow.WithDefault("websocket", TNetNull.Value);

    /// <summary>13: marks are named (":default:") instead of a yes/no.</summary>
    private static TNetDict From_12(TNetDict flow) =>
        flow.With("marked", TNetString.Of(flow.IsTruthy("marked") ? ":default:" : ""));

    /// <summary>14: flows get a comment; a response without timestamps gets them from its request (mitmproxy issue 4576).</summary>
    private static TNetDict From_13(TNetDict flow)
    {
        flow = flow.With("comment", TNetString.Of(""));
        var requestEnd = flow.Dict("request")?.Number("timestamp_end");
        return flow.Updated("response", r =>
            r["timestamp_start"] is null or TNetNull && requestEnd is { } end
                ? r.With("timestamp_start", new TNetFloat(end)).With("timestamp_end", new TNetFloat(end + 1))
                : r);
    }

    /// <summary>15: each WebSocket message records whether mitmproxy injected it.</summary>
    private static TNetDict From_14(TNetDict flow) => flow.Updated("websocket", w =>
        w["messages"] is TNetList messages
            ? w.With("messages", new TNetList([.. messages.Items.Select(m => m is TNetList l ? new TNetList(l.Items.Add(TNetBoolean.False)) : m)]))
            : w);

    /// <summary>16: flows record when they were created: the request's start, or the client connection's for a flow without one.</summary>
    private static TNetDict From_15(TNetDict flow)
    {
        var created = (flow.Dict("request") ?? flow.Dict("client_conn"))?["timestamp_start"] ?? TNetNull.Value;
        return flow.With("timestamp_created", created);
    }

    private static TNetDict From_16(TNetDict flow) => flow.Without("mode");

    private static TNetDict From_17(TNetDict flow) => flow
        .Updated("client_conn", c => c.With("proxy_mode", TNetString.Of("regular")));

    /// <summary>
    /// 19 (mitmproxy 9, which added UDP): both ends name their addresses <c>peername</c>/<c>sockname</c>, the
    /// upstream proxy is <c>via</c>, connections say their transport, and an SNI of <c>True</c> (meaning "the
    /// server's host name") is spelled out.
    /// </summary>
    private static TNetDict From_18(TNetDict flow)
    {
        static TNetDict Common(TNetDict c) => c
            .Without("tls_established")
            .Renamed("cipher_name", "cipher")
            .WithDefault("transport_protocol", TNetString.Of("tcp"));
        return flow
            .Updated("client_conn", c =>
            {
                c = Common(c.Renamed("address", "peername").Without("tls_extensions"));
                return c["timestamp_start"] is null or TNetNull ? c.With("timestamp_start", new TNetFloat(0)) : c;
            })
            .Updated("server_conn", s =>
            {
                s = Common(s.Renamed("ip_address", "peername").Renamed("source_address", "sockname").Renamed("via2", "via"));
                return s["sni"] is TNetBoolean { Value: true } && s["address"] is TNetList { Items: [var host, ..] }
                    ? s.With("sni", TNetString.Of(TNetDict.AsText(host) ?? ""))
                    : s;
            });
    }

    /// <summary>20 (mitmproxy 10): connections no longer record their state.</summary>
    private static TNetDict From_19(TNetDict flow) => flow
        .Updated("client_conn", c => c.Without("state"))
        .Updated("server_conn", s => s.Without("state"));

    /// <summary>Applies a change to a server connection and to the upstream-proxy connection (<c>via</c>) inside it.</summary>
    private static TNetDict WithVia(TNetDict server, Func<TNetDict, TNetDict> change) =>
        change(server).Updated("via", change);

    private static TNetValue Unwrap(TNetValue? address) =>
        address is TNetDict d && d["address"] is { } inner ? inner : address ?? TNetNull.Value;

    private static TNetValue HttpVersionText(TNetValue? version) => version switch
    {
        TNetList l => Bytes("HTTP/" + string.Join('.', l.Items.Select(i => TNetDict.AsText(i) ?? "?"))),
        TNetString s => s,
        _ => Bytes(""),
    };

    private static TNetString DerivedId(string side, TNetValue? start, TNetValue? address)
    {
        var parts = new StringBuilder(side);
        parts.Append('-').Append(TNetDict.AsText(start) ?? "none");
        if (address is TNetList l)
        {
            foreach (var item in l.Items) parts.Append('-').Append(TNetDict.AsText(item) ?? "");
        }
        return TNetString.Of(parts.ToString());
    }

    private static TNetString Bytes(string text) => new(Encoding.UTF8.GetBytes(text), IsText: false);
}
