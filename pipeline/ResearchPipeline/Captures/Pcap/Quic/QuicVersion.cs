namespace ResearchPipeline.Captures.Pcap.Quic;

/// <summary>How a version's client Initial packets carry the ClientHello.</summary>
internal enum QuicHandshake
{
    /// <summary>TLS 1.3 ClientHello in CRYPTO frames (type 0x06): IETF QUIC and its drafts, mvfst.</summary>
    Tls,
    /// <summary>TLS 1.3 ClientHello in frames of type 0x08 (offset, length): Google's T050 and T051.</summary>
    GoogleTls,
    /// <summary>Google's own crypto handshake (a CHLO message, SNI in its tag list) in frames of type 0x08: Q050.</summary>
    GoogleChlo,
}

/// <summary>
/// One QUIC version whose Initial packets can be read: the salt of its initial secret, the prefix of its
/// HKDF labels ("quic " or "quicv2 "), the long-header type bits of an Initial packet, and its handshake.
/// </summary>
internal sealed record QuicVersion(uint Number, string Name, byte[] Salt, string LabelPrefix, int InitialType, QuicHandshake Handshake)
{
    // Initial salts: RFC 9001 section 5.2 (v1, also used by drafts 33 and 34), RFC 9369 section 3.3.1 (v2),
    // draft-ietf-quic-tls-22/-23/-29 section 5.2 (draft-21..22, 23..28, 29..32); Google's Q050/T050/T051 and
    // mvfst's as Wireshark's packet-quic.c and mvfst's handshake code (getQuicVersionSalt) use them.
    private static readonly byte[] SaltV1 = Convert.FromHexString("38762cf7f55934b34d179ae6a4c80cadccbb7f0a");
    private static readonly byte[] SaltV2 = Convert.FromHexString("0dede3def700a6db819381be6e269dcbf9bd2ed9");
    private static readonly byte[] SaltDraft22 = Convert.FromHexString("7fbcdb0e7c66bbe9193a96cd21519ebd7a02644a");
    private static readonly byte[] SaltDraft23 = Convert.FromHexString("c3eef712c72ebb5a11a7d2432bb46365bef9f502");
    private static readonly byte[] SaltDraft29 = Convert.FromHexString("afbfec289993d24c9e9786f19c6111e04390a899");
    private static readonly byte[] SaltQ050 = Convert.FromHexString("504574efd066fe2f9d945cfcdbd3a7f0d3b56b45");
    private static readonly byte[] SaltT050 = Convert.FromHexString("7ff579e5acd072915580304c43a2367c60488310");
    private static readonly byte[] SaltT051 = Convert.FromHexString("7a4edef4e7ccee5fa4506c19124fc8ccda6e033d");

    private static readonly Dictionary<uint, QuicVersion> Known = Build();

    private static Dictionary<uint, QuicVersion> Build()
    {
        var versions = new List<QuicVersion>
        {
            new(0x00000001, "QUIC v1", SaltV1, "quic ", 0, QuicHandshake.Tls),
            // RFC 9369 section 3.2: v2 numbers the long-header types differently, Initial is 0b01.
            new(0x6b3343cf, "QUIC v2", SaltV2, "quicv2 ", 1, QuicHandshake.Tls),
            // Facebook's mvfst (QuicConstants.h): D24 kept the draft-22 salt, MVFST and its aliases the
            // draft-23 one, the v1 alias the v1 one.
            new(0xfaceb001, "mvfst (draft-22 salt)", SaltDraft22, "quic ", 0, QuicHandshake.Tls),
            new(0xfaceb002, "mvfst", SaltDraft23, "quic ", 0, QuicHandshake.Tls),
            new(0xfaceb003, "mvfst (v1 alias)", SaltV1, "quic ", 0, QuicHandshake.Tls),
            new(0xfaceb00e, "mvfst (experimental)", SaltDraft23, "quic ", 0, QuicHandshake.Tls),
            new(0xfaceb010, "mvfst (alias)", SaltDraft23, "quic ", 0, QuicHandshake.Tls),
            new(0xfaceb011, "mvfst (experimental 2)", SaltDraft23, "quic ", 0, QuicHandshake.Tls),
            new(0xfaceb013, "mvfst (experimental 3)", SaltDraft23, "quic ", 0, QuicHandshake.Tls),
            new(0x51303530, "Google Q050", SaltQ050, "quic ", 0, QuicHandshake.GoogleChlo),
            new(0x54303530, "Google T050", SaltT050, "quic ", 0, QuicHandshake.GoogleTls),
            new(0x54303531, "Google T051", SaltT051, "quic ", 0, QuicHandshake.GoogleTls),
        };
        for (var draft = 21; draft <= 34; draft++)
        {
            var salt = draft switch { <= 22 => SaltDraft22, <= 28 => SaltDraft23, <= 32 => SaltDraft29, _ => SaltV1 };
            versions.Add(new(0xff000000u | (uint)draft, $"QUIC draft-{draft}", salt, "quic ", 0, QuicHandshake.Tls));
        }
        return versions.ToDictionary(v => v.Number);
    }

    public static QuicVersion? Find(uint number) => Known.GetValueOrDefault(number);

    public static string Describe(uint number) => Find(number)?.Name ?? $"0x{number:x8}";
}
