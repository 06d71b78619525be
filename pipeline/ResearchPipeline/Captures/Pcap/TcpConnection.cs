namespace ResearchPipeline.Captures.Pcap;

/// <summary>What a TCP connection carries, decided from its first bytes (ports lie; content does not).</summary>
internal enum StreamProtocol
{
    Undecided,
    Http,
    Tls,
    Dns,
    Other,
}

/// <summary>
/// One TCP connection: both directions reassembled, the protocol recognised from the first bytes, and the
/// application messages read as they complete. Exchanges go out through the packet pipeline as soon as they
/// are whole; the flow itself becomes an exchange when it ends, unless it already produced HTTP or DNS ones.
/// </summary>
internal sealed class TcpConnection
{
    private const int MaxHandshakeBytes = 64 * 1024;
    private const int MaxQueuedRequests = 1024;

    private readonly PacketPipeline _pipeline;
    private readonly Queue<(int Ordinal, HttpMessage Request)> _unanswered = new();
    private int? _reservedOrdinal;
    private int? _startingRequest;
    private HttpMessageReader? _requests;
    private HttpMessageReader? _responses;
    private TlsHandshake? _clientHello;
    private TlsHandshake? _serverHello;
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
        // Named now, by the DNS answers the app had when it connected: a later answer for the same address
        // (another name on a shared CDN address) must not rename this flow.
        ServerName = pipeline.NameFor(server.Address);
        ToServer = new TcpReassembler(new Direction(this, true), maxReassemblyBytes);
        ToClient = new TcpReassembler(new Direction(this, false), maxReassemblyBytes);
    }

    public Endpoint Client { get; }
    public Endpoint Server { get; }
    public Frame FirstFrame { get; }
    public Frame LastFrame { get; set; }
    public DateTimeOffset? LastTime { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    public bool ResetSeen { get; set; }
    public TcpReassembler ToServer { get; }
    public TcpReassembler ToClient { get; }
    public StreamProtocol Protocol { get; private set; }
    public int ExchangesMade { get; private set; }
    public string Id => _id ??= $"tcp {Client} > {Server}";

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
        else if (toServer && HttpMessageReader.LooksLikeRequest(first) || !toServer && HttpMessageReader.LooksLikeResponse(first)) Protocol = StreamProtocol.Http;
        else if (TlsHandshake.LooksLikeTls(first)) Protocol = StreamProtocol.Tls;
        else Protocol = StreamProtocol.Other;

        switch (Protocol)
        {
            case StreamProtocol.Http:
                _requests = new HttpMessageReader(true, _pipeline.Limits.MaxBodyBytes, () => null, RequestStarts, RequestRead, Broken);
                _responses = new HttpMessageReader(false, _pipeline.Limits.MaxBodyBytes, () => _unanswered.Count > 0 ? _unanswered.Peek().Request.StartLine[0] : null, _ => { }, ResponseRead, Broken);
                break;
            case StreamProtocol.Tls:
                _clientHello = new TlsHandshake(MaxHandshakeBytes);
                _serverHello = new TlsHandshake(MaxHandshakeBytes);
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
                (toServer ? _requests : _responses)!.Feed(bytes, frame);
                break;
            case StreamProtocol.Tls:
                var hello = toServer ? _clientHello! : _serverHello!;
                if (!hello.Done && !hello.Failed) hello.Feed(bytes);
                break;
            case StreamProtocol.Dns:
                (toServer ? _dnsToServer : _dnsToClient)!.Feed(bytes, frame);
                break;
        }
    }

    private void SwitchToTunnel()
    {
        // After CONNECT or an upgrade the connection carries another protocol, usually TLS: read its hello.
        Protocol = StreamProtocol.Undecided;
    }

    private void Gap(bool toServer, long bytes, Frame frame)
    {
        switch (Protocol)
        {
            case StreamProtocol.Http:
                (toServer ? _requests : _responses)!.Gap(bytes, frame);
                break;
            case StreamProtocol.Tls:
                var hello = toServer ? _clientHello! : _serverHello!;
                if (!hello.Done && !hello.Failed && hello.Started)
                    _pipeline.Problems.Add(Severity.Warning, "TLS hello not captured whole", $"{bytes} bytes of the TLS {(toServer ? "ClientHello" : "ServerHello")} were not captured; the server name may be missing", Location(frame));
                hello.Abandon();
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
        Emit(ordinal, request, response);
        if (status == 101 || request.StartLine[0] == "CONNECT" && status is >= 200 and < 300) SwitchToTunnel();
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
        _pipeline.Emit(new ExchangeRead(HttpExchange.From(ordinal, request, response, Client, Server, ServerName, Id)));
    }

    public void Dns(ReadOnlySpan<byte> message, bool fromClient, Frame frame) =>
        _pipeline.Dns(message, fromClient ? Client : Server, fromClient ? Server : Client, frame, this);

    public void CountExchange() => ExchangesMade++;

    /// <summary>Ends the connection: whatever waits behind holes is handed over, half-read messages are closed.</summary>
    public void Finish()
    {
        ToServer.Flush(LastFrame);
        ToClient.Flush(LastFrame);
        if (Protocol == StreamProtocol.Http && _requests is not null)
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
        // A tunnel (CONNECT) that carried TLS is published as its TLS flow besides the CONNECT exchange.
        if (ExchangesMade > 0 && Protocol != StreamProtocol.Tls) return;
        var tls = Protocol == StreamProtocol.Tls;
        var sni = _clientHello?.ServerName;
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
            ServerIp = Server.Address.ToString(),
            ClientIp = Client.Address.ToString(),
            ClientPort = Client.Port,
            Sni = sni,
            TlsVersion = _serverHello?.Version,
            BytesToServer = ToServer.DeliveredBytes + ToServer.GapBytes,
            BytesToClient = ToClient.DeliveredBytes + ToClient.GapBytes,
            Connection = Id,
        }));
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
