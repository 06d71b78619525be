using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ResearchPipeline.Captures.Pcap.Tls;

/// <summary>
/// Turns logged secrets into record keys: HKDF-Expand-Label for TLS 1.3 (RFC 8446 section 7.1), the PRF key
/// block for TLS 1.2 and earlier (RFC 5246 section 6.3, RFC 2246 section 5). HMAC and HKDF come from
/// System.Security.Cryptography.
/// </summary>
internal static class TlsKeySchedule
{
    public static byte[] ExpandLabel(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, int length)
    {
        var full = "tls13 " + label;
        Span<byte> info = stackalloc byte[4 + full.Length];
        BinaryPrimitives.WriteUInt16BigEndian(info, (ushort)length);
        info[2] = (byte)full.Length;
        Encoding.ASCII.GetBytes(full, info[3..]);
        info[3 + full.Length] = 0; // empty context
        var output = new byte[length];
        HKDF.Expand(hash, secret, output, info);
        return output;
    }

    /// <summary>The next application traffic secret after a KeyUpdate.</summary>
    public static byte[] NextTrafficSecret(HashAlgorithmName hash, byte[] secret) => ExpandLabel(hash, secret, "traffic upd", secret.Length);

    /// <summary>TLS 1.2 and earlier: the key block of a connection, from its master secret and both randoms.</summary>
    public static byte[] KeyBlock(ushort version, CipherSuite suite, byte[] master, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, int length)
    {
        var seed = new byte[13 + 64];
        Encoding.ASCII.GetBytes("key expansion", seed);
        serverRandom.CopyTo(seed.AsSpan(13));
        clientRandom.CopyTo(seed.AsSpan(45));
        var output = new byte[length];
        if (version >= 0x0303)
        {
            PHash(suite.Hash == HashAlgorithmName.SHA384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256, master, seed, output);
            return output;
        }
        // TLS 1.0 and 1.1: P_MD5 over the first half of the secret xor P_SHA1 over the second (halves overlap when odd).
        var half = (master.Length + 1) / 2;
        var sha = new byte[length];
        PHash(HashAlgorithmName.MD5, master.AsSpan(0, half), seed, output);
        PHash(HashAlgorithmName.SHA1, master.AsSpan(master.Length - half), seed, sha);
        for (var i = 0; i < length; i++) output[i] ^= sha[i];
        return output;
    }

    private static void PHash(HashAlgorithmName hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        var size = hash == HashAlgorithmName.SHA384 ? 48 : hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA1 ? 20 : 16;
        var a = CryptographicOperations.HmacData(hash, secret, seed);
        var input = new byte[size + seed.Length];
        seed.CopyTo(input.AsSpan(size));
        var block = new byte[size];
        for (var done = 0; done < output.Length; done += size)
        {
            a.CopyTo(input, 0);
            CryptographicOperations.HmacData(hash, secret, input, block);
            block.AsSpan(0, Math.Min(size, output.Length - done)).CopyTo(output[done..]);
            a = CryptographicOperations.HmacData(hash, secret, a);
        }
    }
}
