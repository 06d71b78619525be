using System.Buffers.Binary;
using System.Text;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// The first handshake message of one direction of a TLS connection, gathered across records and TCP
/// segments (a ClientHello with many extensions often spans two segments). Only the facts we publish are
/// read: the server name from the ClientHello, the version the ServerHello chose.
/// </summary>
internal sealed class TlsHandshake(int maxBytes)
{
    private byte[] _handshake = [];
    private int _handshakeCount;
    private byte[] _record = new byte[5];
    private int _recordHeaderFill;
    private int _recordRemaining;
    private bool _recordIsHandshake;

    public bool Done { get; private set; }
    public bool Failed { get; private set; }
    public string? ServerName { get; private set; }
    public string? Version { get; private set; }
    public byte MessageType { get; private set; }

    /// <summary>True when the bytes start like a TLS record (handshake, alert, change cipher spec or application data).</summary>
    public static bool LooksLikeTls(ReadOnlySpan<byte> b) =>
        b.Length >= 3 && b[0] is 0x14 or 0x15 or 0x16 or 0x17 && b[1] == 3 && b[2] <= 4;

    public bool Started { get; private set; }

    public void Feed(ReadOnlySpan<byte> data)
    {
        if (data.Length > 0) Started = true;
        while (!Done && !Failed && data.Length > 0)
        {
            if (_recordRemaining == 0)
            {
                var take = Math.Min(5 - _recordHeaderFill, data.Length);
                data[..take].CopyTo(_record.AsSpan(_recordHeaderFill));
                _recordHeaderFill += take;
                data = data[take..];
                if (_recordHeaderFill < 5) return;
                _recordHeaderFill = 0;
                if (!LooksLikeTls(_record))
                {
                    Failed = true;
                    return;
                }
                _recordIsHandshake = _record[0] == 0x16;
                _recordRemaining = BinaryPrimitives.ReadUInt16BigEndian(_record.AsSpan(3));
                if (!_recordIsHandshake && _handshakeCount == 0)
                {
                    // Application data before any handshake: the capture began after the hello.
                    Failed = true;
                    return;
                }
                continue;
            }
            var n = Math.Min(_recordRemaining, data.Length);
            if (_recordIsHandshake)
            {
                if (_handshakeCount + n > maxBytes)
                {
                    Failed = true;
                    return;
                }
                // Only the first handshake message is read: bytes past its end (the certificate that shares
                // the ServerHello's record) need not be kept.
                var keep = _handshakeCount < 4 ? n : Math.Min(n, 4 + MessageLength - _handshakeCount);
                if (_handshakeCount + keep > _handshake.Length) Array.Resize(ref _handshake, Math.Min(maxBytes, Math.Max(_handshakeCount + keep, 2 * _handshake.Length)));
                data[..keep].CopyTo(_handshake.AsSpan(_handshakeCount));
                _handshakeCount += keep;
                TryParse();
            }
            _recordRemaining -= n;
            data = data[n..];
        }
    }

    private void TryParse()
    {
        if (_handshakeCount < 4) return;
        var length = MessageLength;
        if (_handshakeCount < 4 + length) return;
        Done = true;
        MessageType = _handshake[0];
        var body = _handshake.AsSpan(4, length);
        try
        {
            if (MessageType == 1) ReadClientHello(body);
            else if (MessageType == 2) ReadServerHello(body);
        }
        catch (Exception e) when (e is ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
            Failed = true;
        }
        _handshake = [];
        _handshakeCount = 0;
        _record = [];
    }

    private int MessageLength => (_handshake[1] << 16) | (_handshake[2] << 8) | _handshake[3];

    private void ReadClientHello(ReadOnlySpan<byte> b)
    {
        var pos = 2 + 32;
        pos += 1 + b[pos];
        pos += 2 + BinaryPrimitives.ReadUInt16BigEndian(b[pos..]);
        pos += 1 + b[pos];
        var extensions = new Extensions(b, pos);
        while (extensions.Next(out var type, out var value))
        {
            if (type != 0 || value.Length < 5) continue;
            // server_name extension (RFC 6066 section 3): a list of (type, name); type 0 is a host name.
            var listEnd = Math.Min(value.Length, 2 + BinaryPrimitives.ReadUInt16BigEndian(value));
            var p = 2;
            while (p + 3 <= listEnd)
            {
                var nameType = value[p];
                var nameLength = BinaryPrimitives.ReadUInt16BigEndian(value[(p + 1)..]);
                if (p + 3 + nameLength > listEnd) break;
                if (nameType == 0)
                {
                    ServerName = Encoding.ASCII.GetString(value.Slice(p + 3, nameLength));
                    return;
                }
                p += 3 + nameLength;
            }
        }
    }

    private void ReadServerHello(ReadOnlySpan<byte> b)
    {
        var legacy = BinaryPrimitives.ReadUInt16BigEndian(b);
        var pos = 2 + 32;
        pos += 1 + b[pos];
        pos += 2 + 1;
        var version = legacy;
        var extensions = new Extensions(b, pos);
        while (extensions.Next(out var type, out var value))
        {
            // supported_versions (RFC 8446 section 4.2.1) carries the real version of TLS 1.3.
            if (type == 43 && value.Length == 2) version = BinaryPrimitives.ReadUInt16BigEndian(value);
        }
        Version = version switch
        {
            0x0300 => "SSL 3.0",
            0x0301 => "TLS 1.0",
            0x0302 => "TLS 1.1",
            0x0303 => "TLS 1.2",
            0x0304 => "TLS 1.3",
            _ => $"0x{version:x4}",
        };
    }

    /// <summary>The extensions of a hello, read in place: type and value of each until the list or the message ends.</summary>
    internal ref struct Extensions
    {
        private readonly ReadOnlySpan<byte> _hello;
        private readonly int _end;
        private int _pos;

        public Extensions(ReadOnlySpan<byte> hello, int pos)
        {
            _hello = hello;
            if (pos + 2 > hello.Length)
            {
                _end = 0;
                _pos = 0;
                return;
            }
            _end = Math.Min(hello.Length, pos + 2 + BinaryPrimitives.ReadUInt16BigEndian(hello[pos..]));
            _pos = pos + 2;
        }

        public bool Next(out ushort type, out ReadOnlySpan<byte> value)
        {
            type = 0;
            value = [];
            if (_pos + 4 > _end) return false;
            type = BinaryPrimitives.ReadUInt16BigEndian(_hello[_pos..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(_hello[(_pos + 2)..]);
            if (_pos + 4 + length > _end) return false;
            value = _hello.Slice(_pos + 4, length);
            _pos += 4 + length;
            return true;
        }
    }
}
