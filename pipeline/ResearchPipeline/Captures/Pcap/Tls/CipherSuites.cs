using System.Security.Cryptography;

namespace ResearchPipeline.Captures.Pcap.Tls;

/// <summary>How a suite protects records.</summary>
internal enum RecordCipherKind
{
    /// <summary>TLS 1.3 AEAD: nonce is the IV xor the sequence number, the content type is inside.</summary>
    Tls13Aead,
    /// <summary>TLS 1.2 AES-GCM (RFC 5288): a 4-byte implicit salt and an 8-byte explicit nonce per record.</summary>
    Gcm12,
    /// <summary>TLS 1.2 ChaCha20-Poly1305 (RFC 7905): nonce is the IV xor the sequence number.</summary>
    ChaCha12,
    /// <summary>AES-CBC with HMAC (RFC 5246 section 6.2.3.2; RFC 7366 when encrypt_then_mac was agreed).</summary>
    Cbc,
}

internal enum BulkCipher
{
    Aes,
    ChaCha20,
}

/// <summary>One cipher suite as its IANA registry entry names it, and what decrypting its records takes.</summary>
internal sealed record CipherSuite(ushort Id, string Name, RecordCipherKind Kind, BulkCipher Bulk, int KeyBytes, HashAlgorithmName Hash, int MacBytes)
{
    /// <summary>TLS 1.2 key block IV length: GCM's salt, ChaCha's full nonce, a CBC block.</summary>
    public int FixedIvBytes => Kind switch { RecordCipherKind.Gcm12 => 4, RecordCipherKind.Cbc => 16, _ => 12 };

    public int HashBytes => Hash == HashAlgorithmName.SHA384 ? 48 : 32;
}

/// <summary>
/// The cipher suites whose records are decrypted: every AEAD suite of TLS 1.3, the AEAD suites of TLS 1.2 and the
/// AES-CBC + HMAC suites older apps still negotiate. Names and numbers are those of the IANA TLS Cipher Suites registry.
/// </summary>
internal static class CipherSuites
{
    private static readonly HashAlgorithmName Sha1 = HashAlgorithmName.SHA1;
    private static readonly HashAlgorithmName Sha256 = HashAlgorithmName.SHA256;
    private static readonly HashAlgorithmName Sha384 = HashAlgorithmName.SHA384;

    // Hash is the HKDF hash (TLS 1.3), the HMAC of CBC suites, else the PRF hash of TLS 1.2 (SHA-384 for _SHA384 suites).
    private static readonly CipherSuite[] Table =
    [
        new(0x1301, "TLS_AES_128_GCM_SHA256", RecordCipherKind.Tls13Aead, BulkCipher.Aes, 16, Sha256, 0),
        new(0x1302, "TLS_AES_256_GCM_SHA384", RecordCipherKind.Tls13Aead, BulkCipher.Aes, 32, Sha384, 0),
        new(0x1303, "TLS_CHACHA20_POLY1305_SHA256", RecordCipherKind.Tls13Aead, BulkCipher.ChaCha20, 32, Sha256, 0),

        new(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", RecordCipherKind.Gcm12, BulkCipher.Aes, 16, Sha256, 0),
        new(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", RecordCipherKind.Gcm12, BulkCipher.Aes, 32, Sha384, 0),
        new(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", RecordCipherKind.Gcm12, BulkCipher.Aes, 16, Sha256, 0),
        new(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", RecordCipherKind.Gcm12, BulkCipher.Aes, 32, Sha384, 0),
        new(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", RecordCipherKind.Gcm12, BulkCipher.Aes, 16, Sha256, 0),
        new(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", RecordCipherKind.Gcm12, BulkCipher.Aes, 32, Sha384, 0),
        new(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", RecordCipherKind.Gcm12, BulkCipher.Aes, 16, Sha256, 0),
        new(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", RecordCipherKind.Gcm12, BulkCipher.Aes, 32, Sha384, 0),
        new(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", RecordCipherKind.ChaCha12, BulkCipher.ChaCha20, 32, Sha256, 0),
        new(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", RecordCipherKind.ChaCha12, BulkCipher.ChaCha20, 32, Sha256, 0),
        new(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", RecordCipherKind.ChaCha12, BulkCipher.ChaCha20, 32, Sha256, 0),

        new(0x002F, "TLS_RSA_WITH_AES_128_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha1, 20),
        new(0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha1, 20),
        new(0x003C, "TLS_RSA_WITH_AES_128_CBC_SHA256", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha256, 32),
        new(0x003D, "TLS_RSA_WITH_AES_256_CBC_SHA256", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha256, 32),
        new(0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha1, 20),
        new(0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha1, 20),
        new(0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha256, 32),
        new(0x006B, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha256, 32),
        new(0xC009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha1, 20),
        new(0xC00A, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha1, 20),
        new(0xC013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha1, 20),
        new(0xC014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha1, 20),
        new(0xC023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha256, 32),
        new(0xC024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha384, 48),
        new(0xC027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256", RecordCipherKind.Cbc, BulkCipher.Aes, 16, Sha256, 32),
        new(0xC028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384", RecordCipherKind.Cbc, BulkCipher.Aes, 32, Sha384, 48),
    ];

    private static readonly Dictionary<ushort, CipherSuite> ById = Table.ToDictionary(s => s.Id);

    // Names of suites seen but not decrypted, so the published column still says what was negotiated.
    private static readonly Dictionary<ushort, string> OtherNames = new()
    {
        [0x000A] = "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
        [0x0005] = "TLS_RSA_WITH_RC4_128_SHA",
        [0x1304] = "TLS_AES_128_CCM_SHA256",
        [0x1305] = "TLS_AES_128_CCM_8_SHA256",
        [0xC0AC] = "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
        [0xC0AD] = "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    };

    // OpenSSL's names of the TLS 1.2 and earlier suites (as `openssl ciphers -V` lists them with their numbers),
    // which mitmproxy records as a connection's cipher; OpenSSL names TLS 1.3 suites by their IANA names.
    private static readonly Dictionary<string, ushort> OpenSslNames = new(StringComparer.Ordinal)
    {
        ["ECDHE-ECDSA-AES128-GCM-SHA256"] = 0xC02B,
        ["ECDHE-ECDSA-AES256-GCM-SHA384"] = 0xC02C,
        ["ECDHE-RSA-AES128-GCM-SHA256"] = 0xC02F,
        ["ECDHE-RSA-AES256-GCM-SHA384"] = 0xC030,
        ["ECDHE-RSA-CHACHA20-POLY1305"] = 0xCCA8,
        ["ECDHE-ECDSA-CHACHA20-POLY1305"] = 0xCCA9,
        ["DHE-RSA-CHACHA20-POLY1305"] = 0xCCAA,
        ["DHE-RSA-AES128-GCM-SHA256"] = 0x009E,
        ["DHE-RSA-AES256-GCM-SHA384"] = 0x009F,
        ["AES128-GCM-SHA256"] = 0x009C,
        ["AES256-GCM-SHA384"] = 0x009D,
        ["ECDHE-ECDSA-AES128-SHA256"] = 0xC023,
        ["ECDHE-ECDSA-AES256-SHA384"] = 0xC024,
        ["ECDHE-RSA-AES128-SHA256"] = 0xC027,
        ["ECDHE-RSA-AES256-SHA384"] = 0xC028,
        ["ECDHE-ECDSA-AES128-SHA"] = 0xC009,
        ["ECDHE-ECDSA-AES256-SHA"] = 0xC00A,
        ["ECDHE-RSA-AES128-SHA"] = 0xC013,
        ["ECDHE-RSA-AES256-SHA"] = 0xC014,
        ["DHE-RSA-AES128-SHA256"] = 0x0067,
        ["DHE-RSA-AES256-SHA256"] = 0x006B,
        ["DHE-RSA-AES128-SHA"] = 0x0033,
        ["DHE-RSA-AES256-SHA"] = 0x0039,
        ["AES128-SHA256"] = 0x003C,
        ["AES256-SHA256"] = 0x003D,
        ["AES128-SHA"] = 0x002F,
        ["AES256-SHA"] = 0x0035,
        ["DES-CBC3-SHA"] = 0x000A,
        ["RC4-SHA"] = 0x0005,
        // mitmproxy's QUIC connections name their TLS 1.3 suite as aioquic does, without the TLS_ prefix.
        ["AES_128_GCM_SHA256"] = 0x1301,
        ["AES_256_GCM_SHA384"] = 0x1302,
        ["CHACHA20_POLY1305_SHA256"] = 0x1303,
    };

    public static CipherSuite? Find(ushort id) => ById.GetValueOrDefault(id);

    /// <summary>
    /// The IANA name of a suite named as OpenSSL (or aioquic) names it; an IANA name is kept, and a name neither
    /// knows is kept as written rather than lost.
    /// </summary>
    public static string? FromOpenSsl(string? name) =>
        string.IsNullOrEmpty(name) ? null : OpenSslNames.TryGetValue(name, out var id) ? Name(id) : name;

    /// <summary>The IANA name of a suite; an unregistered number as <c>0x....</c>.</summary>
    public static string Name(ushort id) =>
        ById.TryGetValue(id, out var s) ? s.Name : OtherNames.TryGetValue(id, out var n) ? n : $"0x{id:X4}";
}
