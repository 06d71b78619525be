using System.Net;
using ResearchPipeline.Enrichment;

namespace ResearchPipeline.Tests.Enrichment;

public class HostNameTests
{
    [TestCase("Graph.Facebook.COM.", "graph.facebook.com")]
    [TestCase("example.com:8080", "example.com")]
    [TestCase(" b\u00fccher.example ", "xn--bcher-kva.example")]
    [TestCase("xn--bcher-kva.example", "xn--bcher-kva.example")]
    // Numeric labels that are not four of one to three digits make a name, not an address.
    [TestCase("10.0.0.1.nip.io", "10.0.0.1.nip.io")]
    [TestCase("1.2.3", "1.2.3")]
    [TestCase("1234.1.1.1", "1234.1.1.1")]
    public void Host_names_are_normalised(string raw, string expected)
    {
        var host = HostName.Parse(raw, out var problem);
        Assert.That(problem, Is.Null);
        Assert.That(host!.Value, Is.EqualTo(expected));
        Assert.That(host.IsIpLiteral, Is.False);
    }

    [TestCase("[2001:DB8::1]:443", "2001:db8::1")]
    [TestCase("[2001:db8::1]", "2001:db8::1")]
    [TestCase("157.240.212.16:443", "157.240.212.16")]
    [TestCase("::ffff:157.240.212.16", "157.240.212.16")]
    [TestCase("fe80::1%eth0", "fe80::1")]
    public void IP_literals_become_canonical_addresses(string raw, string expected)
    {
        var host = HostName.Parse(raw, out _);
        Assert.That(host!.Address, Is.EqualTo(IPAddress.Parse(expected)));
        Assert.That(host.Value, Is.EqualTo(expected));
    }

    [TestCase("", "empty host")]
    [TestCase("a..b", "empty label")]
    [TestCase("999.1.1.1", "does not parse")]
    [TestCase("exa mple.com", "characters no host name has")]
    [TestCase("[::1", "unbalanced bracket")]
    public void Unusable_hosts_are_reported_not_thrown(string raw, string reason)
    {
        Assert.That(HostName.Parse(raw, out var problem), Is.Null);
        Assert.That(problem, Does.Contain(reason));
    }

    [TestCase("8.8.8.8", AddressClass.Public)]
    [TestCase("2a03:2880:f10c:83:face:b00c:0:25de", AddressClass.Public)]
    [TestCase("10.1.2.3", AddressClass.Private)]
    [TestCase("172.31.255.255", AddressClass.Private)]
    [TestCase("::ffff:192.168.1.1", AddressClass.Private)]
    [TestCase("fd12:3456::1", AddressClass.Private)]
    [TestCase("127.0.0.53", AddressClass.Loopback)]
    [TestCase("::1", AddressClass.Loopback)]
    [TestCase("169.254.1.1", AddressClass.LinkLocal)]
    [TestCase("fe80::1", AddressClass.LinkLocal)]
    [TestCase("100.64.0.1", AddressClass.Bogon)]
    [TestCase("192.0.2.1", AddressClass.Bogon)]
    [TestCase("224.0.0.251", AddressClass.Bogon)]
    [TestCase("255.255.255.255", AddressClass.Bogon)]
    [TestCase("0.0.0.0", AddressClass.Bogon)]
    [TestCase("2001:db8::1", AddressClass.Bogon)]
    public void Addresses_are_classed(string address, AddressClass expected) =>
        Assert.That(AddressClassifier.Classify(IPAddress.Parse(address)), Is.EqualTo(expected));
}
