using System.Collections.Immutable;
using System.Runtime.InteropServices;
using ResearchPipeline.Captures.Pcap.Http2;
using ResearchPipeline.Captures.Pcap.Tls;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>What a TCP connection carries, decided from its first bytes (ports lie; content does not).</summary>
internal enum StreamProtocol
{
    Undecided,
    Http,
    Tls,
    /// <summary>Cleartext HTTP/2 with prior knowledge (h2c): the client starts with the connection preface.</summary>
    Http2,
    Dns,
    Other,
}

/// <summary>What decrypted TLS application data carries, chosen by ALPN or, without it, by its first bytes.</summary>
internal enum ApplicationProtocol
{
    Undecided,
    Http1,
    Http2,
    Other,
}

/// <summary>
/// One TCP connection: both directions reassembled, the protocol recognised from the first bytes, and the
/// application messages read as they complete. TLS is decrypted when the capture's key log holds the
/// connection's secrets, and what it carries read as HTTP/1.x or HTTP/2. Exchanges go out through the packet
/// pipeline as soon as they are whole; the flow itself becomes an exchange when it ends, unless it already
/// produced HTTP or DNS ones.
/// </summary>
internal sealed class TcpConnection
{
    private const int MaxQueuedRequests = 1024;

    private readonly PacketPipeline _pipeline;
    private readonly Queue<(int Ordinal, HttpMessage Request)> _unanswered = new();
    private int? _reservedOrdinal;
    private int? _startingRequest;
    private HttpMessageReader? _requests;
    private HttpMessageReader? _responses;
    private TlsSession? _tls;
    private ApplicationProtocol _application;
    private Http2Connection? _http2;
    private int _decryptedExchanges;
    private int? _tunnelPort;
    private DnsStream? _dnsToServer;
    private DnsStream? _dnsToClient;
    private string? _id;

    /// <summary>The server's name when the connection opened, from the capture's DNS answers, else its address.</summary>
    public string ServerName { get; }

    public TcpConnection(PacketPipeline pipeline, Endpoint client, Endpoint server, Frame first, int maxReassemblyBytes)
    {
        _pipeline = pipeline;
        Client = client;
        Server = server;
        FirstFrame = first;
        LastFrame = first;
        _reservedOrdinal = pipeline.NextOrdinal();
        FirstOrdinal = _reservedOrdinal.Value;
        // Written once for every exchange and problem row of the connection.
        ClientIp = client.Address.ToString();
        ServerIp = server.Address.ToString();
        // Named now, by the DNS answers the app had when it connected: a later answer for the same address
        // (another name on a shared CDN address) must not rename this flow.
        ServerName = pipeline.NameFor(server.Address, ServerIp);
        ToServer = new TcpReassembler(new Direction(this, true), maxReassemblyBytes);
        ToClient = new TcpReassembler(new Direction(this, false), maxReassemblyBytes);
    }

    public Endpoint Client { get; }
    public Endpoint Server { get; }

    /// <summary>The lowest ordinal of any of its exchanges: later ones are taken fresh, so are higher.</summary>
    public int FirstOrdinal { get; }
    public Frame FirstFrame { get; }
    public Frame LastFrame { get; set; }
    public DateTimeOffset? LastTime { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public TcpReassembler ToServer { get; }
    public TcpReassembler ToClient { get; }
    public StreamProtocol Protocol { get; private set; }
    public int ExchangesMade { get; private set; }
    public string ClientIp { get; }
    public string ServerIp { get; }
    // As Endpoint.ToString writes them, from the addresses already written.
    public string Id => _id ??= $"tcp {(Client.Address.IsV6 ? $"[{ClientIp}]" : ClientIp)}:{Client.Port} > {(Server.Address.IsV6 ? $"[{ServerIp}]" : ServerIp)}:{Server.Port}";

    /// <summary>The flow's own ordinal (reserved at its first packet) for its first exchange, then fresh ones.</summary>
    public int TakeOrdinal()
    {
        if (_reservedOrdinal is { } reserved)
        {
            _reservedOrdinal = null;
            return reserved;
        }
        return _pipeline.NextOrdinal();
    }

    private void Decide(ReadOnlySpan<byte> first, bool toServer)
    {
        if (Client.Port == 53 || Server.Port == 53) Protocol = StreamProtocol.Dns;
        else if (toServer && first.Length >= 4 && Http2Connection.Preface.StartsWith(first[..Math.Min(first.Length, Http2Connection.Preface.Length)])) Protocol = StreamProtocol.Http2;
        else if (toServer && HttpMessageReader.LooksLikeRequest(first) || !toServer && HttpMessageReader.LooksLikeResponse(first)) Protocol = StreamProtocol.Http;
        else if (TlsSession.LooksLikeTls(first)) Protocol = StreamProtocol.Tls;
        else Protocol = StreamProtocol.Other;

        switch (Protocol)
        {
            case StreamProtocol.Http:
                StartHttp1();
                break;
            case StreamProtocol.Http2:
                StartHttp2();
                break;
            case StreamProtocol.Tls:
                _tls?.Dispose();
                _tls = new TlsSession(_pipeline.Keys, TlsProblem) { Application = new Decrypted(this) };
                break;
            case StreamProtocol.Dns:
                _dnsToServer = new DnsStream(this, true);
                _dnsToClient = new DnsStream(this, false);
                break;
        }
    }

    private void Data(bool toServer, ReadOnlySpan<byte> bytes, Frame frame)
    {
        if (Protocol == StreamProtocol.Undecided) Decide(bytes, toServer);
        switch (Protocol)
        {
            case StreamProtocol.Http:
                var left = (toServer ? _requests : _responses)!.Feed(bytes, frame);
                // After CONNECT or an upgrade, the rest of the segment already speaks the new protocol.
                if (left > 0 && Protocol != StreamProtocol.Http) Data(toServer, bytes[^left..], frame);
                break;
            case StreamProtocol.Tls:
                _tls!.Feed(toServer, bytes, frame);
                break;
            case StreamProtocol.Http2:
                _http2!.Feed(toServer, bytes, frame);
                break;
            case StreamProtocol.Dns:
                (toServer ? _dnsToServer : _dnsToClient)!.Feed(bytes, frame);
                break;
        }
    }

    private void SwitchToTunnel(HttpMessage request)
    {
        // After CONNECT or an upgrade the connection carries another protocol, usually TLS: read its hello.
        Protocol = StreamProtocol.Undecided;
        if (request.StartLine[0] == "CONNECT")
        {
            var authority = request.StartLine[1];
            var colon = authority.LastIndexOf(':');
            if (colon > 0 && int.TryParse(authority[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port)) _tunnelPort = port;
        }
    }

    private void StartHttp1()
    {
        _requests = new HttpMessageReader(true, _pipeline.Limits.MaxBodyBytes, () => null, RequestStarts, RequestRead, Broken);
        _responses = new HttpMessageReader(false, _pipeline.Limits.MaxBodyBytes, () => _unanswered.Count > 0 ? _unanswered.Peek().Request.StartLine[0] : null, _ => { }, ResponseRead, Broken);
    }

    private void StartHttp2() =>
        _http2 = new Http2Connection(_pipeline.Limits.MaxBodyBytes, TakeOrdinal, Emit, (stream, kind, message, frame) =>
            _pipeline.Problems.Add(Severity.Warning, kind, message, Location(frame) + (stream is { } id ? $", stream {id}" : "")));

    private void TlsProblem(Severity severity, string kind, string message, Frame frame) => _pipeline.Problems.Add(severity, kind, message, Location(frame));

    /// <summary>Decrypted application data: the reader is chosen by ALPN, else by the first bytes either side sends.</summary>
    private void ApplicationData(bool toServer, ReadOnlySpan<byte> bytes, Frame frame)
    {
        if (_application == ApplicationProtocol.Undecided)
        {
            var alpn = _tls!.Alpn;
            _application = alpn == "h2" || toServer && bytes.StartsWith(Http2Connection.Preface[..Math.Min(bytes.Length, Http2Connection.Preface.Length)]) && alpn is null
                || !toServer && alpn is null && Http2Connection.LooksLikeServerStart(bytes) ? ApplicationProtocol.Http2
                : alpn is not null && alpn.StartsWith("http/1", StringComparison.Ordinal) || alpn is null && (toServer ? HttpMessageReader.LooksLikeRequest(bytes) : HttpMessageReader.LooksLikeResponse(bytes)) ? ApplicationProtocol.Http1
                : ApplicationProtocol.Other;
            if (_application == ApplicationProtocol.Http1) StartHttp1();
            else if (_application == ApplicationProtocol.Http2) StartHttp2();
        }
        switch (_application)
        {
            case ApplicationProtocol.Http1:
                (toServer ? _requests : _responses)!.Feed(bytes, frame);
                break;
            case ApplicationProtocol.Http2:
                _http2!.Feed(toServer, bytes, frame);
                break;
        }
    }

    private void ApplicationGap(bool toServer, long bytes, Frame frame, long? recordPlaintext)
    {
        switch (_application)
        {
            case ApplicationProtocol.Http1:
                (toServer ? _requests : _responses)!.Gap(bytes, frame);
                break;
            case ApplicationProtocol.Http2:
                _http2!.Gap(toServer, bytes, frame, recordPlaintext);
                break;
        }
    }

    private sealed class Decrypted(TcpConnection connection) : ITlsApplication
    {
        public void Data(bool toServer, ReadOnlySpan<byte> bytes, Frame frame) => connection.ApplicationData(toServer, bytes, frame);
        public void Gap(bool toServer, long bytes, Frame frame, long? recordPlaintext) => connection.ApplicationGap(toServer, bytes, frame, recordPlaintext);

        public void Resumed(bool toServer, long? lostPlaintext, Frame frame)
        {
            if (connection._application == ApplicationProtocol.Http2) connection._http2!.Resumed(toServer, lostPlaintext, frame);
        }
    }

    private void Gap(bool toServer, long bytes, Frame frame)
    {
        switch (Protocol)
        {
            case StreamProtocol.Http:
                (toServer ? _requests : _responses)!.Gap(bytes, frame);
                break;
            case StreamProtocol.Tls:
                _tls!.Gap(toServer, bytes, frame);
                break;
            case StreamProtocol.Http2:
                _http2!.Gap(toServer, bytes, frame, null);
                break;
            case StreamProtocol.Dns:
                (toServer ? _dnsToServer : _dnsToClient)!.Gap();
                break;
        }
        if (Protocol != StreamProtocol.Http)
            _pipeline.Problems.Add(Severity.Info, "TCP stream gap", $"{bytes} bytes of the {(toServer ? "client" : "server")} stream were not captured", Location(frame));
    }

    public string Location(Frame frame) => $"{frame.Location}, flow {Id}";

    private void RequestStarts(Frame frame) => _startingRequest = TakeOrdinal();

    private void RequestRead(HttpMessage request)
    {
        var ordinal = _startingRequest ?? TakeOrdinal();
        _startingRequest = null;
        _unanswered.Enqueue((ordinal, request));
        if (_unanswered.Count > MaxQueuedRequests)
        {
            var (o, r) = _unanswered.Dequeue();
            _pipeline.Problems.Add(Severity.Warning, "HTTP request never answered", $"more than {MaxQueuedRequests} pipelined requests wait for responses; the oldest is published without one", Location(r.LastFrame));
            Emit(o, r, null);
        }
    }

    private void ResponseRead(HttpMessage response)
    {
        var status = int.Parse(response.StartLine[1], System.Globalization.CultureInfo.InvariantCulture);
        // Interim responses (100 Continue, 103 Early Hints) precede the real one; 101 ends HTTP on this connection.
        if (status is >= 100 and < 200 && status != 101) return;
        if (_unanswered.Count == 0)
        {
            _pipeline.Problems.Add(Severity.Warning, "HTTP response without its request", $"HTTP response {status} answers no captured request", Location(response.FirstFrame));
            return;
        }
        var (ordinal, request) = _unanswered.Dequeue();
        if (status == 101 && _tls is null && string.Equals(response.Header("Upgrade")?.Trim(), "h2c", StringComparison.OrdinalIgnoreCase))
        {
            // Upgrade to cleartext HTTP/2 (RFC 7540 section 3.2): the request is answered on stream 1.
            Protocol = StreamProtocol.Http2;
            _requests = null;
            _responses = null;
            StartHttp2();
            var headers = request.Headers.Insert(0, new HttpHeader(":method", request.StartLine[0])).Insert(1, new HttpHeader(":path", request.StartLine[1]));
            _http2!.Upgraded(ordinal, headers, request.Body, request.WireBytes, request.LastFrame);
            return;
        }
        Emit(ordinal, request, response);
        if (status == 101 || request.StartLine[0] == "CONNECT" && status is >= 200 and < 300) SwitchToTunnel(request);
    }

    private void Broken(string why, Frame frame)
    {
        if (_startingRequest is { } ordinal)
        {
            _startingRequest = null;
            ExchangesMade++;
            _pipeline.Emit(new RecordQuarantined(ordinal, why, Location(frame)));
        }
        else
        {
            _pipeline.Problems.Add(Severity.Warning, "HTTP stream unreadable", why, Location(frame));
        }
    }

    private void Emit(int ordinal, HttpMessage request, HttpMessage? response)
    {
        ExchangesMade++;
        foreach (var message in response is null ? [request] : new[] { request, response })
        {
            if (message.Incomplete is not null)
                _pipeline.Problems.Add(Severity.Warning, "HTTP message incomplete", $"exchange {ordinal}: {(message == request ? "request" : "response")} {message.Incomplete}", Location(message.LastFrame));
        }
        if (_tls is null)
        {
            _pipeline.Emit(new ExchangeRead(HttpExchange.From(ordinal, request, response, Client, ClientIp, Server, ServerIp, ServerName, Id)));
            return;
        }
        _decryptedExchanges++;
        _pipeline.Emit(new ExchangeRead(HttpExchange.From(ordinal, request, response, Client, ClientIp, Server, ServerIp, _tls.ServerName ?? ServerName, Id, "https", _tunnelPort, CurrentTlsFacts)));
    }

    private TlsFacts? CurrentTlsFacts => _tls is null ? null : new TlsFacts(_tls.ServerName, _tls.Version, _tls.CipherSuiteName);

    /// <summary>One HTTP/2 stream as an exchange: pseudo-headers give the request line and status, the rest are its headers.</summary>
    private void Emit(Http2Exchange stream)
    {
        ExchangesMade++;
        if (_tls is not null) _decryptedExchanges++;
        string? Pseudo(ImmutableArray<HttpHeader> headers, string name)
        {
            foreach (var h in headers) if (h.Name == name) return h.Value;
            return null;
        }
        var request = stream.RequestHeaders;
        var method = Pseudo(request, ":method");
        if (method is null)
        {
            _pipeline.Emit(new RecordQuarantined(stream.Ordinal, $"HTTP/2 stream {stream.StreamId} has no :method in its request headers", Location(stream.FirstFrame) + $", stream {stream.StreamId}"));
            return;
        }
        if (stream.Incomplete is not null)
            _pipeline.Problems.Add(Severity.Warning, "HTTP message incomplete", $"exchange {stream.Ordinal}: HTTP/2 stream {stream.StreamId} {stream.Incomplete}", Location(stream.LastFrame) + $", stream {stream.StreamId}");
        var scheme = Pseudo(request, ":scheme") ?? (_tls is null ? "http" : "https");
        var authority = Pseudo(request, ":authority") ?? request.FirstOrDefault(h => string.Equals(h.Name, "host", StringComparison.OrdinalIgnoreCase)).Value;
        var target = HttpExchange.Target(Pseudo(request, ":path") ?? (method == "CONNECT" ? "" : "/"), authority, _tls?.ServerName ?? ServerName, _tunnelPort ?? Server.Port, scheme);
        var response = stream.ResponseHeaders;
        var status = response is { } r && int.TryParse(Pseudo(r, ":status"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : (int?)null;
        var started = stream.FirstFrame.TimeUtc;
        var last = stream.LastFrame.TimeUtc;
        var tls = CurrentTlsFacts;
        _pipeline.Emit(new ExchangeRead(new Exchange
        {
            Ordinal = stream.Ordinal,
            Kind = ExchangeKind.Http,
            StartedUtc = started,
            LastSeenUtc = last,
            DurationMs = started is not null && last is not null ? (last.Value - started.Value).TotalMilliseconds : null,
            Method = method,
            Target = target,
            HttpVersion = "HTTP/2",
            RequestHeaders = WithoutPseudoHeaders(request),
            RequestBody = stream.RequestBody,
            Status = status,
            ResponseHeaders = response is { } headers ? WithoutPseudoHeaders(headers) : [],
            ResponseBody = stream.ResponseBody,
            ServerIp = ServerIp,
            Sni = tls?.Sni,
            TlsVersion = tls?.Version,
            CipherSuite = tls?.CipherSuite,
            ClientIp = ClientIp,
            ClientPort = Client.Port,
            BytesToServer = stream.RequestBytes,
            BytesToClient = response is null ? null : stream.ResponseBytes,
            Connection = Id,
        }));
    }

    /// <summary>The fields of an HTTP/2 header list after its pseudo-headers (:method, :status, ...), in their order.</summary>
    private static ImmutableArray<HttpHeader> WithoutPseudoHeaders(ImmutableArray<HttpHeader> headers)
    {
        var pseudo = 0;
        foreach (var h in headers) if (h.Name.StartsWith(':')) pseudo++;
        if (pseudo == 0) return headers;
        var fields = new HttpHeader[headers.Length - pseudo];
        var n = 0;
        foreach (var h in headers) if (!h.Name.StartsWith(':')) fields[n++] = h;
        return ImmutableCollectionsMarshal.AsImmutableArray(fields);
    }

    public void Dns(ReadOnlySpan<byte> message, bool fromClient, Frame frame) =>
        _pipeline.Dns(message, fromClient ? Client : Server, fromClient ? Server : Client, frame, this);

    public void CountExchange() => ExchangesMade++;

    /// <summary>Ends the connection: whatever waits behind holes is handed over, half-read messages are closed.</summary>
    public void Finish()
    {
        ToServer.Flush(LastFrame);
        ToClient.Flush(LastFrame);
        _http2?.Finish(LastFrame);
        if (_requests is not null)
        {
            _requests!.End(LastFrame);
            _responses!.End(LastFrame);
            while (_unanswered.Count > 0)
            {
                var (ordinal, request) = _unanswered.Dequeue();
                Emit(ordinal, request, null);
            }
        }
        if (ToServer.Overflows + ToClient.Overflows > 0)
            _pipeline.Problems.Add(Severity.Warning, "TCP reassembly buffer full", $"out-of-order data over the {_pipeline.Limits.MaxReassemblyBytes}-byte reassembly buffer {ToServer.Overflows + ToClient.Overflows} times; the holes were given up", Location(LastFrame));
        if (_tls is not null) FinishTls();
        // A tunnel (CONNECT) that carried TLS is published as its TLS flow besides the CONNECT exchange, unless
        // the TLS was decrypted and its own exchanges stand for it.
        if (ExchangesMade > 0 && (Protocol != StreamProtocol.Tls || _decryptedExchanges > 0)) return;
        var tls = Protocol == StreamProtocol.Tls;
        var sni = _tls?.ServerName;
        var host = sni ?? ServerName;
        var first = FirstFrame.TimeUtc;
        _pipeline.Emit(new ExchangeRead(new Exchange
        {
            Ordinal = TakeOrdinal(),
            Kind = tls ? ExchangeKind.TlsFlow : ExchangeKind.TcpFlow,
            StartedUtc = first,
            LastSeenUtc = LastTime,
            DurationMs = first is not null && LastTime is not null ? (LastTime.Value - first.Value).TotalMilliseconds : null,
            Method = "",
            Target = new RequestTarget(tls ? "tls" : "tcp", host.ToLowerInvariant(), Server.Port, "", ""),
            ServerIp = ServerIp,
            ClientIp = ClientIp,
            ClientPort = Client.Port,
            Sni = sni,
            TlsVersion = _tls?.Version,
            CipherSuite = _tls?.CipherSuiteName,
            BytesToServer = ToServer.DeliveredBytes + ToServer.GapBytes,
            BytesToClient = ToClient.DeliveredBytes + ToClient.GapBytes,
            Connection = Id,
        }));
    }

    private void FinishTls()
    {
        var tls = _tls!;
        _pipeline.CountTls(tls);
        if (tls.KeysFound && tls.HadLoss && _decryptedExchanges > 0)
            _pipeline.Problems.Add(Severity.Warning, "decrypted TLS connection with gaps", $"this TLS connection was decrypted with the key log but parts of it were not captured or did not decrypt; its {_decryptedExchanges} exchanges may be incomplete", Location(LastFrame));
        tls.Dispose();
    }

    private sealed class Direction(TcpConnection connection, bool toServer) : IStreamSink
    {
        public void Data(ReadOnlySpan<byte> bytes, Frame frame) => connection.Data(toServer, bytes, frame);
        public void Gap(long bytes, Frame frame) => connection.Gap(toServer, bytes, frame);
    }

    /// <summary>DNS over TCP: each message is preceded by its 2-byte length (RFC 1035 section 4.2.2).</summary>
    private sealed class DnsStream(TcpConnection connection, bool fromClient)
    {
        private readonly List<byte> _buffer = [];
        private bool _lost;

        public void Feed(ReadOnlySpan<byte> bytes, Frame frame)
        {
            if (_lost) return;
            foreach (var b in bytes) _buffer.Add(b);
            while (_buffer.Count >= 2)
            {
                var length = (_buffer[0] << 8) | _buffer[1];
                if (_buffer.Count < 2 + length) return;
                var message = _buffer.GetRange(2, length).ToArray();
                _buffer.RemoveRange(0, 2 + length);
                connection.Dns(message, fromClient, frame);
            }
        }

        public void Gap()
        {
            _lost = true;
            _buffer.Clear();
        }
    }
}
