using System.Collections.Immutable;
using ResearchPipeline.Captures.Pcap.Tls;
using ResearchPipeline.Captures.Pcap.Quic;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// Turns the frames of a capture, in file order, into exchanges: TCP connections are reassembled and read as
/// HTTP, TLS or DNS; UDP datagrams as DNS, SSDP or plain flows. Records are handed out as soon as they are
/// whole (an HTTP exchange when its response ends, a flow when it closes or falls idle), so memory holds only
/// the open flows, each with bounded buffers. Ordinals follow the first packet of each flow or request.
/// </summary>
internal sealed class PacketPipeline
{
    // Flows idle this long in capture time are over: long enough for keep-alive connections, short enough to free memory.
    private static readonly TimeSpan TcpIdle = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan UdpIdle = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan DnsAnswerWait = TimeSpan.FromSeconds(30);
    // After FIN/RST late retransmissions and ACKs still belong to the connection for a moment.
    private static readonly TimeSpan ClosingGrace = TimeSpan.FromSeconds(2);
    private const int SweepEveryFrames = 1024;
    // Closed connections waiting out their grace: beyond this many (a clock that stands still, as in captures
    // concatenated one after another), the longest closed is finished at once, so memory stays bounded.
    private const int MaxClosing = 1024;
    private const int MaxNames = 1 << 20;
    // A ClientHello with post-quantum key shares and many extensions stays well under this.
    private const int MaxQuicHandshakeBytes = 64 * 1024;

    private readonly Queue<CaptureRecord> _out = new();
    private readonly Dictionary<(Endpoint, Endpoint), TcpConnection> _tcp = [];
    // Connections that closed, in the order they closed, which is the order of their ClosedAt (the capture's clock
    // never goes back). One finished early for another reason stays queued and is passed over when its turn comes.
    private readonly Queue<TcpConnection> _closing = new();
    private readonly Dictionary<(Endpoint, Endpoint), UdpFlow> _udp = [];
    private readonly Dictionary<(Endpoint Client, Endpoint Server, ushort Id), PendingDns> _dns = [];
    private readonly Dictionary<IpAddr, string> _dnsNames = [];
    private readonly Dictionary<IpAddr, string> _resolvedNames = [];
    private readonly SortedDictionary<string, (long Count, long FirstPacket)> _skipped = new(StringComparer.Ordinal);
    private readonly SortedSet<uint> _quicVersionsNotRead = [];
    private int _quicConnections;
    private int _quicNamed;
    private int _nextOrdinal;
    private int _orderedBelow;
    private long _frames;
    private DateTimeOffset? _now;
    private Frame? _lastFrame;

    // TLS connections by what could be done with them, for the capture's summary rows.
    private int _tlsConnections;
    private int _tlsWithoutKeys;
    private int _tlsDecrypted;

    // TLS key logs of secrets blocks that were added to the keys before reading: the first this many met are not added again.
    private int _secretsBlocksAhead;

    public PacketPipeline(ReadLimits limits, TlsKeyLog? keys = null, int secretsBlocksAhead = 0)
    {
        Limits = limits;
        Keys = keys ?? new TlsKeyLog();
        _secretsBlocksAhead = secretsBlocksAhead;
        Problems = new ProblemLog(Emit);
    }

    public ReadLimits Limits { get; }

    /// <summary>TLS secrets from key logs beside the capture and its Decryption Secrets Blocks, merged.</summary>
    public TlsKeyLog Keys { get; }
    public ProblemLog Problems { get; }

    public int NextOrdinal() => _nextOrdinal++;

    public void Emit(CaptureRecord record) => _out.Enqueue(record);

    public bool TryTake(out CaptureRecord record) => _out.TryDequeue(out record!);

    /// <summary>The name the capture gives an address: the DNS answer the app got, else a pcapng name record, else the address.</summary>
    public string NameFor(IpAddr address) => NameFor(address, null);

    /// <inheritdoc cref="NameFor(IpAddr)"/>
    public string NameFor(IpAddr address, string? written) =>
        _dnsNames.TryGetValue(address, out var name) || _resolvedNames.TryGetValue(address, out name) ? name : written ?? address.ToString();

    public void Process(ContainerItem item)
    {
        switch (item.Record)
        {
            case null:
                break;
            case PcapNgContainer.ResolvedName resolved:
                if (IpAddr.FromBytes(resolved.Address) is { } address && _resolvedNames.Count < MaxNames) _resolvedNames.TryAdd(address, resolved.Name);
                return;
            case DecryptionSecretsFound secrets:
                if (secrets.Kind == "tls-key-log")
                {
                    // Secrets are counted, never quoted: key material stays out of every table and log line.
                    if (_secretsBlocksAhead > 0) _secretsBlocksAhead--;
                    else Keys.Add(secrets.Secrets.Span);
                    Emit(new CaptureProblem(Severity.Info, $"decryption secrets block (tls-key-log, {secrets.Bytes} bytes) read: TLS secrets used to decrypt the capture's connections", secrets.Location));
                }
                else
                {
                    Emit(new CaptureProblem(Severity.Info, $"decryption secrets block ({secrets.Kind}, {secrets.Bytes} bytes) not used: only TLS key logs are", secrets.Location));
                }
                return;
            default:
                Emit(item.Record);
                return;
        }
        var frame = item.Frame!;
        _frames++;
        _lastFrame = frame;
        if (frame.TimeUtc is { } t && (_now is null || t > _now)) _now = t;
        if (frame.IsCut)
            Problems.Add(Severity.Warning, "packet cut at the snap length", $"packet cut at the snap length: {frame.CapturedLength} of {frame.OriginalLength} bytes captured", frame.Location);

        var decoded = PacketDecoder.Decode(frame, item.Data);
        if (decoded.Damage is not null)
            Problems.Add(Severity.Warning, decoded.Damage, $"packet not readable: {decoded.Damage}", frame.Location);
        else if (decoded.Skipped is not null)
            _skipped[decoded.Skipped] = _skipped.TryGetValue(decoded.Skipped, out var s) ? (s.Count + 1, s.FirstPacket) : (1, frame.Index);
        else if (decoded.Segment!.Value.Transport == Transport.Tcp)
            Tcp(decoded.Segment.Value, frame);
        else
            Udp(decoded.Segment.Value, frame);

        if (_closing.Count > 0) FinishClosed(force: false);
        if (_frames % SweepEveryFrames == 0)
        {
            Sweep();
            SayOrderedBelow();
        }
        if (_tcp.Count + _udp.Count > Limits.MaxOpenFlows) Evict();
    }

    private void Tcp(in Segment segment, Frame frame)
    {
        var key = Key(segment.Source, segment.Destination);
        var syn = (segment.Flags & TcpFlags.Syn) != 0;
        var ack = (segment.Flags & TcpFlags.Ack) != 0;
        if (_tcp.TryGetValue(key, out var connection) && (connection.ClosedAt is not null && syn && !ack || IdleTooLong(connection.LastTime, frame, TcpIdle)))
        {
            // The ports are reused by a new connection.
            Finish(connection);
            connection = null;
        }
        if (connection is null)
        {
            // A bare ACK or FIN of a connection we never saw carries nothing to read.
            if (!syn && segment.Payload.Length == 0 && segment.MissingBytes == 0) return;
            var (client, server) = syn ? (ack ? (segment.Destination, segment.Source) : (segment.Source, segment.Destination)) : ClientAndServer(segment.Source, segment.Destination);
            connection = new TcpConnection(this, client, server, frame, Limits.MaxReassemblyBytes);
            _tcp[key] = connection;
        }
        connection.LastFrame = frame;
        if (frame.TimeUtc is { } t) connection.LastTime = t;
        var toServer = segment.Source == connection.Client;
        var direction = toServer ? connection.ToServer : connection.ToClient;
        var sequence = segment.Sequence;
        if (syn)
        {
            direction.Syn(sequence);
            sequence++;
        }
        direction.Segment(sequence, segment.Payload.Span, segment.MissingBytes, (segment.Flags & TcpFlags.Fin) != 0, frame);
        if ((segment.Flags & TcpFlags.Rst) != 0 || connection.ToServer.FinSeen && connection.ToClient.FinSeen)
        {
            if (connection.ClosedAt is null)
            {
                connection.ClosedAt = _now ?? DateTimeOffset.MinValue;
                _closing.Enqueue(connection);
            }
        }
    }

    private void Udp(in Segment segment, Frame frame)
    {
        var payload = segment.Payload.Span;
        var src = segment.Source;
        var dst = segment.Destination;
        if (segment.MissingBytes > 0 && (IsDnsPort(src.Port) || IsDnsPort(dst.Port)))
            Problems.Add(Severity.Warning, "DNS datagram cut", "DNS datagram cut at the snap length; its answers may be incomplete", frame.Location);
        if ((IsDnsPort(src.Port) || IsDnsPort(dst.Port)) && Dns(payload, src, dst, frame, null)) return;
        // SSDP searches are requests answered by devices; NOTIFY datagrams are devices announcing themselves
        // to nobody in particular, and Wireshark does not count them as HTTP requests either.
        if (dst.Port == 1900 && HttpMessageReader.LooksLikeRequest(payload) && !payload.StartsWith("NOTIFY "u8))
        {
            Ssdp(segment, frame);
            return;
        }
        var key = Key(src, dst);
        if (_udp.TryGetValue(key, out var flow) && IdleTooLong(flow.LastTime, frame, UdpIdle))
        {
            Finish(flow);
            flow = null;
        }
        if (flow is null)
        {
            var (client, server) = ClientAndServer(src, dst);
            flow = new UdpFlow(NextOrdinal(), client, server, frame, NameFor(server.Address));
            _udp[key] = flow;
        }
        flow.LastFrame = frame;
        flow.LastTime = frame.TimeUtc ?? flow.LastTime;
        if (src == flow.Client) flow.BytesToServer += payload.Length + segment.MissingBytes;
        else flow.BytesToClient += payload.Length + segment.MissingBytes;
        if (flow.Quic is null && QuicInitialReader.StartsLikeQuic(payload) && (QuicVersion.Find(System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(payload[1..])) is not null || flow.Server.Port == 443))
            flow.Quic = new QuicInitialReader(MaxQuicHandshakeBytes);
        if (flow.Quic is { HelloRead: false } quic && src == flow.Client)
            quic.ClientDatagram(payload, (kind, message) => Problems.Add(Severity.Warning, kind, message, frame.Location));
    }

    private static bool IsDnsPort(ushort port) => port is 53 or 5353 or 5355;

    /// <summary>SSDP (UPnP discovery) is HTTP/1.1 over UDP multicast: every datagram is one request.</summary>
    private void Ssdp(in Segment segment, Frame frame)
    {
        int? ordinal = null;
        HttpMessage? request = null;
        var reader = new HttpMessageReader(true, Limits.MaxBodyBytes, () => null, _ => ordinal = NextOrdinal(), m => request = m,
            (why, f) => Emit(new RecordQuarantined(ordinal ??= NextOrdinal(), why, f.Location)));
        reader.Feed(segment.Payload.Span, frame);
        reader.End(frame);
        if (request is not null)
            Emit(new ExchangeRead(HttpExchange.From(ordinal ?? NextOrdinal(), request, null, segment.Source, segment.Destination, NameFor(segment.Destination.Address), $"udp {segment.Source} > {segment.Destination}")));
    }

    /// <summary>Reads one DNS message; false when it is not DNS, so the datagram is counted as plain UDP.</summary>
    public bool Dns(ReadOnlySpan<byte> bytes, Endpoint from, Endpoint to, Frame frame, TcpConnection? connection)
    {
        var message = DnsMessage.TryRead(bytes, out var error);
        var location = connection?.Location(frame) ?? frame.Location;
        if (message is null)
        {
            Problems.Add(Severity.Warning, "DNS message unreadable", $"DNS message unreadable: {error}", location);
            return false;
        }
        if (error is not null) Problems.Add(Severity.Warning, "DNS message partly unreadable", $"DNS message partly unreadable: {error}", location);
        if (!message.IsResponse)
        {
            var key = (from, to, message.Id);
            if (_dns.TryGetValue(key, out var earlier))
            {
                if (!IdleTooLong(earlier.Frame.TimeUtc, frame, DnsAnswerWait)) return true;
                _dns.Remove(key);
                EmitDns(earlier, null, ReadOnlyMemory<byte>.Empty, null);
            }
            _dns[key] = new PendingDns(Ordinals(message, connection), message, bytes.ToArray(), from, to, frame, connection?.Id ?? $"udp {from} > {to}");
            return true;
        }
        var question = message.Questions.Count > 0 ? message.Questions[0].Name : null;
        foreach (var answer in message.Answers)
        {
            if (answer.Address is { } address && question is not null && (_dnsNames.Count < MaxNames || _dnsNames.ContainsKey(address)))
                _dnsNames[address] = question;
        }
        if (_dns.Remove((to, from, message.Id), out var pending))
            EmitDns(pending, message, bytes.ToArray(), frame);
        else
            EmitDns(new PendingDns(Ordinals(message, connection), null, ReadOnlyMemory<byte>.Empty, to, from, frame, connection?.Id ?? $"udp {to} > {from}"), message, bytes.ToArray(), frame);
        return true;
    }

    /// <summary>One exchange per question: a message may ask several (mDNS does), and each name counts.</summary>
    private int[] Ordinals(DnsMessage message, TcpConnection? connection)
    {
        var ordinals = new int[Math.Max(1, message.Questions.Count)];
        for (var i = 0; i < ordinals.Length; i++)
        {
            if (connection is null) ordinals[i] = NextOrdinal();
            else
            {
                connection.CountExchange();
                ordinals[i] = connection.TakeOrdinal();
            }
        }
        return ordinals;
    }

    private void EmitDns(PendingDns query, DnsMessage? response, ReadOnlyMemory<byte> responseBytes, Frame? responseFrame)
    {
        var questions = (query.Query ?? response)!.Questions;
        var started = query.Frame.TimeUtc;
        var last = responseFrame?.TimeUtc ?? started;
        for (var i = 0; i < query.Ordinals.Length; i++) Emit(new ExchangeRead(new Exchange
        {
            Ordinal = query.Ordinals[i],
            Kind = ExchangeKind.DnsQuery,
            StartedUtc = started,
            LastSeenUtc = last,
            DurationMs = responseFrame is not null && started is not null && last is not null ? (last.Value - started.Value).TotalMilliseconds : null,
            Method = "",
            Target = new RequestTarget("dns", i < questions.Count ? questions[i].Name : "", query.Server.Port, "", ""),
            RequestBody = query.Bytes,
            ResponseBody = responseBytes,
            DnsAnswers = response is null ? [] : [.. response.Answers.Select(a => a.Data)],
            ServerIp = query.Server.Address.ToString(),
            ClientIp = query.Client.Address.ToString(),
            ClientPort = query.Client.Port,
            BytesToServer = query.Query is null ? null : query.Bytes.Length,
            BytesToClient = response is null ? null : responseBytes.Length,
            Connection = query.Connection,
        }));
    }

    /// <summary>Hands out every flow still open: the capture is over.</summary>
    public void Finish()
    {
        FinishClosed(force: true);
        foreach (var connection in _tcp.Values.OrderBy(c => c.FirstFrame.Index).ThenBy(c => c.Client).ThenBy(c => c.Server).ToList()) Finish(connection);
        foreach (var flow in _udp.Values.OrderBy(f => f.Ordinal).ToList()) Finish(flow);
        foreach (var query in _dns.Values.OrderBy(q => q.Ordinals[0]).ToList()) EmitDns(query, null, ReadOnlyMemory<byte>.Empty, null);
        _dns.Clear();
        foreach (var (what, (count, first)) in _skipped)
            Emit(new CaptureProblem(Severity.Info, $"{count} packets not read: {what}", $"from packet {first}"));
        if (_tlsWithoutKeys > 0)
            Emit(new CaptureProblem(Severity.Info, $"{_tlsWithoutKeys} of {_tlsConnections} TLS connections have no secrets in the key log{(Keys.IsEmpty ? " (the capture has no key log)" : "")}: their payload stays encrypted and each is published as a tls_flow", "capture"));
        if (_tlsDecrypted > 0)
            Emit(new CaptureProblem(Severity.Info, $"{_tlsDecrypted} of {_tlsConnections} TLS connections decrypted with the key log", "capture"));
        if (_quicConnections > 0)
        {
            var versions = _quicVersionsNotRead.Count == 0 ? "" : $"; Initial packets not read for version {string.Join(", ", _quicVersionsNotRead.Select(QuicVersion.Describe))}";
            Emit(new CaptureProblem(Severity.Info, $"{_quicConnections} QUIC connections whose payload stays unread (HTTP/3 is not decrypted): {_quicNamed} named from the ClientHello of their Initial packets{versions}", "capture"));
        }
        Problems.Summarise();
    }

    private void Finish(TcpConnection connection)
    {
        _tcp.Remove(Key(connection.Client, connection.Server));
        connection.Finish();
    }

    private void Finish(UdpFlow flow)
    {
        _udp.Remove(Key(flow.Client, flow.Server));
        var first = flow.FirstFrame.TimeUtc;
        var quic = flow.Quic;
        var sni = quic?.ServerName;
        if (quic is not null)
        {
            quic.Dispose();
            _quicConnections++;
            if (sni is not null) _quicNamed++;
            if (quic.Version is { } version && QuicVersion.Find(version) is null) _quicVersionsNotRead.Add(version);
        }
        Emit(new ExchangeRead(new Exchange
        {
            Ordinal = flow.Ordinal,
            Kind = ExchangeKind.UdpFlow,
            StartedUtc = first,
            LastSeenUtc = flow.LastTime,
            DurationMs = first is not null && flow.LastTime is not null ? (flow.LastTime.Value - first.Value).TotalMilliseconds : null,
            Method = "",
            // A QUIC connection is named by its ClientHello, as a TLS connection is.
            Target = new RequestTarget(quic is null ? "udp" : "quic", (sni ?? flow.ServerName).ToLowerInvariant(), flow.Server.Port, "", ""),
            Sni = sni,
            ServerIp = flow.Server.Address.ToString(),
            ClientIp = flow.Client.Address.ToString(),
            ClientPort = flow.Client.Port,
            BytesToServer = flow.BytesToServer,
            BytesToClient = flow.BytesToClient,
            Connection = $"udp {flow.Client} > {flow.Server}",
        }));
    }

    private void FinishClosed(bool force)
    {
        // Runs per packet while connections are closing: only the longest closed is looked at until it is due.
        while (_closing.TryPeek(out var connection))
        {
            if (!force && _now is not null && _now.Value - connection.ClosedAt!.Value < ClosingGrace && _closing.Count <= MaxClosing) return;
            _closing.Dequeue();
            if (_tcp.TryGetValue(Key(connection.Client, connection.Server), out var current) && ReferenceEquals(current, connection)) Finish(connection);
        }
    }

    /// <summary>Counts a finished TLS connection for the capture's summary.</summary>
    public void CountTls(TlsSession tls)
    {
        if (!tls.ClientHelloSeen && tls.EncryptedRecords == 0) return;
        _tlsConnections++;
        if (!tls.KeysFound) _tlsWithoutKeys++;
        else if (tls.RecordsDecrypted > 0) _tlsDecrypted++;
    }

    /// <summary>Closes flows idle too long in capture time; in ordinal order so output does not depend on hashing.</summary>
    private void Sweep()
    {
        if (_now is not { } now) return;
        foreach (var c in _tcp.Values.Where(c => c.LastTime is { } t && now - t > TcpIdle).OrderBy(c => c.FirstFrame.Index).ThenBy(c => c.Client).ToList()) Finish(c);
        foreach (var f in _udp.Values.Where(f => f.LastTime is { } t && now - t > UdpIdle).OrderBy(f => f.Ordinal).ToList()) Finish(f);
        foreach (var (key, q) in _dns.Where(d => d.Value.Frame.TimeUtc is { } t && now - t > DnsAnswerWait).OrderBy(d => d.Value.Ordinals[0]).ToList())
        {
            _dns.Remove(key);
            EmitDns(q, null, ReadOnlyMemory<byte>.Empty, null);
        }
    }

    /// <summary>
    /// Says which ordinals are all handed out: those below the first of every flow, connection and DNS query still
    /// open. What is open holds the only ordinals not yet handed out, each at or above its first; a new flow takes
    /// a higher one. Said only when it moves, at most once per sweep.
    /// </summary>
    private void SayOrderedBelow()
    {
        var below = _nextOrdinal;
        foreach (var c in _tcp.Values) below = Math.Min(below, c.FirstOrdinal);
        foreach (var f in _udp.Values) below = Math.Min(below, f.Ordinal);
        foreach (var q in _dns.Values) below = Math.Min(below, q.Ordinals.Min());
        if (below <= _orderedBelow) return;
        _orderedBelow = below;
        Emit(new OrderedBelow(below));
    }

    /// <summary>Over the open-flow limit: the least recently seen eighth of the flows are closed.</summary>
    private void Evict()
    {
        var flows = _tcp.Values.Select(c => (Last: c.LastFrame.Index, Tcp: (TcpConnection?)c, Udp: (UdpFlow?)null))
            .Concat(_udp.Values.Select(f => (Last: f.LastFrame.Index, Tcp: (TcpConnection?)null, Udp: (UdpFlow?)f)))
            .OrderBy(x => x.Last).ThenBy(x => x.Tcp?.FirstFrame.Index ?? x.Udp!.FirstFrame.Index).ThenBy(x => x.Tcp?.Client ?? x.Udp!.Client)
            .Take(Math.Max(1, Limits.MaxOpenFlows / 8)).ToList();
        Problems.Add(Severity.Warning, "open-flow limit reached", $"more than {Limits.MaxOpenFlows} flows open at once; the {flows.Count} least recently seen were closed early", _lastFrame!.Location);
        foreach (var (_, tcp, udp) in flows)
        {
            if (tcp is not null) Finish(tcp);
            else Finish(udp!);
        }
    }

    /// <summary>A packet this long after the last one of its flow starts a new flow on the same ports (sweeps run only now and then).</summary>
    private static bool IdleTooLong(DateTimeOffset? last, Frame frame, TimeSpan idle) =>
        last is not null && frame.TimeUtc is { } t && (t - last.Value).Duration() > idle;

    private static (Endpoint, Endpoint) Key(Endpoint a, Endpoint b) => a.CompareTo(b) <= 0 ? (a, b) : (b, a);

    /// <summary>
    /// Without a SYN to say who opened the connection, the server is the end with a well-known port, else the
    /// end with the lower port (clients pick ephemeral ports high), else the destination of the first packet.
    /// </summary>
    private static (Endpoint Client, Endpoint Server) ClientAndServer(Endpoint source, Endpoint destination)
    {
        if (destination.Port < 1024 && source.Port >= 1024) return (source, destination);
        if (source.Port < 1024 && destination.Port >= 1024) return (destination, source);
        return source.Port < destination.Port ? (destination, source) : (source, destination);
    }

    private sealed record PendingDns(int[] Ordinals, DnsMessage? Query, ReadOnlyMemory<byte> Bytes, Endpoint Client, Endpoint Server, Frame Frame, string Connection);

    private sealed class UdpFlow(int ordinal, Endpoint client, Endpoint server, Frame first, string serverName)
    {
        /// <summary>Named when the flow began, as TCP connections are.</summary>
        public string ServerName { get; } = serverName;
        public int Ordinal { get; } = ordinal;
        public Endpoint Client { get; } = client;
        public Endpoint Server { get; } = server;
        public Frame FirstFrame { get; } = first;
        public Frame LastFrame { get; set; } = first;
        public DateTimeOffset? LastTime { get; set; } = first.TimeUtc;
        public long BytesToServer { get; set; }
        public long BytesToClient { get; set; }
        /// <summary>Set once a datagram of the flow starts like QUIC.</summary>
        public QuicInitialReader? Quic { get; set; }
    }
}
