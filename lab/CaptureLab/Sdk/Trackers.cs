using System.Text;
using CaptureLab.Wire;

namespace CaptureLab.Sdk;

/// <summary>
/// Requests of non-Facebook SDKs, so the corpus is not Facebook-only. They are shaped like the real SDKs'
/// requests (host, path, the identifiers they are known to carry) but are not byte-exact emulations, and no
/// ground truth is written for them.
/// </summary>
public static class Trackers
{
    private static IReadOnlyList<KeyValuePair<string, string>> Dalvik(AppProfile app) =>
    [
        new("User-Agent", $"Dalvik/2.1.0 (Linux; U; Android {app.Device.OsVersion}; {app.Device.Model} Build/DEMO)"),
        new("Connection", "Keep-Alive"),
        new("Accept-Encoding", "gzip"),
    ];

    /// <summary>Adjust's session call: the advertising ID in a form body; on iOS with the Facebook anon_id too (doc 6).</summary>
    public static LabRequest AdjustSession(AppProfile app, string appToken, string createdAt)
    {
        var d = app.Device;
        var fields = app.Platform == Platform.Android
            ? new List<(string, string)>
            {
                ("app_token", appToken), ("gps_adid", d.AdvertisingId), ("android_id", d.AndroidId), ("package_name", app.BundleId),
                ("app_version", app.Version), ("device_name", d.Model), ("device_type", "phone"), ("os_name", "android"),
                ("os_version", d.OsVersion), ("language", d.Locale.Split('_')[0]), ("country", d.Locale.Split('_')[1]),
                ("created_at", createdAt), ("environment", "production"), ("needs_response_details", "1"),
            }
            : new List<(string, string)>
            {
                ("app_token", appToken), ("idfa", d.AdvertisingId), ("idfv", d.Idfv), ("fb_anon_id", app.AnonId), ("bundle_id", app.BundleId),
                ("app_version", app.Version), ("device_name", d.Model), ("device_type", "iPhone"), ("os_name", "ios"),
                ("os_version", d.OsVersion), ("language", d.Locale.Split('_')[0]), ("country", d.Locale.Split('_')[1]),
                ("created_at", createdAt), ("environment", "production"), ("needs_response_details", "1"),
            };
        var body = string.Join('&', fields.Select(f => $"{Uri.EscapeDataString(f.Item1)}={Uri.EscapeDataString(f.Item2)}"));
        IReadOnlyList<KeyValuePair<string, string>> headers = app.Platform == Platform.Android
            ? [.. Dalvik(app), new("Client-SDK", "android4.38.3")]
            : [new("User-Agent", $"{app.AppName}/{app.Build} CFNetwork/1494.0.7 Darwin/23.4.0"), new("Client-SDK", "ios4.38.2"), new("Accept", "*/*")];
        return new LabRequest(app.Platform, "POST", "https://app.adjust.com/session", [], new RawBody(Encoding.UTF8.GetBytes(body), "application/x-www-form-urlencoded"),
            headers, false, false, "Adjust session");
    }

    /// <summary>Firebase Analytics (Google) fetching its configuration from app-measurement.com.</summary>
    public static LabRequest FirebaseConfig(AppProfile app, string googleAppId, string appInstanceId, string gmpVersion)
    {
        var platform = app.Platform == Platform.Android ? "android" : "ios";
        List<Param> query =
        [
            Param.ThirdParty("app_instance_id", appInstanceId),
            Param.ThirdParty("platform", platform),
            Param.ThirdParty("gmp_version", gmpVersion),
        ];
        return new LabRequest(app.Platform, "GET", $"https://app-measurement.com/config/app/{Uri.EscapeDataString(googleAppId)}", query, null,
            Dalvik(app), false, false, "Firebase Analytics configuration");
    }

    /// <summary>The demonstration app's own consent service (a fictional host under the reserved .example TLD).</summary>
    public static LabRequest OwnConsentService(AppProfile app, string host, string method, string path, string? json)
    {
        IReadOnlyList<KeyValuePair<string, string>> headers =
        [
            new("User-Agent", $"{app.AppName}/{app.Build} CFNetwork/1494.0.7 Darwin/23.4.0"),
            new("Accept", "application/json"),
            new("Accept-Language", app.Device.IosAcceptLanguage),
        ];
        var body = json is null ? null : new RawBody(Encoding.UTF8.GetBytes(json), "application/json");
        return new LabRequest(app.Platform, method, $"https://{host}{path}", [], body, headers, false, false, "the app's own consent service");
    }
}
