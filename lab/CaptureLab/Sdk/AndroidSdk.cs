using System.Security.Cryptography;
using System.Text;
using CaptureLab.Wire;

namespace CaptureLab.Sdk;

/// <summary>
/// The requests facebook-core (Android) sends, per wire-format doc sections 1.2, 2 (#21, #22, #24, #25, #27), 3
/// and 4. Parameter order follows the real SDK 17.0.0 capture in the shared QuizDuel HAR.
/// </summary>
public sealed class AndroidSdk(AppProfile app, bool limitAdTracking = false)
{
    private readonly AppProfile _app = app;

    /// <summary>Set when the app turns advertiser-ID collection off (Settings.setAdvertiserIDCollectionEnabled(false)).</summary>
    public bool AdvertiserIdCollection { get; set; } = true;

    private string Url(string path) => $"https://graph.facebook.com/{_app.GraphVersion}/{path}";

    private IReadOnlyList<KeyValuePair<string, string>> Headers =>
    [
        new("User-Agent", $"FBAndroidSDK.{_app.ReportedSdkVersion}"),
        new("Accept-Language", _app.Device.Locale),
        new("Connection", "Keep-Alive"),
        new("Accept-Encoding", "gzip"),
    ];

    private Param Token => Param.Of("access_token", _app.ClientAccessToken, S.AccessToken);
    private static Param Format => Param.Of("format", "json", S.TransportFormat);
    private static Param Sdk => Param.Of("sdk", "android", S.SdkPlatform);

    /// <summary>Since SDK 13 app-node requests use the literal path "app" (doc #24, #25).</summary>
    private string AppNode => _app.SdkMajor >= 13 ? "app" : _app.FacebookAppId;

    private LabRequest Get(string path, IReadOnlyList<Param> query, string note) =>
        new(Platform.Android, "GET", Url(path), query, null, Headers, false, true, note);

    /// <summary>POST bodies are gzip form, sent with chunked transfer encoding (doc 1.2).</summary>
    private LabRequest Post(string path, IReadOnlyList<Param> body, string note) =>
        new(Platform.Android, "POST", Url(path), [], new AndroidFormBody(body), Headers, true, true, note);

    private const string SettingsFields5 =
        "supports_implicit_sdk_logging,gdpv4_nux_content,gdpv4_nux_enabled,android_dialog_configs,android_sdk_error_categories,app_events_session_timeout,app_events_feature_bitmask,auto_event_mapping_android,seamless_login,smart_login_bookmark_icon_url,smart_login_menu_icon_url,restrictive_data_filter_params,aam_rules,suggested_events_setting";

    /// <summary>#24: app settings. SDK 5 asked for {app} without a token and a shorter field list.</summary>
    public LabRequest AppSettings()
    {
        if (_app.SdkMajor < 13)
            return Get(AppNode, [Param.Of("fields", SettingsFields5, S.RequestFields), Format, Sdk], "app settings");
        var fields = SettingsFields5 + $",protected_mode_rules,auto_log_app_events_default,auto_log_app_events_enabled,app_events_config.os_version({_app.Device.OsVersion})";
        return Get(AppNode, [Token, Param.Of("fields", fields, S.RequestFields), Format, Sdk], "app settings");
    }

    /// <summary>#25: gatekeepers, with the client token.</summary>
    public LabRequest GateKeepers() =>
        Get($"{AppNode}/mobile_sdk_gk",
            [Token, Param.Of("fields", "gatekeepers", S.RequestFields), Format, Param.Of("sdk_version", _app.ReportedSdkVersion, S.SdkVersion), Sdk, Param.Of("platform", "android", S.SdkPlatform)],
            "gatekeepers");

    /// <summary>#27: the codeless-setup check carries the advertising ID in the URL query.</summary>
    public LabRequest CodelessCheck() =>
        Get(AppNode,
            [Token, Param.Of("advertiser_id", _app.Device.AdvertisingId, S.AdvertisingId), Param.Of("fields", "auto_event_setup_enabled", S.RequestFields), Format, Sdk],
            "codeless setup check");

    private List<Param> ActivityParams(string activity, IReadOnlyList<AppEvent>? events, IReadOnlyDictionary<string, string>? userData)
    {
        var ps = new List<Param> { Token, Format, Sdk };
        if (events is not null) ps.Add(new Param("custom_events", new JsonArray(events.Select(Event).ToList())));
        ps.Add(Param.Of("event", activity, S.ActivityKind));
        ps.Add(Param.Of("anon_id", _app.AnonId, S.AnonId));
        ps.Add(Param.Of("application_tracking_enabled", true, S.ApplicationTracking));
        // advertiser_id_collection_enabled exists since 6.4.0 (doc 3).
        if (_app.Sdk >= new Version(6, 4)) ps.Add(Param.Of("advertiser_id_collection_enabled", AdvertiserIdCollection, S.AdvertiserIdCollection));
        // The advertising ID only when collection is allowed; the tracking flag only together with it (doc 3).
        if (AdvertiserIdCollection)
        {
            ps.Add(Param.Of("advertiser_id", _app.Device.AdvertisingId, S.AdvertisingId));
            ps.Add(Param.Of("advertiser_tracking_enabled", !limitAdTracking, S.AdvertiserTracking));
        }
        // ud only when not limited and not empty (doc 3).
        if (userData is { Count: > 0 } && !limitAdTracking)
            ps.Add(new Param("ud", new JsonObject(userData.Select(kv => new KeyValuePair<string, Node>(kv.Key, new Leaf(kv.Value, S.EmailSha256))).ToList())));
        ps.Add(new Param("extinfo", ExtInfo()));
        ps.Add(Param.Of("application_package_name", _app.BundleId, S.AppId));
        ps.Add(Param.Of("installer_package", "com.android.vending", S.Installer));
        return ps;
    }

    /// <summary>The 16-slot a2 array (doc 4): versionCode and sizes are numbers; storage is real on every SDK.</summary>
    public JsonArray ExtInfo()
    {
        var d = _app.Device;
        return new JsonArray(
        [
            new Leaf("a2", S.ExtInfoVersion),
            new Leaf(_app.BundleId, S.AppId),
            new Leaf(long.Parse(_app.Build, System.Globalization.CultureInfo.InvariantCulture), S.AppBuild),
            new Leaf(_app.Version, S.AppVersion),
            new Leaf(d.OsVersion, S.OsVersion),
            new Leaf(d.Model, S.DeviceModel),
            new Leaf(d.Locale, S.Locale),
            new Leaf(d.TimeZoneAbbreviation, S.TimeZoneAbbreviation),
            new Leaf(d.Carrier, S.Carrier),
            new Leaf((long)d.ScreenWidth, S.ScreenWidth),
            new Leaf((long)d.ScreenHeight, S.ScreenHeight),
            new Leaf(d.ScreenDensity, S.ScreenDensity),
            new Leaf((long)d.CpuCores, S.CpuCores),
            new Leaf((long)d.DiskTotalGb, S.DiskTotal),
            new Leaf((long)d.DiskFreeGb, S.DiskFree),
            new Leaf(d.TimeZone, S.TimeZoneName),
        ]);
    }

    /// <summary>#21: MOBILE_APP_INSTALL on first initialisation, with the Play install referrer.</summary>
    public LabRequest Install(string installReferrer)
    {
        var ps = ActivityParams("MOBILE_APP_INSTALL", null, null);
        ps.Add(Param.Of("install_referrer", installReferrer, S.InstallReferrer));
        return Post($"{_app.FacebookAppId}/activities", ps, "install ping");
    }

    /// <summary>#22: one flush; Android never batches app events (doc 1.3).</summary>
    public LabRequest Flush(IReadOnlyList<AppEvent> events, IReadOnlyDictionary<string, string>? userData = null, string note = "app events flush") =>
        Post($"{_app.FacebookAppId}/activities", ActivityParams("CUSTOM_APP_EVENTS", events, userData), note);

    /// <summary>
    /// An Android event object: every parameter value is a string, _eventName_md5 until SDK 18.0.0 (doc 3.1).
    /// </summary>
    private Node Event(AppEvent e)
    {
        var m = new List<KeyValuePair<string, Node>> { new("_eventName", new Leaf(e.Name, S.EventName)) };
        if (_app.SdkMajor < 18) m.Add(new("_eventName_md5", new Leaf(Md5Hex(e.Name), S.EventNameMd5)));
        m.Add(new("_logTime", new Leaf(e.LogTime, S.EventTime)));
        m.Add(new("_ui", new Leaf(e.Ui, S.EventScreen)));
        if (e.SessionId is { } sid) m.Add(new("_session_id", new Leaf(sid, S.SessionId)));
        m.AddRange(e.Params.Select(p => new KeyValuePair<string, Node>(p.Key, new Leaf(p.Value is string s ? s : JsonText.Number(p.Value), p.Semantic))));
        if (e.ValueToSum is { } v) m.Add(new("_valueToSum", new Leaf(v, S.EventValue)));
        if (e.InBackground) m.Add(new("_inBackground", new Leaf("1", S.EventInBackground)));
        if (e.ImplicitlyLogged) m.Add(new("_implicitlyLogged", new Leaf("1", S.EventImplicit)));
        return new JsonObject(m);
    }

    private static string Md5Hex(string s) => Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes(s)));
}
