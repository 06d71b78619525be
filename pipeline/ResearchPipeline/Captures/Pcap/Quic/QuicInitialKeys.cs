using System.Security.Cryptography;
using System.Text;

namespace ResearchPipeline.Captures.Pcap.Quic;

/// <summary>
/// The client's Initial packet protection (RFC 9001 section 5.2): derived from the destination connection ID the
/// client chose, so anyone on the path can compute it. AES-128-GCM for the payload, AES-128-ECB for the header mask.
/// </summary>
internal sealed class QuicInitialKeys : IDisposable
{
    private readonly AesGcm _aead;
    private readonly Aes _headerProtection;

    public byte[] Key { get; }
    public byte[] Iv { get; }
    public byte[] Hp { get; }

    private QuicInitialKeys(byte[] key, byte[] iv, byte[] hp)
    {
        Key = key;
        Iv = iv;
        Hp = hp;
        _aead = new AesGcm(key, 16);
        _headerProtection = Aes.Create();
        _headerProtection.Key = hp;
    }

    public static QuicInitialKeys ForClient(QuicVersion version, ReadOnlySpan<byte> destinationConnectionId)
    {
        var initial = HKDF.Extract(HashAlgorithmName.SHA256, destinationConnectionId.ToArray(), version.Salt);
        var client = ExpandLabel(initial, "client in", 32);
        return new QuicInitialKeys(
            ExpandLabel(client, version.LabelPrefix + "key", 16),
            ExpandLabel(client, version.LabelPrefix + "iv", 12),
            ExpandLabel(client, version.LabelPrefix + "hp", 16));
    }

    /// <summary>HKDF-Expand-Label of TLS 1.3 (RFC 8446 section 7.1) with an empty context.</summary>
    private static byte[] ExpandLabel(byte[] secret, string label, int length)
    {
        var full = Encoding.ASCII.GetBytes("tls13 " + label);
        var info = new byte[2 + 1 + full.Length + 1];
        info[0] = (byte)(length >> 8);
        info[1] = (byte)length;
        info[2] = (byte)full.Length;
        full.CopyTo(info, 3);
        return HKDF.Expand(HashAlgorithmName.SHA256, secret, length, info);
    }

    /// <summary>The 5-byte header protection mask for a 16-byte sample of the ciphertext (RFC 9001 section 5.4.3).</summary>
    public byte[] Mask(ReadOnlySpan<byte> sample) => _headerProtection.EncryptEcb(sample, PaddingMode.None);

    /// <summary>Opens one packet's payload; false when the tag does not match.</summary>
    public bool Open(ulong packetNumber, ReadOnlySpan<byte> header, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext)
    {
        Span<byte> nonce = stackalloc byte[12];
        Iv.CopyTo(nonce);
        for (var i = 0; i < 8; i++) nonce[11 - i] ^= (byte)(packetNumber >> (8 * i));
        try
        {
            _aead.Decrypt(nonce, ciphertext, tag, plaintext, header);
            return true;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _aead.Dispose();
        _headerProtection.Dispose();
    }
}
