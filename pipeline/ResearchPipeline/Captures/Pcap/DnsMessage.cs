using System.Buffers.Binary;
using System.Text;

namespace ResearchPipeline.Captures.Pcap;

internal sealed record DnsQuestion(string Name, ushort Type);

/// <summary>
/// A resource record of the answer section; <see cref="Data"/> is an address (A, AAAA) or a name (CNAME), and
/// <see cref="Address"/> the address as a value for A and AAAA.
/// </summary>
internal sealed record DnsAnswer(string Name, ushort Type, string Data, IpAddr? Address = null);

/// <summary>A DNS message (RFC 1035 section 4), read only as far as names and addresses.</summary>
internal sealed record DnsMessage(ushort Id, bool IsResponse, int ResponseCode, IReadOnlyList<DnsQuestion> Questions, IReadOnlyList<DnsAnswer> Answers)
{
    public const ushort TypeA = 1;
    public const ushort TypeCname = 5;
    public const ushort TypeAaaa = 28;

    /// <summary>Reads the message, or returns null with the reason when it is not DNS or is broken.</summary>
    public static DnsMessage? TryRead(ReadOnlySpan<byte> m, out string? error)
    {
        error = null;
        if (m.Length < 12)
        {
            error = $"DNS message of {m.Length} bytes is shorter than its 12-byte header";
            return null;
        }
        var id = BinaryPrimitives.ReadUInt16BigEndian(m);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(m[2..]);
        int qd = BinaryPrimitives.ReadUInt16BigEndian(m[4..]);
        int an = BinaryPrimitives.ReadUInt16BigEndian(m[6..]);
        var pos = 12;
        var questions = new List<DnsQuestion>();
        for (var i = 0; i < qd; i++)
        {
            var name = ReadName(m, ref pos);
            if (name is null || pos + 4 > m.Length)
            {
                error = $"DNS question {i} is cut short or malformed";
                return null;
            }
            questions.Add(new DnsQuestion(name, BinaryPrimitives.ReadUInt16BigEndian(m[pos..])));
            pos += 4;
        }
        var answers = new List<DnsAnswer>();
        for (var i = 0; i < an; i++)
        {
            var name = ReadName(m, ref pos);
            if (name is null || pos + 10 > m.Length)
            {
                error = $"DNS answer {i} is cut short or malformed";
                break;
            }
            var type = BinaryPrimitives.ReadUInt16BigEndian(m[pos..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(m[(pos + 8)..]);
            pos += 10;
            if (pos + length > m.Length)
            {
                error = $"DNS answer {i} runs past the message";
                break;
            }
            var data = m.Slice(pos, length);
            var targetAt = pos;
            IpAddr? address = type switch
            {
                TypeA when length == 4 => IpAddr.V4(data),
                TypeAaaa when length == 16 => IpAddr.V6(data),
                _ => null,
            };
            var value = address is { } a ? a.ToString() : type == TypeCname ? ReadName(m, ref targetAt) : null;
            if (value is not null) answers.Add(new DnsAnswer(name, type, value, address));
            pos += length;
        }
        return new DnsMessage(id, (flags & 0x8000) != 0, flags & 0x0F, questions, answers);
    }

    /// <summary>A possibly compressed name (RFC 1035 section 4.1.4), lower-cased; null when malformed or looping.</summary>
    private static string? ReadName(ReadOnlySpan<byte> m, ref int pos)
    {
        // Room for a name at its 255-character limit plus one more label written out as \ddd escapes.
        Span<char> name = stackalloc char[512];
        var length = 0;
        var p = pos;
        var jumped = false;
        for (var hops = 0; hops < 128; hops++)
        {
            if (p >= m.Length) return null;
            var len = m[p];
            if (len == 0)
            {
                if (!jumped) pos = p + 1;
                return length == 0 ? "<Root>" : new string(name[..length]);
            }
            if ((len & 0xC0) == 0xC0)
            {
                if (p + 1 >= m.Length) return null;
                if (!jumped) pos = p + 2;
                jumped = true;
                p = ((len & 0x3F) << 8) | m[p + 1];
                continue;
            }
            if ((len & 0xC0) != 0 || p + 1 + len > m.Length) return null;
            if (length > 0) name[length++] = '.';
            length += AppendLabel(m.Slice(p + 1, len), name[length..]);
            if (length > 255) return null;
            p += 1 + len;
        }
        return null;
    }

    /// <summary>Writes a label as <see cref="Label"/> gives it; printable ASCII, the usual case, without a string of its own.</summary>
    private static int AppendLabel(ReadOnlySpan<byte> label, Span<char> into)
    {
        var printable = true;
        foreach (var b in label) printable &= b is >= 0x21 and < 0x7F;
        if (!printable)
        {
            var text = Label(label);
            text.CopyTo(into);
            return text.Length;
        }
        for (var i = 0; i < label.Length; i++)
        {
            var c = (char)label[i];
            into[i] = c is >= 'A' and <= 'Z' ? (char)(c + ('a' - 'A')) : c;
        }
        return label.Length;
    }

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>
    /// A label as text: names are ASCII by RFC 1035, but mDNS and NetBIOS-style local names are UTF-8 (RFC 6762
    /// section 16), as Wireshark shows them; other bytes are written as \ddd (RFC 4343 section 2.1).
    /// </summary>
    private static string Label(ReadOnlySpan<byte> label)
    {
        var printable = true;
        foreach (var b in label) printable &= b is >= 0x21 and < 0x7F;
        if (printable) return Encoding.ASCII.GetString(label).ToLowerInvariant();
        try
        {
            var text = StrictUtf8.GetString(label);
            if (!text.Any(char.IsControl)) return text.ToLowerInvariant();
        }
        catch (DecoderFallbackException)
        {
        }
        var sb = new StringBuilder();
        foreach (var b in label) sb.Append(b is >= 0x21 and < 0x7F ? char.ToLowerInvariant((char)b).ToString() : $"\\{b:D3}");
        return sb.ToString();
    }
}
