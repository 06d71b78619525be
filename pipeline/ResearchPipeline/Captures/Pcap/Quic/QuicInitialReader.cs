using System.Buffers.Binary;
using System.Text;

namespace ResearchPipeline.Captures.Pcap.Quic;

/// <summary>
/// Reads the ClientHello of one QUIC connection out of the client's Initial packets (RFC 9000 section 17.2.2,
/// RFC 9001 section 5): header protection removed, payload opened with the keys of the client's destination
/// connection ID, CRYPTO frames gathered by offset (a ClientHello with post-quantum key shares spans several
/// packets, and they may arrive out of order) until the hello is whole. Everything after the handshake (HTTP/3)
/// stays encrypted: no key for it is derivable from the wire. Work and memory are bounded per connection.
/// </summary>
internal sealed class QuicInitialReader(int maxCryptoBytes, bool keepHello = false) : IDisposable
{
    // Clients send a handful of Initial packets; a connection that has not given its hello after this many is not read further.
    private const int MaxInitialPackets = 32;
    private const int TlsRecordMax = 16384;

    private byte[] _crypto = [];
    private readonly List<(long Start, long End)> _filled = [];
    private QuicInitialKeys? _keys;
    private uint _keysVersion;
    private byte[] _keysConnectionId = [];
    private int _initialPackets;
    private bool _givenUp;

    /// <summary>The version of the client's first long-header packet.</summary>
    public uint? Version { get; private set; }
    public bool HelloRead { get; private set; }
    public string? ServerName { get; private set; }
    /// <summary>Protocols the client offered by ALPN, in its order ("h3", ...).</summary>
    public IReadOnlyList<string> Alpn { get; private set; } = [];
    /// <summary>The handshake message read, when asked to keep it (tests re-encrypt real hellos with it).</summary>
    public byte[]? ClientHello { get; private set; }

    /// <summary>
    /// A long-header packet with the fixed bit set and a version number other than 0 (version negotiation):
    /// how every QUIC connection starts, whatever its version (RFC 8999 section 5.1).
    /// </summary>
    public static bool StartsLikeQuic(ReadOnlySpan<byte> datagram) =>
        datagram.Length >= 7 && (datagram[0] & 0xC0) == 0xC0 && BinaryPrimitives.ReadUInt32BigEndian(datagram[1..]) != 0;

    /// <summary>Reads one datagram the client sent. <paramref name="problem"/> is called with a kind and a message for each damaged packet.</summary>
    public void ClientDatagram(ReadOnlySpan<byte> datagram, Action<string, string> problem)
    {
        var pos = 0;
        while (!HelloRead && !_givenUp && pos < datagram.Length)
        {
            var packet = datagram[pos..];
            // A short-header (1-RTT) packet ends the datagram: it has no length field, and nothing in it is readable.
            if ((packet[0] & 0x80) == 0) return;
            if (packet.Length < 7)
            {
                problem("QUIC packet malformed", $"QUIC long-header packet of {packet.Length} bytes is too short for its header");
                return;
            }
            var number = BinaryPrimitives.ReadUInt32BigEndian(packet[1..]);
            if (number == 0) return;
            Version ??= number;
            if (QuicVersion.Find(number) is not { } version) return;
            var used = Packet(packet, version, problem);
            if (used <= 0) return;
            pos += used;
        }
    }

    /// <summary>One long-header packet; returns its length (coalesced packets follow it), or 0 when the rest of the datagram cannot be framed.</summary>
    private int Packet(ReadOnlySpan<byte> p, QuicVersion version, Action<string, string> problem)
    {
        var dcidLength = p[5];
        if (dcidLength > 20 || 7 + dcidLength > p.Length)
        {
            problem("QUIC packet malformed", $"QUIC {version.Name} packet: destination connection ID of {dcidLength} bytes does not fit");
            return 0;
        }
        var dcid = p.Slice(6, dcidLength);
        var scidLength = p[6 + dcidLength];
        var pos = 7 + dcidLength + scidLength;
        if (scidLength > 20 || pos > p.Length)
        {
            problem("QUIC packet malformed", $"QUIC {version.Name} packet: source connection ID of {scidLength} bytes does not fit");
            return 0;
        }
        var type = (p[0] >> 4) & 3;
        // Retry (v1: 0b11; v2 renumbers it 0b00) has no length and carries no handshake data.
        if (type == (version.InitialType == 0 ? 3 : 0)) return 0;
        if (type == version.InitialType)
        {
            if (!Varint.TryRead(p, ref pos, out var tokenLength) || (ulong)(p.Length - pos) < tokenLength)
            {
                problem("QUIC packet malformed", $"QUIC {version.Name} Initial packet: token length beyond the datagram");
                return 0;
            }
            pos += (int)tokenLength;
        }
        if (!Varint.TryRead(p, ref pos, out var length) || (ulong)(p.Length - pos) < length)
        {
            problem("QUIC packet malformed", $"QUIC {version.Name} packet: length field beyond the datagram");
            return 0;
        }
        var end = pos + (int)length;
        if (type == version.InitialType && ++_initialPackets <= MaxInitialPackets) Initial(p[..end], pos, version, dcid, problem);
        else if (type == version.InitialType && !_givenUp)
        {
            _givenUp = true;
            problem("QUIC ClientHello incomplete", $"QUIC {version.Name}: no whole ClientHello after {MaxInitialPackets} Initial packets; the connection's name was not read");
        }
        return end;
    }

    private void Initial(ReadOnlySpan<byte> p, int pnOffset, QuicVersion version, ReadOnlySpan<byte> dcid, Action<string, string> problem)
    {
        // The header-protection sample starts 4 bytes after the packet number's first byte (RFC 9001 section 5.4.2).
        if (pnOffset + 4 + 16 > p.Length)
        {
            problem("QUIC packet malformed", $"QUIC {version.Name} Initial packet too short to sample its header protection");
            return;
        }
        var keys = Keys(version, dcid);
        var mask = keys.Mask(p.Slice(pnOffset + 4, 16));
        var first = (byte)(p[0] ^ (mask[0] & 0x0f));
        var pnLength = (first & 3) + 1;
        var header = p[..(pnOffset + pnLength)].ToArray();
        header[0] = first;
        ulong packetNumber = 0;
        for (var i = 0; i < pnLength; i++)
        {
            header[pnOffset + i] ^= mask[1 + i];
            packetNumber = (packetNumber << 8) | header[pnOffset + i];
        }
        var sealedPayload = p[(pnOffset + pnLength)..];
        if (sealedPayload.Length < 16)
        {
            problem("QUIC packet malformed", $"QUIC {version.Name} Initial packet {packetNumber}: payload shorter than its authentication tag");
            return;
        }
        var plaintext = new byte[sealedPayload.Length - 16];
        if (!keys.Open(packetNumber, header, sealedPayload[..^16], sealedPayload[^16..], plaintext))
        {
            problem("QUIC Initial packet does not decrypt", $"QUIC {version.Name} Initial packet {packetNumber} does not decrypt with the keys of its destination connection ID (authentication tag mismatch)");
            return;
        }
        Frames(plaintext, version, packetNumber, problem);
    }

    private QuicInitialKeys Keys(QuicVersion version, ReadOnlySpan<byte> dcid)
    {
        // After a Retry the client's Initial packets carry a new destination connection ID, and new keys with it.
        if (_keys is not null && _keysVersion == version.Number && dcid.SequenceEqual(_keysConnectionId)) return _keys;
        _keys?.Dispose();
        _keys = QuicInitialKeys.ForClient(version, dcid);
        _keysVersion = version.Number;
        _keysConnectionId = dcid.ToArray();
        return _keys;
    }

    private void Frames(ReadOnlySpan<byte> payload, QuicVersion version, ulong packetNumber, Action<string, string> problem)
    {
        var cryptoType = version.Handshake == QuicHandshake.Tls ? 0x06UL : 0x08UL;
        var pos = 0;
        while (pos < payload.Length && !HelloRead && !_givenUp)
        {
            if (!Varint.TryRead(payload, ref pos, out var type)) break;
            if (type == cryptoType)
            {
                if (!Varint.TryRead(payload, ref pos, out var offset) || !Varint.TryRead(payload, ref pos, out var length) || (ulong)(payload.Length - pos) < length)
                {
                    problem("QUIC frame malformed", $"QUIC {version.Name} Initial packet {packetNumber}: CRYPTO frame beyond the packet");
                    return;
                }
                Crypto(offset, payload.Slice(pos, (int)length), version, problem);
                pos += (int)length;
                continue;
            }
            switch (type)
            {
                case 0x00 or 0x01: // PADDING, PING
                    continue;
                case 0x02 or 0x03 when version.Handshake == QuicHandshake.Tls: // ACK, ACK with ECN counts
                    if (!SkipAck(payload, ref pos, type == 0x03)) break;
                    continue;
                case 0x1c when version.Handshake == QuicHandshake.Tls: // CONNECTION_CLOSE: the client gave up
                    return;
            }
            // Google's versions have their own frame layout past the crypto frames: the rest is not read.
            if (version.Handshake == QuicHandshake.Tls)
                problem("QUIC frame malformed", $"QUIC {version.Name} Initial packet {packetNumber}: frame type 0x{type:x} does not belong in an Initial packet; the rest of the packet was not read");
            return;
        }
    }

    private static bool SkipAck(ReadOnlySpan<byte> p, ref int pos, bool ecn)
    {
        if (!Varint.TryRead(p, ref pos, out _) || !Varint.TryRead(p, ref pos, out _) || !Varint.TryRead(p, ref pos, out var ranges) || !Varint.TryRead(p, ref pos, out _)) return false;
        for (ulong i = 0; i < ranges; i++)
        {
            if (!Varint.TryRead(p, ref pos, out _) || !Varint.TryRead(p, ref pos, out _)) return false;
        }
        return !ecn || Varint.TryRead(p, ref pos, out _) && Varint.TryRead(p, ref pos, out _) && Varint.TryRead(p, ref pos, out _);
    }

    private void Crypto(ulong offset, ReadOnlySpan<byte> data, QuicVersion version, Action<string, string> problem)
    {
        if (data.Length == 0) return;
        if (offset + (ulong)data.Length > (ulong)maxCryptoBytes)
        {
            _givenUp = true;
            problem("QUIC ClientHello over the limit", $"QUIC {version.Name}: handshake data past {maxCryptoBytes} bytes; the connection's name was not read");
            return;
        }
        var start = (int)offset;
        var end = start + data.Length;
        if (end > _crypto.Length) Array.Resize(ref _crypto, Math.Min(maxCryptoBytes, Math.Max(end, 2 * _crypto.Length)));
        data.CopyTo(_crypto.AsSpan(start));
        Fill(start, end);
        var whole = _filled.Count > 0 && _filled[0].Start == 0 ? (int)_filled[0].End : 0;
        var needed = version.Handshake == QuicHandshake.GoogleChlo ? ChloLength(whole) : HelloLength(whole);
        if (needed is { } n && n > maxCryptoBytes)
        {
            _givenUp = true;
            problem("QUIC ClientHello over the limit", $"QUIC {version.Name}: a ClientHello of {n} bytes is over the {maxCryptoBytes}-byte limit; the connection's name was not read");
            return;
        }
        if (needed is not { } length || whole < length) return;
        HelloRead = true;
        var hello = _crypto.AsSpan(0, length);
        if (keepHello) ClientHello = hello.ToArray();
        if (version.Handshake == QuicHandshake.GoogleChlo) ReadChlo(hello);
        else ReadClientHello(hello, version, problem);
        _crypto = [];
        _filled.Clear();
        _keys?.Dispose();
        _keys = null;
    }

    /// <summary>Adds [start, end) to the sorted, disjoint ranges received so far.</summary>
    private void Fill(long start, long end)
    {
        var merged = (Start: start, End: end);
        var kept = new List<(long Start, long End)>(_filled.Count + 1);
        foreach (var r in _filled)
        {
            if (r.End < merged.Start || r.Start > merged.End) kept.Add(r);
            else merged = (Math.Min(r.Start, merged.Start), Math.Max(r.End, merged.End));
        }
        kept.Add(merged);
        kept.Sort((a, b) => a.Start.CompareTo(b.Start));
        _filled.Clear();
        _filled.AddRange(kept);
    }

    private int? HelloLength(int whole) => whole < 4 ? null : 4 + ((_crypto[1] << 16) | (_crypto[2] << 8) | _crypto[3]);

    /// <summary>A CHLO: tag "CHLO", tag count (2 bytes, little-endian), 2 bytes padding, (tag, end offset) pairs, then the values.</summary>
    private int? ChloLength(int whole)
    {
        if (whole < 8) return null;
        var tags = BinaryPrimitives.ReadUInt16LittleEndian(_crypto.AsSpan(4));
        var index = 8 + 8 * tags;
        if (whole < index) return index;
        return tags == 0 ? index : index + (int)Math.Min(int.MaxValue / 2, BinaryPrimitives.ReadUInt32LittleEndian(_crypto.AsSpan(index - 4)));
    }

    private void ReadClientHello(ReadOnlySpan<byte> hello, QuicVersion version, Action<string, string> problem)
    {
        if (hello[0] != 1)
        {
            problem("QUIC ClientHello unreadable", $"QUIC {version.Name}: the client's first handshake message is of type {hello[0]}, not a ClientHello");
            return;
        }
        // The TLS reader takes records: the hello is wrapped in as many as its length needs.
        var handshake = new TlsHandshake(maxCryptoBytes + 4);
        Span<byte> recordHeader = stackalloc byte[5];
        for (var pos = 0; pos < hello.Length; pos += TlsRecordMax)
        {
            var chunk = hello.Slice(pos, Math.Min(TlsRecordMax, hello.Length - pos));
            recordHeader[0] = 0x16;
            recordHeader[1] = 3;
            recordHeader[2] = 3;
            BinaryPrimitives.WriteUInt16BigEndian(recordHeader[3..], (ushort)chunk.Length);
            handshake.Feed(recordHeader);
            handshake.Feed(chunk);
        }
        if (!handshake.Done || handshake.Failed)
        {
            problem("QUIC ClientHello unreadable", $"QUIC {version.Name}: the ClientHello in the Initial packets could not be read");
            return;
        }
        ServerName = handshake.ServerName;
        Alpn = OfferedProtocols(hello[4..]);
    }

    /// <summary>The application_layer_protocol_negotiation extension (type 16, RFC 7301) of a ClientHello body; empty when absent or cut.</summary>
    private static IReadOnlyList<string> OfferedProtocols(ReadOnlySpan<byte> body)
    {
        var protocols = new List<string>();
        var pos = 2 + 32;
        if (pos >= body.Length) return protocols;
        pos += 1 + body[pos];
        if (pos + 2 > body.Length) return protocols;
        pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(body[pos..]);
        if (pos >= body.Length) return protocols;
        pos += 1 + body[pos];
        if (pos + 2 > body.Length) return protocols;
        var end = Math.Min(body.Length, pos + 2 + BinaryPrimitives.ReadUInt16BigEndian(body[pos..]));
        pos += 2;
        while (pos + 4 <= end)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(body[pos..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(body[(pos + 2)..]);
            pos += 4;
            if (pos + length > end) break;
            if (type == 16 && length >= 2)
            {
                var list = body.Slice(pos + 2, Math.Min(length - 2, BinaryPrimitives.ReadUInt16BigEndian(body[pos..])));
                while (list.Length > 0 && 1 + list[0] <= list.Length)
                {
                    protocols.Add(Encoding.ASCII.GetString(list.Slice(1, list[0])));
                    list = list[(1 + list[0])..];
                }
                break;
            }
            pos += length;
        }
        return protocols;
    }

    /// <summary>The SNI tag of a Google CHLO (values are laid end to end; each tag gives its value's end offset).</summary>
    private void ReadChlo(ReadOnlySpan<byte> chlo)
    {
        if (!chlo.StartsWith("CHLO"u8)) return;
        var tags = BinaryPrimitives.ReadUInt16LittleEndian(chlo[4..]);
        var values = 8 + 8 * tags;
        var previous = 0;
        for (var i = 0; i < tags; i++)
        {
            var entry = chlo.Slice(8 + 8 * i, 8);
            var endOffset = (int)Math.Min(int.MaxValue / 2, BinaryPrimitives.ReadUInt32LittleEndian(entry[4..]));
            if (endOffset < previous || values + endOffset > chlo.Length) return;
            if (entry[..4].SequenceEqual("SNI\0"u8)) ServerName = Encoding.ASCII.GetString(chlo.Slice(values + previous, endOffset - previous));
            previous = endOffset;
        }
    }

    public void Dispose()
    {
        _keys?.Dispose();
        _keys = null;
    }
}

/// <summary>QUIC's variable-length integers (RFC 9000 section 16): the first two bits give the length, 1 to 8 bytes.</summary>
internal static class Varint
{
    public static bool TryRead(ReadOnlySpan<byte> bytes, ref int pos, out ulong value)
    {
        value = 0;
        if (pos >= bytes.Length) return false;
        var length = 1 << (bytes[pos] >> 6);
        if (pos + length > bytes.Length) return false;
        value = (ulong)(bytes[pos] & 0x3f);
        for (var i = 1; i < length; i++) value = (value << 8) | bytes[pos + i];
        pos += length;
        return true;
    }
}
