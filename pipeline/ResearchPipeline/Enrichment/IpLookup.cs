using System.Net;

namespace ResearchPipeline.Enrichment;

/// <summary>Everything the reference data says about one server address on one date.</summary>
public sealed record IpFacts(
    AddressClass Class,
    GeoAnswer? Geo,
    MmdbDatabase? GeoDatabase,
    AsnAnswer? Asn,
    string? AsnSource,
    bool AsnFromOverlap);

/// <summary>
/// Answers an address from the databases in order of precedence: the user's own before the pinned ones, a
/// City database before a Country one, and among snapshots of the same kind the one built nearest before the
/// date the address was seen (then the nearest after). Non-public addresses are classed and not looked up.
/// Answers are cached per address and precedence order for the life of this object (one run): MaxMind lookups
/// are about 150 thousand a second on one core, and a capture contacts the same few addresses again and again.
/// </summary>
public sealed class IpLookup(EnrichmentSources sources, bool cache = true)
{
    private readonly Dictionary<(IPAddress, int), IpFacts> _cache = new();
    private readonly Dictionary<int, (List<MmdbDatabase> Geo, List<MmdbDatabase> Asn)> _orders = new();
    private readonly Lock _lock = new();

    public long Lookups { get; private set; }
    public long CacheHits { get; private set; }

    public IpFacts Lookup(IPAddress address, DateTimeOffset? seen)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        var cls = AddressClassifier.Classify(address);
        if (cls != AddressClass.Public) return new IpFacts(cls, null, null, null, null, false);

        // The databases built on or before the date are always the same few; their number names the order.
        var builtBefore = seen is null ? -1 : sources.Databases.Count(d => d.Built <= seen);
        var key = (address, builtBefore);
        List<MmdbDatabase> geo, asn;
        lock (_lock)
        {
            if (!_orders.TryGetValue(builtBefore, out var order))
            {
                order = (Order(sources.Databases.Where(d => d.AnswersGeo), seen, d => d.Kind == MmdbKind.City ? 0 : 1),
                         Order(sources.Databases.Where(d => d.AnswersAsn), seen, _ => 0));
                _orders[builtBefore] = order;
            }
            (geo, asn) = order;
            Lookups++;
            if (cache && _cache.TryGetValue(key, out var known))
            {
                CacheHits++;
                return known;
            }
        }

        GeoAnswer? geoAnswer = null;
        MmdbDatabase? geoDb = null;
        foreach (var db in geo)
        {
            if (db.Geo(address) is { } a)
            {
                (geoAnswer, geoDb) = (a, db);
                break;
            }
        }
        AsnAnswer? asnAnswer = null;
        string? asnSource = null;
        var overlap = false;
        foreach (var db in asn)
        {
            if (db.Asn(address) is { } a)
            {
                (asnAnswer, asnSource) = (a, db.Label);
                break;
            }
        }
        if (asnAnswer is null && sources.Ranges?.Find(address) is { } r)
        {
            (asnAnswer, asnSource, overlap) = (new AsnAnswer(r.Asn, r.Organisation), sources.Ranges.Source, r.FromOverlap);
        }
        var facts = new IpFacts(cls, geoAnswer, geoDb, asnAnswer, asnSource, overlap);
        if (cache)
        {
            lock (_lock) _cache[key] = facts;
        }
        return facts;
    }

    private static List<MmdbDatabase> Order(IEnumerable<MmdbDatabase> databases, DateTimeOffset? seen, Func<MmdbDatabase, int> kindRank) =>
        databases
            .OrderBy(d => d.UserSupplied ? 0 : 1)
            .ThenBy(kindRank)
            .ThenBy(d => seen is null || d.Built <= seen ? 0 : 1)
            .ThenBy(d => seen is null ? -d.Built.Ticks : Math.Abs((seen.Value - d.Built).Ticks))
            .ThenBy(d => d.Path, StringComparer.Ordinal)
            .ToList();
}
