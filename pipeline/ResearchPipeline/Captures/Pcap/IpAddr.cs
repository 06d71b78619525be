using System.Buffers.Binary;
using System.Globalization;
using System.Net;

namespace ResearchPipeline.Captures.Pcap;

/// <summary>An IPv4 or IPv6 address as a value, cheap to hash per packet; IPv4 is kept apart from IPv4-mapped IPv6.</summary>
internal readonly record struct IpAddr(ulong High, ulong Low, bool IsV6) : IComparable<IpAddr>
{
    public static IpAddr V4(ReadOnlySpan<byte> b) => new(0, BinaryPrimitives.ReadUInt32BigEndian(b), false);
    public static IpAddr V6(ReadOnlySpan<byte> b) => new(BinaryPrimitives.ReadUInt64BigEndian(b), BinaryPrimitives.ReadUInt64BigEndian(b[8..]), true);

    public static IpAddr? FromBytes(ReadOnlySpan<byte> b) => b.Length switch { 4 => V4(b), 16 => V6(b), _ => null };

    public int CompareTo(IpAddr other) =>
        IsV6 != other.IsV6 ? IsV6.CompareTo(other.IsV6) : High != other.High ? High.CompareTo(other.High) : Low.CompareTo(other.Low);

    public override string ToString()
    {
        if (!IsV6)
        {
            // Dotted decimal, as IPAddress writes it, without building one per address.
            Span<char> text = stackalloc char[15];
            var n = 0;
            for (var shift = 24; shift >= 0; shift -= 8)
            {
                if (shift < 24) text[n++] = '.';
                ((byte)(Low >> shift)).TryFormat(text[n..], out var written, default, CultureInfo.InvariantCulture);
                n += written;
            }
            return new string(text[..n]);
        }
        Span<byte> b = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(b, High);
        BinaryPrimitives.WriteUInt64BigEndian(b[8..], Low);
        return new IPAddress(b).ToString();
    }
}

/// <summary>One end of a flow.</summary>
internal readonly record struct Endpoint(IpAddr Address, ushort Port) : IComparable<Endpoint>
{
    public int CompareTo(Endpoint other) => Address.CompareTo(other.Address) is var c and not 0 ? c : Port.CompareTo(other.Port);
    public override string ToString() => Address.IsV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}
