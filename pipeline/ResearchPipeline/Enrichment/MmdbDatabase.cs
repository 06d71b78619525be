using System.Globalization;
using System.Net;
using MaxMind.Db;
using MaxMind.GeoIP2;

namespace ResearchPipeline.Enrichment;

/// <summary>What a MaxMind DB file answers, from its metadata's database_type.</summary>
public enum MmdbKind
{
    /// <summary>GeoLite2-City, GeoIP2-City, GeoIP2-Enterprise: country, city, coordinates, accuracy.</summary>
    City,
    /// <summary>GeoLite2-Country, GeoIP2-Country.</summary>
    Country,
    /// <summary>ip-location-db's "country ipv4/ipv6/ipvAll": a record holding only <c>country_code</c>.</summary>
    CountryCode,
    /// <summary>GeoLite2-ASN.</summary>
    Asn,
    /// <summary>GeoIP2-ISP: AS number and organisation, and the ISP.</summary>
    Isp,
}

public sealed record GeoAnswer(string? Country, string? City, double? Latitude, double? Longitude, int? AccuracyKm);

public sealed record AsnAnswer(uint Asn, string? Organisation);

/// <summary>
/// One .mmdb file, opened once and shared by every lookup (the readers are thread-safe). Memory-mapped, as
/// lookups ran as fast that way as fully loaded and the file stays out of the heap.
/// </summary>
public sealed class MmdbDatabase : IDisposable
{
    private readonly DatabaseReader? _maxmind;
    private readonly Reader? _raw;

    private MmdbDatabase(string path, MmdbKind kind, string databaseType, DateTimeOffset built, string citation, bool userSupplied, DatabaseReader? maxmind, Reader? raw)
    {
        Path = path;
        Kind = kind;
        DatabaseType = databaseType;
        Built = built;
        Citation = citation;
        UserSupplied = userSupplied;
        _maxmind = maxmind;
        _raw = raw;
    }

    public string Path { get; }
    public MmdbKind Kind { get; }
    public string DatabaseType { get; }
    /// <summary>The metadata's build_epoch.</summary>
    public DateTimeOffset Built { get; }
    public string Citation { get; }
    /// <summary>A database the user placed in the external folder, not one the lock file pins.</summary>
    public bool UserSupplied { get; }

    /// <summary>How rows name the database that answered: type, build date and where it came from.</summary>
    public string Label => $"{DatabaseType} built {Built.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)} ({Citation})";

    public bool AnswersGeo => Kind is MmdbKind.City or MmdbKind.Country or MmdbKind.CountryCode;
    public bool AnswersAsn => Kind is MmdbKind.Asn or MmdbKind.Isp;

    /// <summary>Opens the file; null with a reason when it is not a MaxMind DB this pipeline reads.</summary>
    public static MmdbDatabase? Open(string path, string citation, bool userSupplied, out string? problem)
    {
        problem = null;
        Reader raw;
        try
        {
            raw = new Reader(path, FileAccessMode.MemoryMapped);
        }
        catch (Exception e) when (e is InvalidDatabaseException or IOException or UnauthorizedAccessException)
        {
            problem = $"{path}: not a readable MaxMind DB file: {e.Message}";
            return null;
        }
        var type = raw.Metadata.DatabaseType;
        var built = new DateTimeOffset(DateTime.SpecifyKind(raw.Metadata.BuildDate, DateTimeKind.Utc));
        MmdbKind? kind =
            type.StartsWith("country ip", StringComparison.Ordinal) ? MmdbKind.CountryCode
            : type.Contains("City", StringComparison.Ordinal) || type.Contains("Enterprise", StringComparison.Ordinal) ? MmdbKind.City
            : type.Contains("Country", StringComparison.Ordinal) ? MmdbKind.Country
            : type.Contains("ASN", StringComparison.Ordinal) ? MmdbKind.Asn
            : type.Contains("ISP", StringComparison.Ordinal) ? MmdbKind.Isp
            : null;
        if (kind is null)
        {
            raw.Dispose();
            problem = $"{path}: database type '{type}' answers neither location nor AS number; not used";
            return null;
        }
        if (kind == MmdbKind.CountryCode) return new MmdbDatabase(path, kind.Value, type, built, citation, userSupplied, null, raw);
        raw.Dispose();
        return new MmdbDatabase(path, kind.Value, type, built, citation, userSupplied, new DatabaseReader(path, FileAccessMode.MemoryMapped), null);
    }

    public GeoAnswer? Geo(IPAddress address)
    {
        switch (Kind)
        {
            case MmdbKind.City when _maxmind!.TryCity(address, out var city) && city is not null:
                return Answer(city.Country.IsoCode, city.City.Name, city.Location.Latitude, city.Location.Longitude, city.Location.AccuracyRadius);
            case MmdbKind.Country when _maxmind!.TryCountry(address, out var country) && country is not null:
                return Answer(country.Country.IsoCode, null, null, null, null);
            case MmdbKind.CountryCode:
                var record = _raw!.Find<Dictionary<string, object>>(address);
                return record is not null && record.TryGetValue("country_code", out var code) && code is string s ? Answer(s, null, null, null, null) : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// A record without a country is no answer, so the next database in order (a Country database) is asked.
    /// Such a record knows at most the continent, and its coordinates are then the continent's centre point
    /// (MaxMind's GeoIP2-City for 2a02:d500::/29: Europe, 48.69 N 9.14 E, 100 km): publishing them would place
    /// the server in a town it has nothing to do with.
    /// </summary>
    private static GeoAnswer? Answer(string? country, string? city, double? lat, double? lon, int? accuracy) =>
        country is null ? null : new GeoAnswer(country, city, lat, lon, accuracy);

    public AsnAnswer? Asn(IPAddress address)
    {
        switch (Kind)
        {
            case MmdbKind.Asn when _maxmind!.TryAsn(address, out var asn) && asn?.AutonomousSystemNumber is { } number:
                return new AsnAnswer(checked((uint)number), asn.AutonomousSystemOrganization);
            case MmdbKind.Isp when _maxmind!.TryIsp(address, out var isp) && isp?.AutonomousSystemNumber is { } number:
                return new AsnAnswer(checked((uint)number), isp.AutonomousSystemOrganization ?? isp.Isp);
            default:
                return null;
        }
    }

    public void Dispose()
    {
        _maxmind?.Dispose();
        _raw?.Dispose();
    }
}
