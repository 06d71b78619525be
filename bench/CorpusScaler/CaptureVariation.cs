using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace CorpusScaler;

/// <summary>
/// Changes a few bytes of a capture so copy <c>k</c> of it has its own sha256 (its own capture_id) while every
/// host, path and body stays as recorded, so tracker adapters match the copies as they match the original.
/// Copy 0 is the original. A format this does not recognise is returned unchanged.
/// </summary>
public static partial class CaptureVariation
{
    public static byte[] Vary(string fileName, byte[] original, int copy)
    {
        if (copy == 0) return original;
        var ext = Path.GetExtension(fileName).ToLowerInvariant();
        return ext switch
        {
            ".har" => HarCreatorVersion(original, copy),
            ".mitm" or ".flow" or ".flows" => FlowTimestamps(original, copy),
            ".pcap" or ".pcapng" or ".cap" => PcapTimestamps(original, copy),
            _ => original,
        };
    }

    /// <summary>HAR: appends <c>+copyN</c> to log.creator.version (a string the readers only report).</summary>
    private static byte[] HarCreatorVersion(byte[] har, int copy)
    {
        var text = har.AsSpan();
        var creator = text.IndexOf("\"creator\""u8);
        if (creator >= 0)
        {
            var version = text[creator..].IndexOf("\"version\""u8);
            if (version >= 0)
            {
                var at = creator + version + "\"version\""u8.Length;
                while (at < text.Length && text[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)':') at++;
                if (at < text.Length && text[at] == (byte)'"')
                {
                    var close = text[(at + 1)..].IndexOf((byte)'"');
                    if (close >= 0) return Insert(har, at + 1 + close, Encoding.ASCII.GetBytes($"+copy{copy}"));
                }
            }
        }
        // No creator version: whitespace after the opening brace still changes the bytes, not the meaning.
        var brace = text.IndexOf((byte)'{');
        return brace < 0 ? har : Insert(har, brace + 1, Encoding.ASCII.GetBytes(new string(' ', copy)));
    }

    // A tnetstring float under a timestamp_* key: `15:timestamp_start;18:1680134454.1234567^` (keys are bytes, `,`, before flow format 1.0).
    [GeneratedRegex(@"(\d+:timestamp_[a-z_]+[;,])(\d+):(\d+)(\.\d+)?\^", RegexOptions.CultureInvariant)]
    private static partial Regex FlowTimestamp();

    /// <summary>Flows: every timestamp_* moves <paramref name="copy"/> seconds later, at the same length, so no tnetstring length changes.</summary>
    private static byte[] FlowTimestamps(byte[] flows, int copy)
    {
        // Latin-1 maps every byte to one char and back, so offsets and binary bodies survive the round trip.
        var text = Encoding.Latin1.GetString(flows);
        var changed = FlowTimestamp().Replace(text, m =>
        {
            var whole = m.Groups[3].Value;
            if (!long.TryParse(whole, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return m.Value;
            var shifted = (seconds + copy).ToString(CultureInfo.InvariantCulture);
            return shifted.Length == whole.Length ? m.Groups[1].Value + m.Groups[2].Value + ":" + shifted + m.Groups[4].Value + "^" : m.Value;
        });
        return Encoding.Latin1.GetBytes(changed);
    }

    /// <summary>pcap / pcapng: every packet's timestamp moves <paramref name="copy"/> seconds later (gaps between packets unchanged).</summary>
    private static byte[] PcapTimestamps(byte[] capture, int copy)
    {
        var bytes = (byte[])capture.Clone();
        if (bytes.Length < 24) return bytes;
        var magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (magic is 0xA1B2C3D4 or 0xA1B23C4D or 0xD4C3B2A1 or 0x4D3CB2A1) ShiftClassic(bytes, magic, copy);
        else if (magic == 0x0A0D0D0A) ShiftPcapNg(bytes, copy);
        return bytes;
    }

    private static void ShiftClassic(byte[] bytes, uint magic, int copy)
    {
        var little = magic is 0xA1B2C3D4 or 0xA1B23C4D;
        for (var at = 24; at + 16 <= bytes.Length;)
        {
            var ts = bytes.AsSpan(at, 4);
            var included = little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)) : BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 8));
            if (little) BinaryPrimitives.WriteUInt32LittleEndian(ts, BinaryPrimitives.ReadUInt32LittleEndian(ts) + (uint)copy);
            else BinaryPrimitives.WriteUInt32BigEndian(ts, BinaryPrimitives.ReadUInt32BigEndian(ts) + (uint)copy);
            if (included > int.MaxValue - at - 16) break;
            at += 16 + (int)included;
        }
    }

    // Enhanced (6) and obsolete (2) packet blocks both keep the timestamp at bytes 12..19; units assumed
    // microseconds (the default if_tsresol), which is what every seed here uses. Other resolutions still shift.
    private static void ShiftPcapNg(byte[] bytes, int copy)
    {
        var little = true;
        for (var at = 0; at + 12 <= bytes.Length;)
        {
            var type = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
            if (type == 0x0A0D0D0A) little = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)) == 0x1A2B3C4D;
            else if (!little) type = BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at));
            var length = little ? BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4)) : BinaryPrimitives.ReadUInt32BigEndian(bytes.AsSpan(at + 4));
            if (length < 12 || length > bytes.Length - at) break;
            if (type is 6 or 2 && length >= 20)
            {
                var high = Read(bytes, at + 12, little);
                var low = Read(bytes, at + 16, little);
                var ts = ((ulong)high << 32 | low) + (ulong)copy * 1_000_000UL;
                Write(bytes, at + 12, (uint)(ts >> 32), little);
                Write(bytes, at + 16, (uint)ts, little);
            }
            at += (int)length;
        }
    }

    /// <summary>
    /// A pcapng of TLS connections with their keys, for the decrypting-reader corpus: timestamps move
    /// <paramref name="copy"/> seconds later and every ephemeral TCP port (32768 and up, where the client's are)
    /// moves by the same amount in both directions, so the copies' connections stay whole and apart even when
    /// tshark reads them concatenated into one stream. Sequence numbers, payloads (the TLS records) and the
    /// Decryption Secrets Block stay as recorded, so the embedded keys still open every connection.
    /// Only little-endian sections with Ethernet interfaces are rewritten, which is what dumpcap writes on Linux.
    /// </summary>
    public static byte[] VaryConnections(byte[] pcapng, int copy)
    {
        var bytes = PcapTimestamps(pcapng, copy);
        if (bytes.Length < 12 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != 0x0A0D0D0A) return bytes;
        var linkTypes = new List<ushort>();
        for (var at = 0; at + 12 <= bytes.Length;)
        {
            var type = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at));
            var length = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 4));
            if (length < 12 || length > bytes.Length - at) break;
            if (type == 0x0A0D0D0A)
            {
                if (BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8)) != 0x1A2B3C4D) break;
                linkTypes.Clear();
            }
            else if (type == 1 && length >= 20) linkTypes.Add(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(at + 8)));
            else if (type == 6 && length >= 32)
            {
                var iface = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 8));
                var captured = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(at + 20)), length - 32);
                if (iface < linkTypes.Count && linkTypes[iface] == 1) MoveEphemeralPorts(bytes.AsSpan(at + 28, captured), copy);
            }
            at += (int)length;
        }
        return bytes;
    }

    private static void MoveEphemeralPorts(Span<byte> frame, int copy)
    {
        if (frame.Length < 14) return;
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int tcp;
        if (etherType == 0x0800 && frame.Length >= 34 && frame[23] == 6) tcp = 14 + (frame[14] & 0x0f) * 4;
        else if (etherType == 0x86DD && frame.Length >= 54 && frame[20] == 6) tcp = 14 + 40;
        else return;
        if (frame.Length < tcp + 4) return;
        for (var side = 0; side < 4; side += 2)
        {
            var port = BinaryPrimitives.ReadUInt16BigEndian(frame[(tcp + side)..]);
            // A prime step spreads the copies over the ephemeral range; the TCP checksum is left as it was (readers do not check it).
            if (port >= 32768) BinaryPrimitives.WriteUInt16BigEndian(frame[(tcp + side)..], (ushort)(32768 + (port - 32768 + copy * 613) % 32768));
        }
    }

    private static uint Read(byte[] b, int at, bool little) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));

    private static void Write(byte[] b, int at, uint value, bool little)
    {
        if (little) BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), value);
        else BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(at), value);
    }

    private static byte[] Insert(byte[] bytes, int at, byte[] inserted)
    {
        var result = new byte[bytes.Length + inserted.Length];
        bytes.AsSpan(0, at).CopyTo(result);
        inserted.CopyTo(result.AsSpan(at));
        bytes.AsSpan(at).CopyTo(result.AsSpan(at + inserted.Length));
        return result;
    }
}
