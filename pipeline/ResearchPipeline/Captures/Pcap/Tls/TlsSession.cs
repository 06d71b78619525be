using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ResearchPipeline.Captures.Pcap.Tls;

/// <summary>Where a TLS connection's decrypted application bytes go, in stream order per direction.</summary>
internal interface ITlsApplication
{
    void Data(bool toServer, ReadOnlySpan<byte> bytes, Frame frame);

    /// <summary>
    /// Application bytes lost: a record not captured whole or not authenticated. <paramref name="recordPlaintext"/>
    /// is, when known, the plaintext length of the one record lost, which ends where the next record's data begins
    /// (so a reader can step over exactly that many bytes); null when records were lost uncounted.
    /// </summary>
    void Gap(bool toServer, long bytes, Frame frame, long? recordPlaintext);

    /// <summary>
    /// Records decrypt again after a gap whose framing was lost. <paramref name="lostPlaintext"/> is, when the
    /// records lost could be counted (the first one after the gap began right where the gap ended), the application
    /// bytes they held; null otherwise.
    /// </summary>
    void Resumed(bool toServer, long? lostPlaintext, Frame frame);
}

/// <summary>
/// One TLS connection read from both directions of its TCP stream: records framed, the hellos read (client random,
/// server name, offered and chosen ALPN, version, cipher suite), and, when the key log holds the connection's
/// secrets, every record decrypted and its application data handed on. TLS 1.3 (handshake and application traffic
/// secrets, KeyUpdate, HelloRetryRequest, 0-RTT under a logged early secret) and TLS 1.2 and earlier (master secret,
/// AEAD and CBC suites, encrypt_then_mac). Damage costs the records it touches: framing is found again after a gap
/// and the sequence number by trying the few that can follow.
/// </summary>
internal sealed class TlsSession : IDisposable
{
    // RFC 8446 section 5.2 and RFC 5246 section 6.2.3: no record is larger; anything larger is not TLS.
    private const int MaxRecordPayload = 16384 + 2048;
    private const int MaxHandshakeMessage = 128 * 1024;
    private const int MaxSequenceTrials = 1024;

    // ServerHello.random of a HelloRetryRequest: SHA-256 of "HelloRetryRequest" (RFC 8446 section 4.1.3).
    private static readonly byte[] RetryRandom = SHA256.HashData("HelloRetryRequest"u8);

    private readonly TlsKeyLog _keys;
    private readonly Action<Severity, string, string, Frame> _problem;
    private readonly Side _client;
    private readonly Side _server;
    private byte[]? _clientRandom;
    private byte[]? _serverRandom;
    private TlsSecrets? _secrets;
    private CipherSuite? _suite;
    private bool _earlyDataOffered;
    private bool _encryptThenMacOffered;
    private bool _encryptThenMac;
    private byte[]? _scratch;

    public TlsSession(TlsKeyLog keys, Action<Severity, string, string, Frame> problem)
    {
        _keys = keys;
        _problem = problem;
        _client = new Side(true);
        _server = new Side(false);
    }

    public ITlsApplication? Application { get; set; }
    public string? ServerName { get; private set; }
    public IReadOnlyList<string> OfferedAlpn { get; private set; } = [];
    public string? Alpn { get; private set; }
    public ushort? VersionNumber { get; private set; }
    public ushort? CipherSuiteId { get; private set; }
    public bool ClientHelloSeen { get; private set; }
    public bool ServerHelloSeen { get; private set; }
    public bool HelloRetried { get; private set; }
    /// <summary>The key log holds secrets for this connection's client random.</summary>
    public bool KeysFound => _secrets is not null;
    public long RecordsDecrypted { get; private set; }
    public long RecordsNotDecrypted { get; private set; }
    public long EncryptedRecords { get; private set; }
    public bool Broken { get; private set; }
    /// <summary>Some application data could not be read (gap, failed record): exchanges from this connection may be partial.</summary>
    public bool HadLoss { get; private set; }

    public string? Version => VersionNumber switch
    {
        null => null,
        0x0300 => "SSL 3.0",
        0x0301 => "TLS 1.0",
        0x0302 => "TLS 1.1",
        0x0303 => "TLS 1.2",
        0x0304 => "TLS 1.3",
        var v => $"0x{v:x4}",
    };

    public string? CipherSuiteName => CipherSuiteId is { } id ? CipherSuites.Name(id) : null;

    /// <summary>True when the bytes start like a TLS record (handshake, alert, change cipher spec or application data).</summary>
    public static bool LooksLikeTls(ReadOnlySpan<byte> b) =>
        b.Length >= 3 && b[0] is 0x14 or 0x15 or 0x16 or 0x17 && b[1] == 3 && b[2] <= 4;

    public void Feed(bool toServer, ReadOnlySpan<byte> data, Frame frame)
    {
        var side = toServer ? _client : _server;
        while (data.Length > 0 && !Broken)
        {
            if (side.Lost)
            {
                // Framing was lost in a gap: look for the next byte run that reads as a record header.
                var at = FindHeader(data);
                // Bytes stepped over belong to the records lost, and are counted with them.
                side.LostPartialBytes += at < 0 ? data.Length : at;
                if (at < 0) return;
                side.Lost = false;
                data = data[at..];
            }
            if (side.HeaderFill < 5)
            {
                // A whole record in the segment is read where it lies; only one split across segments is gathered.
                if (side.HeaderFill == 0 && data.Length >= 5)
                {
                    var length = BinaryPrimitives.ReadUInt16BigEndian(data[3..]);
                    if (!ValidHeader(data, side, frame)) return;
                    if (data.Length >= 5 + length)
                    {
                        Record(side, data[..5], data.Slice(5, length), frame);
                        data = data[(5 + length)..];
                        continue;
                    }
                }
                var take = Math.Min(5 - side.HeaderFill, data.Length);
                data[..take].CopyTo(side.Header.AsSpan(side.HeaderFill));
                side.HeaderFill += take;
                data = data[take..];
                if (side.HeaderFill < 5) return;
                if (!ValidHeader(side.Header, side, frame)) return;
                side.Needed = BinaryPrimitives.ReadUInt16BigEndian(side.Header.AsSpan(3));
                // Records no key can open are counted past, not gathered.
                if (side.Unreadable(side.Header[0]))
                {
                    side.Damaged = true;
                    EncryptedRecords++;
                    RecordsNotDecrypted++;
                }
                if (side.Needed == 0)
                {
                    Record(side, side.Header, [], frame);
                    side.HeaderFill = 0;
                }
                continue;
            }
            var n = Math.Min(side.Needed, data.Length);
            if (!side.Damaged) side.Body.Append(data[..n]);
            side.Needed -= n;
            data = data[n..];
            if (side.Needed > 0) return;
            if (side.Damaged) side.Sequence++;
            else Record(side, side.Header, side.Body.Written, frame);
            side.Body.Clear();
            side.HeaderFill = 0;
            side.Damaged = false;
        }
    }

    /// <summary>Bytes of one direction never arrived.</summary>
    public void Gap(bool toServer, long bytes, Frame frame)
    {
        var side = toServer ? _client : _server;
        if (Broken) return;
        if (IsEncrypted(side) || RecordsDecrypted > 0) HadLoss = true;
        var inOneRecord = side.HeaderFill == 5 && !side.Lost && bytes <= side.Needed;
        Application?.Gap(toServer, bytes, frame, inOneRecord && !side.Damaged && side.Current is not null && side.Encrypted(this) ? Plaintext(BinaryPrimitives.ReadUInt16BigEndian(side.Header.AsSpan(3))) : null);
        if (inOneRecord)
        {
            // The hole lies inside one record: that record is lost, its neighbours are not.
            if (!side.Damaged && side.Encrypted(this))
                _problem(Severity.Warning, "TLS record not captured whole", $"{bytes} bytes inside a TLS record from the {Who(toServer)} were not captured; the record could not be decrypted", frame);
            side.Damaged = true;
            side.Body.Clear();
            side.Needed -= (int)bytes;
            if (side.Needed == 0)
            {
                side.Sequence++;
                side.HeaderFill = 0;
                side.Damaged = false;
            }
            return;
        }
        // Framing is lost: records are looked for again, and their sequence numbers guessed by trial.
        if (!ClientHelloSeen && toServer || !ServerHelloSeen && !toServer)
            _problem(Severity.Warning, "TLS hello not captured whole", $"{bytes} bytes of the TLS {(toServer ? "ClientHello" : "ServerHello")} were not captured; the server name may be missing", frame);
        else if (side.Encrypted(this))
            _problem(Severity.Warning, "TLS records not captured", $"{bytes} bytes of TLS records from the {Who(toServer)} were not captured; reading resumes at the next record", frame);
        if (!side.SequenceUnknown)
        {
            // Where the loss began, to count the records lost once reading resumes.
            side.LostFromSequence = side.Sequence;
            side.LostPartialBytes = side.HeaderFill < 5 ? side.HeaderFill : 5 + BinaryPrimitives.ReadUInt16BigEndian(side.Header.AsSpan(3)) - side.Needed;
            side.ResumeCountable = !side.Damaged;
        }
        side.Lost = true;
        side.SequenceUnknown = true;
        side.GapBytes += bytes;
        side.HeaderFill = 0;
        side.Needed = 0;
        side.Damaged = false;
        side.Body.Clear();
        side.HandshakeLost();
    }

    private static string Who(bool toServer) => toServer ? "client" : "server";

    private bool IsEncrypted(Side side) => side.Encrypted(this);

    private static int FindHeader(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i + 5 <= data.Length; i++)
        {
            if (data[i] is 0x17 or 0x15 or 0x16 && data[i + 1] == 3 && data[i + 2] is >= 1 and <= 4 && BinaryPrimitives.ReadUInt16BigEndian(data[(i + 3)..]) is > 0 and <= MaxRecordPayload)
                return i;
        }
        return -1;
    }

    private bool ValidHeader(ReadOnlySpan<byte> header, Side side, Frame frame)
    {
        var length = BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
        if (LooksLikeTls(header) && length <= MaxRecordPayload) return true;
        if (side.SequenceUnknown)
        {
            // A false start while looking for framing after a gap: keep looking.
            side.ResumeCountable = false;
            side.Lost = true;
            side.HeaderFill = 0;
            return false;
        }
        _problem(Severity.Warning, "TLS record unreadable", $"the {Who(side.ToServer)} sent a TLS record header that is not valid ({(LooksLikeTls(header) ? $"length {length} over {MaxRecordPayload}" : "not a record type")}); the rest of this direction was not read", frame);
        side.Lost = true;
        side.SequenceUnknown = true;
        side.HeaderFill = 0;
        return false;
    }

    private void Record(Side side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Frame frame)
    {
        var type = header[0];
        if (!side.CipherSpecChanged)
        {
            switch (type)
            {
                case 0x16:
                    side.Plaintext = true;
                    Handshake(side, payload, frame);
                    return;
                case 0x14:
                    ChangeCipherSpec(side, frame);
                    return;
                case 0x15:
                    return;
            }
        }
        EncryptedRecords++;
        if (!Decrypt(side, header, payload, frame, out var contentType, out var plaintext)) return;
        switch (contentType)
        {
            case 0x17:
                if (plaintext.Length > 0) Application?.Data(side.ToServer, plaintext, frame);
                break;
            case 0x16:
                Handshake(side, plaintext, frame);
                break;
        }
    }

    private void ChangeCipherSpec(Side side, Frame frame)
    {
        // TLS 1.2 and earlier: from here on this direction is encrypted under the pending keys.
        if (VersionNumber is null or >= 0x0304) return;
        side.CipherSpecChanged = true;
        side.Sequence = 0;
        side.Current = side.Pending;
    }

    private bool Decrypt(Side side, ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, Frame frame, out byte contentType, out ReadOnlySpan<byte> plaintext)
    {
        contentType = 0;
        plaintext = [];
        if (side.Current is null && side.Next is null)
        {
            side.Sequence++;
            RecordsNotDecrypted++;
            if (KeysFound && !side.Unsupported)
            {
                side.Unsupported = true;
                var why = _suite is null && CipherSuiteId is { } id ? $"cipher suite {CipherSuites.Name(id)} is not supported"
                    : side.ToServer && !ServerHelloSeen ? "0-RTT data without a logged early traffic secret"
                    : "the key log lacks the secret for this phase of the connection";
                _problem(Severity.Warning, "TLS records not decrypted", $"TLS records from the {Who(side.ToServer)} were not decrypted: {why}", frame);
            }
            if (KeysFound) HadLoss = true;
            return false;
        }
        if (_scratch is null || _scratch.Length < payload.Length) _scratch = ArrayPool<byte>.Shared.Rent(MaxRecordPayload);
        var output = _scratch.AsSpan(0, payload.Length);
        var trials = side.SequenceUnknown ? (int)Math.Min(MaxSequenceTrials, side.GapBytes / 22 + 2) : 1;
        for (var c = 0; c < 2; c++)
        {
            var candidate = c == 0 ? side.Current : side.Next;
            if (candidate is null) continue;
            for (var t = 0; t < trials; t++)
            {
                var sequence = (candidate == side.Current ? side.Sequence : 0) + (ulong)t;
                if (!candidate.TryDecrypt(header, payload, sequence, output, out contentType, out var length)) continue;
                if (candidate != side.Current)
                {
                    side.Current = candidate;
                    side.Next = null;
                }
                if (side.SequenceUnknown && candidate == side.Current)
                {
                    var lostRecords = (long)(sequence - side.LostFromSequence);
                    long? lost = side.ResumeCountable && lostRecords > 0 && Overhead is { } overhead
                        ? side.GapBytes + side.LostPartialBytes - lostRecords * (5 + overhead) : null;
                    Application?.Resumed(side.ToServer, lost is >= 0 ? lost : null, frame);
                }
                side.Sequence = sequence + 1;
                side.SequenceUnknown = false;
                side.GapBytes = 0;
                RecordsDecrypted++;
                plaintext = output[..length];
                return true;
            }
        }
        RecordsNotDecrypted++;
        HadLoss = true;
        if (side.SequenceUnknown)
        {
            // Either not a record boundary after all or too many records lost: keep looking.
            side.LostPartialBytes += 5 + payload.Length;
            side.Lost = true;
            side.HeaderFill = 0;
            return false;
        }
        side.Sequence++;
        _problem(Severity.Warning, "TLS record not authenticated", $"a TLS record from the {Who(side.ToServer)} ({payload.Length} bytes) failed authentication under the logged keys; it was skipped", frame);
        Application?.Gap(side.ToServer, payload.Length, frame, Plaintext(payload.Length));
        return false;
    }

    /// <summary>
    /// The application bytes an AEAD record of this payload length carries (TLS 1.3 records assumed unpadded, as
    /// senders write them); null for CBC suites, whose padding and MAC hide it.
    /// </summary>
    private long? Plaintext(int payload) => Overhead is { } overhead ? Math.Max(0, payload - overhead) : null;

    private int? Overhead => _suite?.Kind switch
    {
        RecordCipherKind.Tls13Aead => 17,
        RecordCipherKind.Gcm12 => 24,
        RecordCipherKind.ChaCha12 => 16,
        _ => null,
    };

    private void Handshake(Side side, ReadOnlySpan<byte> bytes, Frame frame)
    {
        while (bytes.Length > 0)
        {
            if (side.MessageHeaderFill < 4)
            {
                var take = Math.Min(4 - side.MessageHeaderFill, bytes.Length);
                bytes[..take].CopyTo(side.MessageHeader.AsSpan(side.MessageHeaderFill));
                side.MessageHeaderFill += take;
                bytes = bytes[take..];
                if (side.MessageHeaderFill < 4) return;
                side.MessageNeeded = (side.MessageHeader[1] << 16) | (side.MessageHeader[2] << 8) | side.MessageHeader[3];
                // Only the messages whose content matters are kept; certificates and tickets are only counted past.
                side.MessageKept = side.MessageHeader[0] is 1 or 2 or 8 or 24 && side.MessageNeeded <= MaxHandshakeMessage;
                if (side.MessageHeader[0] is 1 or 2 && side.MessageNeeded > MaxHandshakeMessage)
                    _problem(Severity.Warning, "TLS hello too large", $"a TLS hello of {side.MessageNeeded} bytes is over {MaxHandshakeMessage} and was not read", frame);
            }
            var n = Math.Min(side.MessageNeeded, bytes.Length);
            if (side.MessageKept) side.Message.Append(bytes[..n]);
            side.MessageNeeded -= n;
            bytes = bytes[n..];
            if (side.MessageNeeded > 0) return;
            var type = side.MessageHeader[0];
            if (type is 1 or 2 && !side.MessageKept)
            {
                side.MessageHeaderFill = 0;
                continue;
            }
            try
            {
                Message(side, type, side.MessageKept ? side.Message.Written : [], frame);
            }
            catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
            {
                _problem(Severity.Warning, "TLS handshake message unreadable", $"TLS handshake message {type} from the {Who(side.ToServer)} is malformed", frame);
            }
            side.Message.Clear();
            side.MessageHeaderFill = 0;
        }
    }

    private void Message(Side side, byte type, ReadOnlySpan<byte> body, Frame frame)
    {
        switch (type)
        {
            case 1 when side.ToServer:
                ClientHello(body);
                break;
            case 2 when !side.ToServer:
                ServerHello(body, frame);
                break;
            case 8 when !side.ToServer:
                // EncryptedExtensions (TLS 1.3): where the server's ALPN choice is.
                var encrypted = new TlsHandshake.Extensions(body, 0);
                while (encrypted.Next(out var t, out var v)) if (t == 16) Alpn = FirstAlpn(v);
                break;
            case 5 when side.ToServer && VersionNumber == 0x0304:
                // EndOfEarlyData: the client's next records are under its handshake secret.
                side.Current = side.Next ?? Tls13(_secrets?.ClientHandshakeTraffic);
                side.Next = null;
                side.Sequence = 0;
                break;
            case 20 when VersionNumber == 0x0304:
                // Finished: this direction's next records are under its application traffic secret.
                side.TrafficSecret = side.ToServer ? _secrets?.ClientTraffic0 : _secrets?.ServerTraffic0;
                side.Current = Tls13(side.TrafficSecret);
                side.Next = null;
                side.Sequence = 0;
                break;
            case 24 when VersionNumber == 0x0304 && _suite is not null:
                // KeyUpdate: the sender's next records are under the next traffic secret (RFC 8446 section 7.2).
                if (side.TrafficSecret is null) break;
                side.TrafficSecret = TlsKeySchedule.NextTrafficSecret(_suite.Hash, side.TrafficSecret);
                side.Current = Tls13(side.TrafficSecret);
                side.Sequence = 0;
                break;
        }
    }

    private RecordDecryptor? Tls13(byte[]? secret) => secret is not null && _suite is { Kind: RecordCipherKind.Tls13Aead } s && secret.Length == s.HashBytes ? RecordDecryptor.Tls13(s, secret) : null;

    private void ClientHello(ReadOnlySpan<byte> b)
    {
        // A second ClientHello answers a HelloRetryRequest; it keeps the first one's random.
        var firstHello = !ClientHelloSeen;
        ClientHelloSeen = true;
        var random = b.Slice(2, 32).ToArray();
        var pos = 34;
        pos += 1 + b[pos];
        pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(b[pos..]);
        pos += 1 + b[pos];
        if (firstHello)
        {
            _clientRandom = random;
            _secrets = _keys.Find(random);
        }
        var extensions = new TlsHandshake.Extensions(b, pos);
        while (extensions.Next(out var type, out var value))
        {
            switch (type)
            {
                case 0:
                    ServerName ??= SniName(value);
                    break;
                case 16:
                    OfferedAlpn = AlpnList(value);
                    break;
                case 22:
                    _encryptThenMacOffered = true;
                    break;
                case 42:
                    _earlyDataOffered = firstHello;
                    break;
            }
        }
        if (firstHello && _earlyDataOffered && _secrets?.ClientEarlyTraffic is { } early)
        {
            // The early data's suite is the resumed session's, unknown until the server answers: the TLS 1.3 suite
            // whose hash fits the secret is tried first; others follow on failure.
            var suite = CipherSuites.Find(early.Length == 48 ? (ushort)0x1302 : (ushort)0x1301)!;
            _client.Current = RecordDecryptor.Tls13(suite, early);
            if (early.Length == 32) _client.Next = RecordDecryptor.Tls13(CipherSuites.Find(0x1303)!, early);
        }
    }

    private void ServerHello(ReadOnlySpan<byte> b, Frame frame)
    {
        var legacy = BinaryPrimitives.ReadUInt16BigEndian(b);
        var random = b.Slice(2, 32);
        var pos = 34;
        pos += 1 + b[pos];
        var suiteId = BinaryPrimitives.ReadUInt16BigEndian(b[pos..]);
        pos += 2 + 1;
        var version = legacy;
        string? alpn = null;
        var etm = false;
        var extensions = new TlsHandshake.Extensions(b, pos);
        while (extensions.Next(out var type, out var value))
        {
            if (type == 43 && value.Length == 2) version = BinaryPrimitives.ReadUInt16BigEndian(value);
            else if (type == 16) alpn = FirstAlpn(value);
            else if (type == 22) etm = true;
        }
        VersionNumber = version;
        CipherSuiteId = suiteId;
        if (alpn is not null) Alpn = alpn;
        if (random.SequenceEqual(RetryRandom))
        {
            // HelloRetryRequest: the real ServerHello follows the client's second hello.
            HelloRetried = true;
            return;
        }
        ServerHelloSeen = true;
        _serverRandom = random.ToArray();
        _suite = CipherSuites.Find(suiteId);
        if (_suite is not null && (_suite.Kind == RecordCipherKind.Tls13Aead) != (version == 0x0304)) _suite = null;
        _encryptThenMac = etm && _encryptThenMacOffered && _suite?.Kind == RecordCipherKind.Cbc;
        if (_secrets is null) return;
        if (_suite is null)
        {
            _problem(Severity.Warning, "TLS cipher suite not supported", $"keys are logged for this connection but its cipher suite {CipherSuites.Name(suiteId)} ({Version}) is not one this reader decrypts; its payload stays unread", frame);
            return;
        }
        if (version == 0x0304)
        {
            _server.Current = Tls13(_secrets.ServerHandshakeTraffic);
            _server.Sequence = 0;
            var handshake = Tls13(_secrets.ClientHandshakeTraffic);
            if (_client.Current is not null && _client.SequenceUsed)
            {
                // 0-RTT was sent: the client moves to its handshake keys at EndOfEarlyData, or at once if refused.
                _client.Next = handshake;
            }
            else
            {
                _client.Current = handshake;
                _client.Next = null;
                _client.Sequence = 0;
            }
            return;
        }
        if (_secrets.MasterSecret is not { } master) return;
        var (client, server) = RecordDecryptor.Tls12(version, _suite, master, _clientRandom!, _serverRandom, _encryptThenMac);
        _client.Pending = client;
        _server.Pending = server;
    }

    private static string? SniName(ReadOnlySpan<byte> value)
    {
        if (value.Length < 5) return null;
        // server_name (RFC 6066 section 3): a list of (type, name); type 0 is a host name.
        var listEnd = Math.Min(value.Length, 2 + BinaryPrimitives.ReadUInt16BigEndian(value));
        var p = 2;
        while (p + 3 <= listEnd)
        {
            var nameLength = BinaryPrimitives.ReadUInt16BigEndian(value[(p + 1)..]);
            if (p + 3 + nameLength > listEnd) break;
            if (value[p] == 0) return Encoding.ASCII.GetString(value.Slice(p + 3, nameLength));
            p += 3 + nameLength;
        }
        return null;
    }

    private static List<string> AlpnList(ReadOnlySpan<byte> value)
    {
        var names = new List<string>();
        if (value.Length < 2) return names;
        var end = Math.Min(value.Length, 2 + BinaryPrimitives.ReadUInt16BigEndian(value));
        var p = 2;
        while (p < end)
        {
            var n = value[p];
            if (p + 1 + n > end) break;
            names.Add(Encoding.ASCII.GetString(value.Slice(p + 1, n)));
            p += 1 + n;
        }
        return names;
    }

    private static string? FirstAlpn(ReadOnlySpan<byte> value) => AlpnList(value) is [var first, ..] ? first : null;

    public void Dispose()
    {
        _client.Dispose();
        _server.Dispose();
        if (_scratch is not null) ArrayPool<byte>.Shared.Return(_scratch);
        _scratch = null;
    }

    /// <summary>One direction: its record framing, handshake message framing and keys.</summary>
    private sealed class Side(bool toServer) : IDisposable
    {
        private RecordDecryptor? _current;

        public bool ToServer { get; } = toServer;
        public byte[] Header { get; } = new byte[5];
        public int HeaderFill { get; set; }
        public int Needed { get; set; }
        public PooledBytes Body { get; } = new();
        public bool Damaged { get; set; }
        public bool Lost { get; set; }
        public bool SequenceUnknown { get; set; }
        public long GapBytes { get; set; }
        public ulong LostFromSequence { get; set; }
        public long LostPartialBytes { get; set; }
        public bool ResumeCountable { get; set; }
        public bool Plaintext { get; set; }
        public bool CipherSpecChanged { get; set; }
        public bool Unsupported { get; set; }

        public RecordDecryptor? Current
        {
            get => _current;
            set
            {
                if (_current is not null && _current != value && _current != Next && _current != Pending) _current.Dispose();
                _current = value;
            }
        }

        public RecordDecryptor? Next { get; set; }
        public RecordDecryptor? Pending { get; set; }
        public byte[]? TrafficSecret { get; set; }

        private ulong _sequence;

        public ulong Sequence
        {
            get => _sequence;
            set
            {
                _sequence = value;
                if (value > 0) SequenceUsed = true;
            }
        }

        public bool SequenceUsed { get; private set; }

        public byte[] MessageHeader { get; } = new byte[4];
        public int MessageHeaderFill { get; set; }
        public int MessageNeeded { get; set; }
        public bool MessageKept { get; set; }
        public PooledBytes Message { get; } = new();

        /// <summary>TLS 1.3 records of type application_data are always encrypted; TLS 1.2 ones after ChangeCipherSpec.</summary>
        public bool Encrypted(TlsSession session) => CipherSpecChanged || session.VersionNumber == 0x0304 && session.ServerHelloSeen;

        /// <summary>A record whose bytes need not be gathered: encrypted with no keys to read it.</summary>
        public bool Unreadable(byte type) => Current is null && Next is null && (CipherSpecChanged || type == 0x17);

        public void HandshakeLost()
        {
            MessageHeaderFill = 0;
            MessageNeeded = 0;
            Message.Clear();
        }

        public void Dispose()
        {
            Body.Clear();
            Message.Clear();
            _current?.Dispose();
            Next?.Dispose();
            if (Pending != _current) Pending?.Dispose();
        }
    }
}
