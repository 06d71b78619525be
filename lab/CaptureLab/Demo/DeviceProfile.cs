using CsvHelper;

namespace CaptureLab.Demo;

/// <summary>A test device's known values, one row of data/raw/devices.csv.</summary>
public sealed record DeviceProfile(
    string DeviceId,
    string Platform,
    string AdvertisingId,
    string Idfv,
    string AndroidId,
    string Model,
    string OsVersion,
    string Carrier,
    string Locale,
    string TimeZone,
    string TimeZoneAbbreviation,
    string Email,
    string Phone,
    int ScreenWidth,
    int ScreenHeight,
    string ScreenDensity,
    int CpuCores,
    int DiskTotalGb,
    int DiskFreeGb)
{
    public static IReadOnlyDictionary<string, DeviceProfile> Load(string path)
    {
        var devices = new Dictionary<string, DeviceProfile>(StringComparer.Ordinal);
        using var reader = CsvReader.Create(File.OpenRead(path), new CsvReaderOptions { TrimWhitespace = true });
        while (reader.Read())
        {
            string S(string column) => reader.GetStringOrNull(column) ?? "";
            int I(string column) => int.Parse(S(column), System.Globalization.CultureInfo.InvariantCulture);
            var device = new DeviceProfile(S("device_id"), S("platform"), S("advertising_id"), S("idfv"), S("android_id"),
                S("model"), S("os_version"), S("carrier"), S("locale"), S("time_zone"), S("time_zone_abbreviation"),
                S("email"), S("phone"), I("screen_width"), I("screen_height"), S("screen_density"), I("cpu_cores"),
                I("disk_total_gb"), I("disk_free_gb"));
            devices.Add(device.DeviceId, device);
        }
        return devices;
    }

    /// <summary>The Accept-Language NSURLSession sends for the device locale (en_US -> "en-US,en;q=0.9").</summary>
    public string IosAcceptLanguage => $"{Locale.Replace('_', '-')},{Locale.Split('_')[0]};q=0.9";
}
