using System.Collections.Immutable;

namespace ResearchPipeline.Identity;

/// <summary>
/// The kinds of known value a test device has, as devices.csv names its columns. Whether a kind identifies a
/// person (and so is pseudonymised and must never be published) or only describes the device class (and is
/// published as it is, being what the study measures) is written down here once.
/// </summary>
public static class IdentityKinds
{
    public const string AdvertisingId = "advertising_id";
    public const string Idfv = "idfv";
    public const string AndroidId = "android_id";
    public const string Model = "model";
    public const string OsVersion = "os_version";
    public const string Carrier = "carrier";
    public const string Locale = "locale";
    public const string TimeZone = "time_zone";
    public const string Email = "email";
    public const string Phone = "phone";
    public const string Latitude = "latitude";
    public const string Longitude = "longitude";

    /// <summary>Every column of devices.csv after device_id, in the order they are searched and published.</summary>
    public static readonly ImmutableArray<string> All =
        [AdvertisingId, Idfv, AndroidId, Model, OsVersion, Carrier, Locale, TimeZone, Email, Phone, Latitude, Longitude];

    /// <summary>
    /// Kinds that single out a device or a person: they are pseudonymised wherever they are published and the
    /// publication check fails a run that leaks one. Model, OS version, carrier, locale and time zone are shared
    /// by many devices; they stay readable because which of them an app sends is the finding.
    /// </summary>
    public static readonly ImmutableHashSet<string> Identifying =
        [AdvertisingId, Idfv, AndroidId, Email, Phone, Latitude, Longitude];

    public static bool IsIdentifying(string kind) => Identifying.Contains(kind);
}

/// <summary>One value a test device is known to have (its advertising ID, the test account's e-mail...).</summary>
public sealed record KnownValue(string Kind, string Value)
{
    /// <summary>
    /// The form hashes are taken of, as trackers normalise before hashing (Meta's advanced matching: e-mail
    /// trimmed and lower-cased, phone digits only); identifiers are lower-cased as the Android SDKs send them.
    /// </summary>
    public string Normalised => Kind switch
    {
        IdentityKinds.Email => Value.Trim().ToLowerInvariant(),
        IdentityKinds.Phone => new string(Value.Where(char.IsAsciiDigit).ToArray()),
        IdentityKinds.AdvertisingId or IdentityKinds.Idfv or IdentityKinds.AndroidId => Value.Trim().ToLowerInvariant(),
        _ => Value.Trim(),
    };
}

/// <summary>A test device and the values it is known to have (one row of devices.csv).</summary>
public sealed record DeviceProfile(string DeviceId, ImmutableArray<KnownValue> Values);
