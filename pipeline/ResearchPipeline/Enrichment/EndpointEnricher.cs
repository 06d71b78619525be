using System.Globalization;
using System.Net;

namespace ResearchPipeline.Enrichment;

/// <summary>A host contacted at an address, as the exchanges recorded it.</summary>
/// <param name="IpSource">where the address came from: har_server_ip, flow_peer, packet_peer, dns_answer, or none.</param>
public sealed record EndpointObservation(string Host, string? ServerIp, string IpSource, DateTimeOffset? SeenUtc);

/// <summary>One distinct (host, server address) with what the pinned reference data says about it.</summary>
public sealed record Endpoint
{
    public required string Host { get; init; }
    public string? ServerIp { get; init; }
    public string? RegistrableDomain { get; init; }
    public string? Country { get; init; }
    public string? City { get; init; }
    public double? Latitude { get; init; }
    public double? Longitude { get; init; }
    public int? AccuracyKm { get; init; }
    public uint? Asn { get; init; }
    public string? AsOrg { get; init; }
    public string? GeoSource { get; init; }
    /// <summary>Days from the answering database's build to the first sighting (negative: built after).</summary>
    public int? GeoBuildAgeDays { get; init; }
    public string? AsnSource { get; init; }
    public required string IpSource { get; init; }
    public string? AddressClass { get; init; }
    public DateTimeOffset? FirstSeenUtc { get; init; }
}

public sealed record EnrichmentResult(IReadOnlyList<Endpoint> Endpoints, IReadOnlyList<EnrichmentNote> Notes);

/// <summary>
/// The enrich stage: every distinct host and server address the captures recorded, answered from the
/// reference data for the date it was first seen, never by resolving the name again today.
/// </summary>
public static class EndpointEnricher
{
    public static EnrichmentResult Enrich(IEnumerable<EndpointObservation> observations, EnrichmentSources sources, IpLookup lookup)
    {
        var notes = new List<EnrichmentNote>();
        var badHosts = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var badAddresses = new SortedSet<string>(StringComparer.Ordinal);
        var distinct = new Dictionary<(string Host, string? Ip), (IPAddress? Address, string IpSource, DateTimeOffset? Seen, HostName? Name)>();

        foreach (var o in observations)
        {
            var name = HostName.Parse(o.Host, out var hostProblem);
            if (name is null) badHosts.TryAdd(o.Host, hostProblem!);
            IPAddress? address = null;
            if (!string.IsNullOrWhiteSpace(o.ServerIp))
            {
                var ip = HostName.Parse(o.ServerIp, out _);
                if (ip?.Address is { } parsed) address = parsed;
                else badAddresses.Add(o.ServerIp);
            }
            var key = (name?.Value ?? o.Host, address?.ToString() ?? o.ServerIp);
            var source = address is null ? "none" : o.IpSource;
            if (distinct.TryGetValue(key, out var seen))
            {
                var earliest = seen.Seen is null ? o.SeenUtc : o.SeenUtc is null ? seen.Seen : (o.SeenUtc < seen.Seen ? o.SeenUtc : seen.Seen);
                var ipSource = string.CompareOrdinal(seen.IpSource, source) <= 0 ? seen.IpSource : source;
                distinct[key] = (seen.Address, ipSource, earliest, seen.Name);
            }
            else distinct[key] = (address, source, o.SeenUtc, name);
        }

        var endpoints = new List<Endpoint>(distinct.Count);
        var overlaps = 0;
        var special = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var ((host, ip), (address, ipSource, seen, name)) in distinct)
        {
            var registrable = name is { IsIpLiteral: false } ? sources.Suffixes?.RegistrableDomain(name.Value) : null;
            IpFacts? facts = address is null ? null : lookup.Lookup(address, seen);
            if (facts is { Class: not AddressClass.Public }) special[AddressClassifier.Label(facts.Class)] = special.GetValueOrDefault(AddressClassifier.Label(facts.Class)) + 1;
            if (facts?.AsnFromOverlap == true) overlaps++;
            endpoints.Add(new Endpoint
            {
                Host = host,
                ServerIp = ip,
                RegistrableDomain = registrable,
                Country = facts?.Geo?.Country,
                City = facts?.Geo?.City,
                Latitude = facts?.Geo?.Latitude,
                Longitude = facts?.Geo?.Longitude,
                AccuracyKm = facts?.Geo?.AccuracyKm,
                Asn = facts?.Asn?.Asn,
                AsOrg = facts?.Asn?.Organisation,
                GeoSource = facts?.GeoDatabase?.Label,
                GeoBuildAgeDays = facts?.GeoDatabase is { } db && seen is { } s ? (int)Math.Floor((s - db.Built).TotalDays) : null,
                AsnSource = facts?.AsnSource,
                IpSource = ipSource,
                AddressClass = facts is null ? null : AddressClassifier.Label(facts.Class),
                FirstSeenUtc = seen,
            });
        }

        foreach (var (host, problem) in badHosts) notes.Add(new EnrichmentNote("warning", $"host not normalised: {problem}", host));
        foreach (var a in badAddresses) notes.Add(new EnrichmentNote("warning", $"server address '{a}' is not an IP address; not looked up", a));
        foreach (var (label, count) in special)
            notes.Add(new EnrichmentNote("info", $"{count} endpoints have a {label} server address: labelled, not looked up", "endpoints.address_class"));
        if (overlaps > 0)
            notes.Add(new EnrichmentNote("warning", $"{overlaps} endpoints fall where ranges of the AS range table overlap; the narrowest range answered", sources.Ranges?.Source ?? ""));
        if (endpoints.Where(e => e.GeoBuildAgeDays is not null).Select(e => e.GeoSource).Distinct().Count() is > 0)
        {
            foreach (var g in endpoints.Where(e => e.GeoBuildAgeDays is not null).GroupBy(e => e.GeoSource!).OrderBy(g => g.Key, StringComparer.Ordinal))
            {
                var ages = g.Select(e => e.GeoBuildAgeDays!.Value).ToList();
                notes.Add(new EnrichmentNote("info",
                    string.Create(CultureInfo.InvariantCulture, $"{g.Key} answered {ages.Count} endpoints seen {ages.Min()} to {ages.Max()} days after it was built"),
                    "endpoints.geo_build_age_days"));
            }
        }
        return new EnrichmentResult(endpoints, notes);
    }
}
