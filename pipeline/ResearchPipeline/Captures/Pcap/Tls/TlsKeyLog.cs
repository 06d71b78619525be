using System.Buffers.Binary;
using System.Text;

namespace ResearchPipeline.Captures.Pcap.Tls;

/// <summary>The secrets logged for one TLS connection, found by its ClientHello's random.</summary>
internal sealed class TlsSecrets
{
    /// <summary>TLS 1.2 and earlier: the master secret (<c>CLIENT_RANDOM</c>).</summary>
    public byte[]? MasterSecret { get; set; }
    public byte[]? ClientEarlyTraffic { get; set; }
    public byte[]? ClientHandshakeTraffic { get; set; }
    public byte[]? ServerHandshakeTraffic { get; set; }
    public byte[]? ClientTraffic0 { get; set; }
    public byte[]? ServerTraffic0 { get; set; }
    public byte[]? Exporter { get; set; }
}

/// <summary>
/// TLS secrets in the NSS key log format (<c>SSLKEYLOGFILE</c>): one <c>LABEL client_random secret</c> line per
/// secret, hex encoded. Read from pcapng Decryption Secrets Blocks and from key log files beside a capture; any
/// number of sources merge. The secrets stay in memory: nothing here is ever written out or logged, only counted.
/// </summary>
public sealed class TlsKeyLog
{
    /// <summary>pcapng secrets type of a TLS key log (pcapng spec, Decryption Secrets Block).</summary>
    public const uint PcapNgSecretsType = 0x544C534B;

    // Which field of the connection's secrets each label fills (NSS key log format; EARLY_TRAFFIC_SECRET is the
    // name older BoringSSL and some tools wrote before the client_ prefix was settled).
    private static readonly Dictionary<string, Action<TlsSecrets, byte[]>> Labels = new(StringComparer.Ordinal)
    {
        ["CLIENT_RANDOM"] = (s, v) => s.MasterSecret = v,
        ["CLIENT_EARLY_TRAFFIC_SECRET"] = (s, v) => s.ClientEarlyTraffic = v,
        ["EARLY_TRAFFIC_SECRET"] = (s, v) => s.ClientEarlyTraffic = v,
        ["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] = (s, v) => s.ClientHandshakeTraffic = v,
        ["SERVER_HANDSHAKE_TRAFFIC_SECRET"] = (s, v) => s.ServerHandshakeTraffic = v,
        ["CLIENT_TRAFFIC_SECRET_0"] = (s, v) => s.ClientTraffic0 = v,
        ["SERVER_TRAFFIC_SECRET_0"] = (s, v) => s.ServerTraffic0 = v,
        ["EXPORTER_SECRET"] = (s, v) => s.Exporter = v,
    };

    private const int MaxLabelLength = 40;
    private static readonly Dictionary<string, Action<TlsSecrets, byte[]>>.AlternateLookup<ReadOnlySpan<char>> LabelLookup = Labels.GetAlternateLookup<ReadOnlySpan<char>>();

    private readonly Dictionary<RandomKey, TlsSecrets> _byClientRandom = [];
    private (byte[] Text, int Secrets, int Unreadable)? _last;

    /// <summary>Connections (client randoms) with at least one secret.</summary>
    public int Connections => _byClientRandom.Count;

    /// <summary>Lines read as secrets, over all sources.</summary>
    public int SecretLines { get; private set; }

    /// <summary>Lines that are neither secrets, comments nor blank (a damaged or foreign file).</summary>
    public int UnreadableLines { get; private set; }

    public bool IsEmpty => _byClientRandom.Count == 0;

    /// <summary>Adds every secret of one key log text (a file or a Decryption Secrets Block).</summary>
    public void Add(ReadOnlySpan<byte> text) => Add(text, null);

    /// <summary>Adds a key log text read whole into an array that nothing writes to again (a key log file's bytes).</summary>
    internal void Add(byte[] text) => Add(text, text);

    private void Add(ReadOnlySpan<byte> text, byte[]? kept)
    {
        // The text added last, added again (a capture's secrets block holding the very key log kept beside it),
        // would set every secret to the value it already has: only its lines are counted again.
        if (_last is { } last && text.SequenceEqual(last.Text))
        {
            SecretLines += last.Secrets;
            UnreadableLines += last.Unreadable;
            return;
        }
        var (secretsBefore, unreadableBefore) = (SecretLines, UnreadableLines);
        var rest = text;
        while (rest.Length > 0)
        {
            var end = rest.IndexOf((byte)'\n');
            var line = end < 0 ? rest : rest[..end];
            rest = end < 0 ? [] : rest[(end + 1)..];
            Line(line.TrimEnd("\r\0 \t"u8).TrimStart(" \t"u8));
        }
        _last = kept is null ? null : (kept, SecretLines - secretsBefore, UnreadableLines - unreadableBefore);
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (line.Length == 0 || line[0] == (byte)'#') return;
        var first = line.IndexOf((byte)' ');
        var second = first < 0 ? -1 : line[(first + 1)..].IndexOf((byte)' ');
        if (first < 0 || second < 0)
        {
            UnreadableLines++;
            return;
        }
        var label = line[..first];
        var random = line.Slice(first + 1, second);
        var secret = line[(first + second + 2)..].Trim((byte)' ');
        // Decoded without a string per line: a study's key logs hold a few lines per connection, over thousands of captures.
        Span<char> labelChars = stackalloc char[MaxLabelLength];
        Span<byte> randomBytes = stackalloc byte[32];
        if (label.Length > MaxLabelLength || !LabelLookup.TryGetValue(labelChars[..Encoding.ASCII.GetChars(label, labelChars)], out var set)
            || random.Length != 64 || secret.Length == 0 || secret.Length % 2 != 0 || secret.Length > 256
            || !Hex(random, randomBytes))
        {
            UnreadableLines++;
            return;
        }
        var secretBytes = new byte[secret.Length / 2];
        if (!Hex(secret, secretBytes))
        {
            UnreadableLines++;
            return;
        }
        var key = new RandomKey(randomBytes);
        if (!_byClientRandom.TryGetValue(key, out var secrets)) _byClientRandom[key] = secrets = new TlsSecrets();
        set(secrets, secretBytes);
        SecretLines++;
    }

    private static bool Hex(ReadOnlySpan<byte> hex, Span<byte> bytes) =>
        Convert.FromHexString(hex, bytes, out var consumed, out var written) == System.Buffers.OperationStatus.Done && consumed == hex.Length && written == bytes.Length;

    internal TlsSecrets? Find(ReadOnlySpan<byte> clientRandom) =>
        clientRandom.Length == 32 && _byClientRandom.TryGetValue(new RandomKey(clientRandom), out var s) ? s : null;

    /// <summary>The key logs kept beside a capture that exist, in the order <see cref="Study.CaptureFile.KeyLogNames"/> gives, each read once.</summary>
    public static IReadOnlyList<string> BesideCapture(string capturePath) =>
        Study.CaptureFile.KeyLogNames(capturePath).Where(File.Exists).ToList();

    /// <summary>A client random as a dictionary key: four 64-bit words compared by value.</summary>
    private readonly record struct RandomKey(ulong A, ulong B, ulong C, ulong D)
    {
        public RandomKey(ReadOnlySpan<byte> r)
            : this(BinaryPrimitives.ReadUInt64BigEndian(r), BinaryPrimitives.ReadUInt64BigEndian(r[8..]), BinaryPrimitives.ReadUInt64BigEndian(r[16..]), BinaryPrimitives.ReadUInt64BigEndian(r[24..]))
        {
        }
    }
}
