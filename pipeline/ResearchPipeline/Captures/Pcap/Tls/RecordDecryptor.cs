using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ResearchPipeline.Captures.Pcap.Tls;

/// <summary>
/// Decrypts the records of one direction under one set of keys, counting their sequence numbers. The ciphers
/// are those of System.Security.Cryptography (AesGcm, ChaCha20Poly1305, Aes in CBC mode, HMAC); nothing here
/// implements a cipher.
/// </summary>
internal sealed class RecordDecryptor : IDisposable
{
    private const int TagBytes = 16;

    private readonly CipherSuite _suite;
    private readonly AesGcm? _gcm;
    private readonly ChaCha20Poly1305? _chacha;
    private readonly Aes? _aes;
    private readonly byte[] _iv;
    private readonly bool _encryptThenMac;
    private readonly bool _explicitCbcIv;
    // One HMAC per direction, reset after every record rather than created for each.
    private readonly IncrementalHash? _hmac;

    private RecordDecryptor(CipherSuite suite, byte[] key, byte[] iv, byte[] macKey, bool encryptThenMac, bool explicitCbcIv)
    {
        _suite = suite;
        _iv = iv;
        _encryptThenMac = encryptThenMac;
        _explicitCbcIv = explicitCbcIv;
        switch (suite.Bulk, suite.Kind)
        {
            case (BulkCipher.ChaCha20, _):
                _chacha = new ChaCha20Poly1305(key);
                break;
            case (BulkCipher.Aes, RecordCipherKind.Cbc):
                _aes = Aes.Create();
                _aes.Key = key;
                _hmac = IncrementalHash.CreateHMAC(suite.Hash, macKey);
                break;
            default:
                _gcm = new AesGcm(key, TagBytes);
                break;
        }
    }

    /// <summary>Sequence number of the next record (RFC 8446 section 5.3, RFC 5246 section 6.1).</summary>
    public ulong Sequence { get; set; }

    public static RecordDecryptor Tls13(CipherSuite suite, byte[] trafficSecret) =>
        new(suite, TlsKeySchedule.ExpandLabel(suite.Hash, trafficSecret, "key", suite.KeyBytes), TlsKeySchedule.ExpandLabel(suite.Hash, trafficSecret, "iv", 12), [], false, false);

    /// <summary>TLS 1.2 and earlier: the client's and the server's decryptors from the key block.</summary>
    public static (RecordDecryptor Client, RecordDecryptor Server) Tls12(ushort version, CipherSuite suite, byte[] master, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, bool encryptThenMac)
    {
        var mac = suite.MacBytes;
        var key = suite.KeyBytes;
        var iv = suite.FixedIvBytes;
        var block = TlsKeySchedule.KeyBlock(version, suite, master, clientRandom, serverRandom, 2 * (mac + key + iv));
        var at = 0;
        byte[] Next(int n)
        {
            var part = block.AsSpan(at, n).ToArray();
            at += n;
            return part;
        }
        var clientMac = Next(mac);
        var serverMac = Next(mac);
        var clientKey = Next(key);
        var serverKey = Next(key);
        var clientIv = Next(iv);
        var serverIv = Next(iv);
        var explicitIv = version >= 0x0302;
        return (new RecordDecryptor(suite, clientKey, clientIv, clientMac, encryptThenMac, explicitIv), new RecordDecryptor(suite, serverKey, serverIv, serverMac, encryptThenMac, explicitIv));
    }

    /// <summary>
    /// Decrypts one record (<paramref name="header"/> is its 5-byte header) into <paramref name="output"/>, which
    /// must hold <paramref name="payload"/>'s length. False when the record does not authenticate under these keys;
    /// the sequence number then stays where it was.
    /// </summary>
    public bool TryDecrypt(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong sequence, Span<byte> output, out byte contentType, out int length)
    {
        contentType = header[0];
        length = 0;
        try
        {
            return _suite.Kind switch
            {
                RecordCipherKind.Tls13Aead => Tls13(header, payload, sequence, output, out contentType, out length),
                RecordCipherKind.Gcm12 => Gcm12(header, payload, sequence, output, out length),
                RecordCipherKind.ChaCha12 => ChaCha12(header, payload, sequence, output, out length),
                _ => Cbc(header, payload, sequence, output, out length),
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private void Nonce(ulong sequence, Span<byte> nonce)
    {
        _iv.CopyTo(nonce);
        Span<byte> seq = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(seq, sequence);
        for (var i = 0; i < 8; i++) nonce[4 + i] ^= seq[i];
    }

    private void Aead(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> aad)
    {
        if (_chacha is not null) _chacha.Decrypt(nonce, ciphertext, tag, plaintext, aad);
        else _gcm!.Decrypt(nonce, ciphertext, tag, plaintext, aad);
    }

    private bool Tls13(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong sequence, Span<byte> output, out byte contentType, out int length)
    {
        contentType = 0;
        length = 0;
        if (payload.Length < TagBytes + 1) return false;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(sequence, nonce);
        var n = payload.Length - TagBytes;
        Aead(nonce, payload[..n], payload[n..], output[..n], header);
        // TLSInnerPlaintext: content, the real content type, then zero padding (RFC 8446 section 5.2).
        var end = n - 1;
        while (end >= 0 && output[end] == 0) end--;
        if (end < 0) return false;
        contentType = output[end];
        length = end;
        return true;
    }

    private static void Aad12(ReadOnlySpan<byte> header, ulong sequence, int plaintextLength, Span<byte> aad)
    {
        BinaryPrimitives.WriteUInt64BigEndian(aad, sequence);
        header[..3].CopyTo(aad[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plaintextLength);
    }

    private bool Gcm12(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong sequence, Span<byte> output, out int length)
    {
        length = 0;
        if (payload.Length < 8 + TagBytes) return false;
        Span<byte> nonce = stackalloc byte[12];
        _iv.CopyTo(nonce);
        payload[..8].CopyTo(nonce[4..]);
        var n = payload.Length - 8 - TagBytes;
        Span<byte> aad = stackalloc byte[13];
        Aad12(header, sequence, n, aad);
        Aead(nonce, payload.Slice(8, n), payload[(8 + n)..], output[..n], aad);
        length = n;
        return true;
    }

    private bool ChaCha12(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong sequence, Span<byte> output, out int length)
    {
        length = 0;
        if (payload.Length < TagBytes) return false;
        Span<byte> nonce = stackalloc byte[12];
        Nonce(sequence, nonce);
        var n = payload.Length - TagBytes;
        Span<byte> aad = stackalloc byte[13];
        Aad12(header, sequence, n, aad);
        Aead(nonce, payload[..n], payload[n..], output[..n], aad);
        length = n;
        return true;
    }

    private bool Cbc(ReadOnlySpan<byte> header, ReadOnlySpan<byte> payload, ulong sequence, Span<byte> output, out int length)
    {
        length = 0;
        var mac = _suite.MacBytes;
        var ivBytes = _explicitCbcIv ? 16 : 0;
        var encrypted = _encryptThenMac ? payload[..^Math.Min(mac, payload.Length)] : payload;
        if (encrypted.Length < ivBytes + 16 || (encrypted.Length - ivBytes) % 16 != 0) return false;
        Span<byte> expected = stackalloc byte[48];
        if (_encryptThenMac)
        {
            // RFC 7366: the MAC covers the IV and ciphertext and is checked before anything is decrypted.
            if (!MacMatches(header, sequence, encrypted, payload[^mac..], expected)) return false;
        }
        var iv = _explicitCbcIv ? encrypted[..16] : _iv;
        var ciphertext = encrypted[ivBytes..];
        var n = _aes!.DecryptCbc(ciphertext, iv, output, PaddingMode.None);
        // TLS 1.0 chains: the next record's IV is this record's last ciphertext block.
        if (!_explicitCbcIv) ciphertext[^16..].CopyTo(_iv);
        var padding = output[n - 1];
        if (padding + 1 > n) return false;
        for (var i = n - 1 - padding; i < n; i++) if (output[i] != padding) return false;
        n -= padding + 1;
        if (!_encryptThenMac)
        {
            if (n < mac) return false;
            n -= mac;
            Span<byte> tag = stackalloc byte[48];
            output.Slice(n, mac).CopyTo(tag);
            if (!MacMatches(header, sequence, output[..n], tag[..mac], expected)) return false;
        }
        length = n;
        return true;
    }

    private bool MacMatches(ReadOnlySpan<byte> header, ulong sequence, ReadOnlySpan<byte> content, ReadOnlySpan<byte> tag, Span<byte> scratch)
    {
        Span<byte> head = stackalloc byte[13];
        Aad12(header, sequence, content.Length, head);
        _hmac!.AppendData(head);
        _hmac.AppendData(content);
        var n = _hmac.GetHashAndReset(scratch);
        return n == tag.Length && CryptographicOperations.FixedTimeEquals(scratch[..n], tag);
    }

    public void Dispose()
    {
        _gcm?.Dispose();
        _chacha?.Dispose();
        _aes?.Dispose();
        _hmac?.Dispose();
    }
}
