using System.Net;
using System.Net.Sockets;

namespace ResearchPipeline.Enrichment;

/// <summary>
/// What kind of address a server IP is. Only <see cref="Public"/> addresses are looked up: the others are
/// not routed on the Internet, so a GeoIP or ASN answer for them would be noise.
/// </summary>
public enum AddressClass
{
    Public,
    Private,
    Loopback,
    LinkLocal,
    /// <summary>Reserved, documentation, shared (carrier-grade NAT), multicast, unspecified or broadcast space.</summary>
    Bogon,
}

public static class AddressClassifier
{
    // RFC 6890 special-purpose registries, IPv4 and IPv6.
    private static readonly (IPNetwork Network, AddressClass Class)[] Special =
    [
        (IPNetwork.Parse("10.0.0.0/8"), AddressClass.Private),
        (IPNetwork.Parse("172.16.0.0/12"), AddressClass.Private),
        (IPNetwork.Parse("192.168.0.0/16"), AddressClass.Private),
        (IPNetwork.Parse("127.0.0.0/8"), AddressClass.Loopback),
        (IPNetwork.Parse("169.254.0.0/16"), AddressClass.LinkLocal),
        (IPNetwork.Parse("0.0.0.0/8"), AddressClass.Bogon),
        (IPNetwork.Parse("100.64.0.0/10"), AddressClass.Bogon),
        (IPNetwork.Parse("192.0.0.0/24"), AddressClass.Bogon),
        (IPNetwork.Parse("192.0.2.0/24"), AddressClass.Bogon),
        (IPNetwork.Parse("198.18.0.0/15"), AddressClass.Bogon),
        (IPNetwork.Parse("198.51.100.0/24"), AddressClass.Bogon),
        (IPNetwork.Parse("203.0.113.0/24"), AddressClass.Bogon),
        (IPNetwork.Parse("224.0.0.0/4"), AddressClass.Bogon),
        (IPNetwork.Parse("240.0.0.0/4"), AddressClass.Bogon),
        (IPNetwork.Parse("fc00::/7"), AddressClass.Private),
        (IPNetwork.Parse("::1/128"), AddressClass.Loopback),
        (IPNetwork.Parse("fe80::/10"), AddressClass.LinkLocal),
        (IPNetwork.Parse("::/128"), AddressClass.Bogon),
        (IPNetwork.Parse("2001:db8::/32"), AddressClass.Bogon),
        (IPNetwork.Parse("ff00::/8"), AddressClass.Bogon),
        (IPNetwork.Parse("100::/64"), AddressClass.Bogon),
    ];

    public static AddressClass Classify(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var (network, cls) in Special)
        {
            if (network.BaseAddress.AddressFamily == address.AddressFamily && network.Contains(address)) return cls;
        }
        // Only 2000::/3 is allocated as global unicast IPv6.
        if (address.AddressFamily == AddressFamily.InterNetworkV6 && (address.GetAddressBytes()[0] & 0xE0) != 0x20) return AddressClass.Bogon;
        return AddressClass.Public;
    }

    public static string Label(AddressClass cls) => cls switch
    {
        AddressClass.Public => "public",
        AddressClass.Private => "private",
        AddressClass.Loopback => "loopback",
        AddressClass.LinkLocal => "link_local",
        _ => "bogon",
    };
}
