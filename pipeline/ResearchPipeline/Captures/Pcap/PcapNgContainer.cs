using System.Buffers.Binary;
using System.Text;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>
/// The pcapng file (IETF draft-ietf-opsawg-pcapng): a sequence of sections, each opened by a Section Header
/// Block that sets the byte order of everything up to the next section; interfaces are numbered per section.
/// </summary>
internal static class PcapNgContainer
{
    private const uint SectionHeader = 0x0A0D0D0A;
    private const uint InterfaceDescription = 1;
    private const uint ObsoletePacket = 2;
    private const uint SimplePacket = 3;
    private const uint NameResolution = 4;
    private const uint EnhancedPacket = 6;
    private const uint DecryptionSecrets = 0x0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;

    // Blocks larger than this are damage: Wireshark's own limit (an enhanced packet block holding the largest D-Bus
    // message, 128 MiB, with 128 KiB of options). The 16 MiB it had before refused what editcap writes itself: the
    // Decryption Secrets Block of a long key log (40,000 TLS connections' keys are 37 MB).
    private const int MaxBlockLength = 32 + (128 << 20) + (128 << 10);

    public static bool Recognises(ReadOnlySpan<byte> head) =>
        head.Length >= 12 && BinaryPrimitives.ReadUInt32LittleEndian(head) == SectionHeader
        && (BinaryPrimitives.ReadUInt32LittleEndian(head[8..]) == ByteOrderMagic || BinaryPrimitives.ReadUInt32BigEndian(head[8..]) == ByteOrderMagic);

    private sealed record Interface(int LinkType, byte Resolution, long OffsetSeconds);

    /// <summary>An IP address and the name a Name Resolution Block gave it.</summary>
    public sealed record ResolvedName(byte[] Address, string Name) : CaptureRecord;

    public static IEnumerable<ContainerItem> Read(Stream stream) => Read(new ContainerInput(stream));

    /// <summary>Reads the blocks <paramref name="input"/> holds, and disposes of it when done.</summary>
    /// <param name="secretsKnownAhead">
    /// TLS key logs the reader has from a pass ahead (<see cref="TlsSecrets(Stream)"/>): their blocks, the first ones in
    /// the file, are passed over rather than read again (a long key log's is tens of MB), as are other secrets, unused.
    /// </param>
    public static IEnumerable<ContainerItem> Read(ContainerInput input, int secretsKnownAhead = 0)
    {
        using var _ = input;
        var head = new byte[8];
        var bigEndian = false;
        var interfaces = new List<Interface>();
        var sections = 0;
        long packetIndex = 0;
        while (true)
        {
            var offset = input.Offset;
            var n = input.Read(head);
            if (n == 0) yield break;
            if (n < 8)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"file ends inside a block header ({n} of 8 bytes)", BlockAt(offset)));
                yield break;
            }
            var type = BinaryPrimitives.ReadUInt32LittleEndian(head);
            if (type == SectionHeader)
            {
                // The byte order of a section is only known from its own byte-order magic, which follows the length.
                var magic = new byte[4];
                if (input.Read(magic) < 4)
                {
                    yield return ContainerItem.Of(new CaptureProblem(Severity.Error, "file ends inside a section header block", BlockAt(offset)));
                    yield break;
                }
                if (BinaryPrimitives.ReadUInt32LittleEndian(magic) == ByteOrderMagic) bigEndian = false;
                else if (BinaryPrimitives.ReadUInt32BigEndian(magic) == ByteOrderMagic) bigEndian = true;
                else
                {
                    yield return ContainerItem.Of(new CaptureProblem(Severity.Error, "section header block has no valid byte-order magic; the rest of the file was not read", BlockAt(offset)));
                    yield break;
                }
            }
            else
            {
                type = U32(head, bigEndian);
            }
            var length = U32(head.AsSpan(4), bigEndian);
            if (length < 12 || length % 4 != 0 || length > MaxBlockLength)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"block length {length} is not valid (a multiple of 4, from 12 to {MaxBlockLength}); the rest of the file cannot be framed and was not read", BlockAt(offset)));
                yield break;
            }
            if (type == DecryptionSecrets && secretsKnownAhead > 0 && length >= 20)
            {
                var secretsHead = input.Take(8);
                var (secretsType, secretsLength) = secretsHead.Length == 8 ? (U32(secretsHead.Span, bigEndian), U32(secretsHead.Span[4..], bigEndian)) : (0u, 0u);
                if (secretsHead.Length < 8 || input.Skip(length - 16) < length - 16)
                {
                    yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"file ends inside a block of type {type} (a decryption secrets block of {length} bytes)", BlockAt(offset)));
                    yield break;
                }
                if (secretsType == Tls.TlsKeyLog.PcapNgSecretsType) secretsKnownAhead--;
                yield return ContainerItem.Of(new DecryptionSecretsFound(SecretsKind(secretsType), ReadOnlyMemory<byte>.Empty, (int)Math.Min(secretsLength, length - 20), BlockAt(offset)));
                continue;
            }
            var alreadyRead = type == SectionHeader ? 12 : 8;
            // The block after its 8-byte head, read in place: the pipeline is done with a packet's bytes before
            // it asks for the next. A section header's magic, read already, is put back in front.
            ReadOnlyMemory<byte> afterHead;
            if (type == SectionHeader)
            {
                var rest = input.Take((int)length - alreadyRead);
                var section = new byte[4 + rest.Length];
                BinaryPrimitives.WriteUInt32LittleEndian(section, bigEndian ? 0x4D3C2B1A : ByteOrderMagic);
                rest.Span.CopyTo(section.AsSpan(4));
                afterHead = section;
            }
            else
            {
                afterHead = input.Take((int)length - alreadyRead);
            }
            var got = afterHead.Length - (alreadyRead - 8);
            var complete = got == length - alreadyRead;
            if (!complete)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"file ends inside a block of type {type} ({alreadyRead + got} of {length} bytes); what it holds was read where possible", BlockAt(offset)));
            }
            else if (U32(afterHead.Span[((int)length - 12)..], bigEndian) != length)
            {
                yield return ContainerItem.Of(new CaptureProblem(Severity.Warning, $"block's trailing length {U32(afterHead.Span[((int)length - 12)..], bigEndian)} differs from its leading length {length}; the leading one was used", BlockAt(offset)));
            }
            // The body without the 8-byte head and, when present, the 4-byte trailing length.
            var body = afterHead[..(complete ? (int)length - 12 : Math.Max(0, alreadyRead + got - 8))];

            switch (type)
            {
                case SectionHeader:
                    sections++;
                    interfaces.Clear();
                    if (body.Length >= 16)
                    {
                        var major = U16(body.Span[4..], bigEndian);
                        var minor = U16(body.Span[6..], bigEndian);
                        var app = Application(body.Span[16..], bigEndian);
                        if (sections == 1)
                            yield return ContainerItem.Of(new CreatorFound(app ?? "pcapng", app is not null ? "" : $"{major}.{minor}"));
                    }
                    break;
                case InterfaceDescription:
                    if (body.Length < 8)
                    {
                        yield return ContainerItem.Of(new CaptureProblem(Severity.Error, "interface description block is too short; packets of this interface cannot be read", BlockAt(offset)));
                        interfaces.Add(new Interface(-1, 6, 0));
                        break;
                    }
                    interfaces.Add(Describe(body.Span, bigEndian));
                    break;
                case EnhancedPacket:
                case ObsoletePacket:
                {
                    if (body.Length < 20)
                    {
                        yield return ContainerItem.Of(new CaptureProblem(Severity.Error, "packet block is too short to hold its header; skipped", PacketAt(packetIndex, offset)));
                        packetIndex++;
                        break;
                    }
                    var s = body.Span;
                    var interfaceId = type == EnhancedPacket ? (long)U32(s, bigEndian) : U16(s, bigEndian);
                    var units = ((ulong)U32(s[4..], bigEndian) << 32) | U32(s[8..], bigEndian);
                    var captured = U32(s[12..], bigEndian);
                    var original = U32(s[16..], bigEndian);
                    if (interfaceId >= interfaces.Count || interfaces[(int)interfaceId].LinkType < 0)
                    {
                        yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"packet names interface {interfaceId}, which its section does not describe; skipped", PacketAt(packetIndex, offset)));
                        packetIndex++;
                        break;
                    }
                    var available = body.Length - 20;
                    if (captured > available)
                    {
                        // A block cut by the end of the file has been reported already; only a whole block that lies is news.
                        if (complete) yield return ContainerItem.Of(new CaptureProblem(Severity.Error, $"packet says it holds {captured} bytes but its block has room for {available}; the bytes present were read", PacketAt(packetIndex, offset)));
                        captured = (uint)available;
                    }
                    var itf = interfaces[(int)interfaceId];
                    yield return ContainerItem.Packet(new Frame(packetIndex, CaptureClock.FromUnits(units, itf.Resolution, itf.OffsetSeconds), itf.LinkType, (int)captured, Math.Max(original, captured), offset), body.Slice(20, (int)captured));
                    packetIndex++;
                    break;
                }
                case SimplePacket:
                {
                    if (body.Length < 4 || interfaces.Count == 0 || interfaces[0].LinkType < 0)
                    {
                        yield return ContainerItem.Of(new CaptureProblem(Severity.Error, "simple packet block without a readable length or interface 0; skipped", PacketAt(packetIndex, offset)));
                        packetIndex++;
                        break;
                    }
                    var original = U32(body.Span, bigEndian);
                    var captured = (int)Math.Min(original, (uint)(body.Length - 4));
                    // Simple packet blocks carry no timestamp (pcapng spec, section 4.4).
                    yield return ContainerItem.Packet(new Frame(packetIndex, null, interfaces[0].LinkType, captured, Math.Max(original, captured), offset), body.Slice(4, captured));
                    packetIndex++;
                    break;
                }
                case NameResolution:
                    foreach (var name in NameRecords(body, bigEndian)) yield return ContainerItem.Of(name);
                    break;
                case DecryptionSecrets:
                    if (body.Length >= 8)
                    {
                        var secretsType = U32(body.Span, bigEndian);
                        var secretsLength = (int)Math.Min(U32(body.Span[4..], bigEndian), (uint)(body.Length - 8));
                        // In place, as a packet is: taken before the next read (a long key log's block is tens of MB).
                        yield return ContainerItem.Of(new DecryptionSecretsFound(SecretsKind(secretsType), body.Slice(8, secretsLength), secretsLength, BlockAt(offset)));
                    }
                    break;
            }
            if (!complete) yield break;
        }
    }

    /// <summary>A TLS key log's text, or a part of it that ends at a line's end.</summary>
    /// <param name="EndsBlock">The last part of its Decryption Secrets Block's key log.</param>
    public readonly record struct KeyLogText(ReadOnlyMemory<byte> Text, bool EndsBlock);

    /// <summary>
    /// The TLS key logs of every Decryption Secrets Block, found by walking block headers only (packets are
    /// skipped, not read), so that secrets written after the packets they decrypt are known before those packets.
    /// </summary>
    /// <remarks>
    /// A block inside the chunk the headers are read in comes whole, in an array of its own. A longer one (a long
    /// recording's key log is tens of MB) comes in parts read through that chunk, each ending at a line's end, so
    /// that it is never held whole; a part is valid until the next is asked for.
    /// </remarks>
    public static IEnumerable<KeyLogText> TlsSecrets(Stream stream)
    {
        // Headers are read from large chunks, so that a file of small packets costs a few reads, not one per block.
        var chunk = System.Buffers.ArrayPool<byte>.Shared.Rent((int)Math.Clamp(stream.Length, 12, 1 << 20));
        try
        {
            foreach (var secrets in TlsSecrets(stream, chunk)) yield return secrets;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private static IEnumerable<KeyLogText> TlsSecrets(Stream stream, byte[] chunk)
    {
        long chunkStart = 0;
        var chunkLength = 0;
        var bigEndian = false;
        var end = stream.Length;
        long offset = 0;
        while (offset + 12 <= end)
        {
            if (offset + 12 > chunkStart + chunkLength)
            {
                stream.Position = chunkStart = offset;
                chunkLength = stream.ReadAtLeast(chunk, chunk.Length, throwOnEndOfStream: false);
                if (chunkLength < 12) yield break;
            }
            if (!BlockHead(chunk.AsSpan((int)(offset - chunkStart), 12), ref bigEndian, out var type, out var length) || offset + length > end) yield break;
            if (type == DecryptionSecrets && length >= 20)
            {
                // A block inside the chunk is taken from it: a capture that logs its keys as it goes (PCAPdroid)
                // has a secrets block per few connections, and reading each afresh cost a chunk's read after it.
                if (offset + length <= chunkStart + chunkLength)
                {
                    var body = chunk.AsSpan((int)(offset + 8 - chunkStart), (int)length - 12);
                    if (TlsKeyLogLength(body, bigEndian) is var n and >= 0) yield return new KeyLogText(body.Slice(8, n).ToArray(), EndsBlock: true);
                }
                else
                {
                    stream.Position = offset + 8;
                    chunkLength = 0;
                    if (stream.ReadAtLeast(chunk.AsSpan(0, 8), 8, throwOnEndOfStream: false) < 8) yield break;
                    var secretsType = U32(chunk, bigEndian);
                    var keyLogLength = Math.Min(U32(chunk.AsSpan(4), bigEndian), length - 20);
                    if (secretsType == Tls.TlsKeyLog.PcapNgSecretsType)
                        foreach (var (text, last) in LineParts.Read(stream, keyLogLength, chunk)) yield return new KeyLogText(text, last);
                }
            }
            offset += length;
        }
    }

    /// <summary>The TLS key logs of every Decryption Secrets Block of a file held whole in memory, found as above.</summary>
    public static List<ReadOnlyMemory<byte>> TlsSecrets(ReadOnlyMemory<byte> file)
    {
        var found = new List<ReadOnlyMemory<byte>>();
        var bigEndian = false;
        var offset = 0;
        while (offset + 12 <= file.Length)
        {
            if (!BlockHead(file.Span.Slice(offset, 12), ref bigEndian, out var type, out var length) || length > file.Length - offset) break;
            if (type == DecryptionSecrets && length >= 20)
            {
                var body = file.Slice(offset + 8, (int)length - 12);
                if (TlsKeyLogLength(body.Span, bigEndian) is var n and >= 0) found.Add(body.Slice(8, n));
            }
            offset += (int)length;
        }
        return found;
    }

    /// <summary>Type and length of the block whose first 12 bytes are <paramref name="head"/>; false where the file cannot be framed further.</summary>
    private static bool BlockHead(ReadOnlySpan<byte> head, ref bool bigEndian, out uint type, out uint length)
    {
        type = BinaryPrimitives.ReadUInt32LittleEndian(head);
        length = 0;
        if (type == SectionHeader)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(head[8..]) == ByteOrderMagic) bigEndian = false;
            else if (BinaryPrimitives.ReadUInt32BigEndian(head[8..]) == ByteOrderMagic) bigEndian = true;
            else return false;
        }
        else type = U32(head, bigEndian);
        length = U32(head[4..], bigEndian);
        return length >= 12 && length % 4 == 0 && length <= MaxBlockLength;
    }

    /// <summary>Length of the TLS key log after a secrets block body's type and length; -1 when it holds other secrets.</summary>
    private static int TlsKeyLogLength(ReadOnlySpan<byte> body, bool bigEndian) =>
        U32(body, bigEndian) == Tls.TlsKeyLog.PcapNgSecretsType ? (int)Math.Min(U32(body[4..], bigEndian), (uint)(body.Length - 8)) : -1;

    private static string BlockAt(long offset) => $"block at byte {offset}";
    private static string PacketAt(long index, long offset) => $"packet {index} at byte {offset}";

    // Secrets types registered in the pcapng spec, section 4.7.
    private static string SecretsKind(uint type) => type switch
    {
        0x544C534B => "tls-key-log",
        0x5353484B => "ssh-key-log",
        0x57474B4C => "wireguard-key-log",
        0x5A4E574B => "zigbee-nwk-key",
        0x5A415053 => "zigbee-aps-key",
        0x6F706376 => "opc-ua-key-log",
        _ => $"0x{type:x8}",
    };

    private static IEnumerable<ResolvedName> NameRecords(ReadOnlyMemory<byte> body, bool bigEndian)
    {
        var pos = 0;
        var result = new List<ResolvedName>();
        while (pos + 4 <= body.Length)
        {
            var type = U16(body.Span[pos..], bigEndian);
            var length = U16(body.Span[(pos + 2)..], bigEndian);
            if (type == 0 || pos + 4 + length > body.Length) break;
            var value = body.Span.Slice(pos + 4, length);
            var addressLength = type switch { 1 => 4, 2 => 16, _ => 0 };
            if (addressLength > 0 && value.Length > addressLength)
            {
                foreach (var name in Names(value[addressLength..]))
                    result.Add(new ResolvedName(value[..addressLength].ToArray(), name));
            }
            pos += 4 + (length + 3) / 4 * 4;
        }
        return result;
    }

    private static List<string> Names(ReadOnlySpan<byte> zeroTerminated)
    {
        var names = new List<string>();
        foreach (var part in Encoding.UTF8.GetString(zeroTerminated).Split('\0', StringSplitOptions.RemoveEmptyEntries)) names.Add(part.ToLowerInvariant());
        return names;
    }

    /// <summary>The application that wrote a section (shb_userappl), from its header's options; null when it does not say.</summary>
    private static string? Application(ReadOnlySpan<byte> options, bool bigEndian)
    {
        var reader = new Options(options, bigEndian);
        while (reader.Next(out var code, out var value))
        {
            if (code == 4) return value.Length > 0 ? Text(value) : null;
        }
        return null;
    }

    /// <summary>An interface description block's link type, timestamp resolution (if_tsresol) and offset (if_tsoffset).</summary>
    private static Interface Describe(ReadOnlySpan<byte> body, bool bigEndian)
    {
        byte resolution = 6;
        long offsetSeconds = 0;
        var reader = new Options(body[8..], bigEndian);
        while (reader.Next(out var code, out var value))
        {
            if (code == 9 && value.Length >= 1) resolution = value[0];
            if (code == 14 && value.Length >= 8) offsetSeconds = bigEndian ? BinaryPrimitives.ReadInt64BigEndian(value) : BinaryPrimitives.ReadInt64LittleEndian(value);
        }
        return new Interface(U16(body, bigEndian), resolution, offsetSeconds);
    }

    /// <summary>A block's options, read in place: code and value of each until opt_endofopt or the block ends.</summary>
    private ref struct Options(ReadOnlySpan<byte> options, bool bigEndian)
    {
        private readonly ReadOnlySpan<byte> _options = options;
        private int _pos;

        public bool Next(out ushort code, out ReadOnlySpan<byte> value)
        {
            value = [];
            code = 0;
            if (_pos + 4 > _options.Length) return false;
            code = U16(_options[_pos..], bigEndian);
            var length = U16(_options[(_pos + 2)..], bigEndian);
            if (code == 0 || _pos + 4 + length > _options.Length) return false;
            value = _options.Slice(_pos + 4, length);
            _pos += 4 + (length + 3) / 4 * 4;
            return true;
        }
    }

    private static string Text(ReadOnlySpan<byte> utf8) => Encoding.UTF8.GetString(utf8).TrimEnd('\0');
    private static ushort U16(ReadOnlySpan<byte> s, bool be) => be ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);
    private static uint U32(ReadOnlySpan<byte> s, bool be) => be ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
