using CaptureLab.Wire;

namespace CaptureLab.Sdk;

/// <summary>
/// The requests FBSDKCoreKit sends, per wire-format doc sections 1.1, 1.3, 2 (#1, #2, #5-#7, #10, #18), 3 and 4.
/// Differences between SDK eras are decided here from the version, each with the doc's reason.
/// </summary>
public sealed class IosSdk(AppProfile app, bool trackingAuthorized)
{
    private readonly AppProfile _app = app;
    private DemoDevice Device => new(_app.Device);

    /// <summary>Domain handling (ep1/ep2) is always on from SDK 17.0.0 on iOS 17+ (doc 1.1).</summary>
    public bool DomainHandling => _app.SdkMajor >= 17 && Device.OsMajor >= 17;

    private string Host(bool appEvents) =>
        !DomainHandling ? "graph.facebook.com"
        : appEvents ? (trackingAuthorized ? "ep1.facebook.com" : "ep2.facebook.com")
        : "ep2.facebook.com";

    private IReadOnlyList<KeyValuePair<string, string>> Headers =>
    [
        new("User-Agent", $"FBiOSSDK.{_app.SdkVersion}"),
        new("Accept", "*/*"),
        new("Accept-Language", _app.Device.IosAcceptLanguage),
        new("Accept-Encoding", "gzip, deflate, br"),
    ];

    /// <summary>format, sdk, include_headers on every request; access_token unless the request skips the client token (doc 1.1).</summary>
    private IEnumerable<Param> Common(bool clientToken)
    {
        yield return Param.Of("format", "json", S.TransportFormat);
        yield return Param.Of("include_headers", "false", S.IncludeHeaders);
        yield return Param.Of("sdk", "ios", S.SdkPlatform);
        if (clientToken) yield return Param.Of("access_token", _app.ClientAccessToken, S.AccessToken);
    }

    private LabRequest Get(string path, IEnumerable<Param> query, bool clientToken, string note) =>
        new(Platform.Ios, "GET", $"https://{Host(false)}/{_app.GraphVersion}/{path}", [.. query, .. Common(clientToken)], null, Headers, false, true, note);

    private LabRequest Post(string path, IEnumerable<Param> body, bool clientToken, bool appEvents, string note) =>
        new(Platform.Ios, "POST", $"https://{Host(appEvents)}/{_app.GraphVersion}/{path}", [], new IosJsonBody([.. body, .. Common(clientToken)]), Headers, false, true, note);

    /// <summary>#18: the domain configuration, always fetched via ep2 and without a token.</summary>
    public LabRequest ServerDomainInfos() =>
        Get($"{_app.FacebookAppId}/server_domain_infos", [Param.Of("fields", "", S.RequestFields)], clientToken: false, "domain configuration (SDK >= 17)");

    private const string SettingsFields =
        "app_events_feature_bitmask,name,default_share_mode,ios_dialog_configs,ios_sdk_dialog_flows.os_version({0}),ios_sdk_error_categories,supports_implicit_sdk_logging,gdpv4_nux_enabled,gdpv4_nux_content,app_events_session_timeout,logging_token,restrictive_data_filter_params,aam_rules,suggested_events_setting,protected_mode_rules,auto_log_app_events_default,auto_log_app_events_enabled,auto_event_mapping_ios";

    private IEnumerable<Param> SettingsQuery() =>
    [
        Param.Of("fields", string.Format(System.Globalization.CultureInfo.InvariantCulture, SettingsFields, _app.Device.OsVersion), S.RequestFields),
        Param.Of("os_version", _app.Device.OsVersion, S.OsVersion),
    ];

    /// <summary>#5: the server configuration (SkipClientToken: no token).</summary>
    public LabRequest AppSettings() => Get(_app.FacebookAppId, SettingsQuery(), clientToken: false, "server configuration");

    /// <summary>#6: gatekeepers; SDK 5 sent no os_version.</summary>
    public LabRequest GateKeepers()
    {
        List<Param> query =
        [
            Param.Of("platform", "ios", S.SdkPlatform),
            Param.Of("sdk_version", _app.SdkVersion, S.SdkVersion),
            Param.Of("fields", "gatekeepers", S.RequestFields),
        ];
        if (_app.SdkMajor >= 8) query.Add(Param.Of("os_version", _app.Device.OsVersion, S.OsVersion));
        return Get($"{_app.FacebookAppId}/mobile_sdk_gk", query, clientToken: false, "gatekeepers");
    }

    /// <summary>#7: app-events configuration (SDK >= 8), with the client token.</summary>
    public LabRequest AppEventsConfig() =>
        Get(_app.FacebookAppId, [Param.Of("fields", $"app_events_config.os_version({Device.OsMajorMinor})", S.RequestFields)], clientToken: true, "app-events configuration");

    /// <summary>#10: the codeless-setup check carries the IDFA in the URL query.</summary>
    public LabRequest CodelessCheck() =>
        Get(_app.FacebookAppId,
            [Param.Of("fields", "auto_event_setup_enabled", S.RequestFields), Param.Of("advertiser_id", _app.Device.AdvertisingId, S.AdvertisingId)],
            clientToken: false, "codeless setup check");

    /// <summary>
    /// The activity parameters of doc section 3 in one fixed order (NSDictionary order is not defined; any order
    /// is what the SDK may send).
    /// </summary>
    private List<Param> ActivityParams(string activity, IReadOnlyDictionary<string, string>? userData)
    {
        var ps = new List<Param> { Param.Of("event", activity, S.ActivityKind) };
        if (trackingAuthorized) ps.Add(Param.Of("advertiser_id", _app.Device.AdvertisingId, S.AdvertisingId));
        // SDK 5 read the LAT flag and always sent it; later SDKs send the ATT status when it is known (doc 3).
        ps.Add(Param.Of("advertiser_tracking_enabled", trackingAuthorized, S.AdvertiserTracking));
        ps.Add(Param.Of("anon_id", _app.AnonId, S.AnonId));
        ps.Add(Param.Of("application_tracking_enabled", true, S.ApplicationTracking));
        if (_app.Sdk >= new Version(7, 0, 1)) ps.Add(Param.Of("advertiser_id_collection_enabled", true, S.AdvertiserIdCollection));
        // ud: always sent from 12.2 ("{}" when empty); SDK 5 sent it only when there was user data and tracking was allowed.
        var ud = UserData(userData);
        if (ud.Members.Count > 0 && (_app.Sdk >= new Version(12, 2) || trackingAuthorized)) ps.Add(new Param("ud", ud));
        // The empty ud is the text "{}" on the wire: a placeholder, no user data is sent.
        else if (_app.Sdk >= new Version(12, 2)) ps.Add(new Param("ud", new Leaf("{}", S.UserData, NotSent: true)));
        ps.Add(new Param("extinfo", ExtInfo()));
        ps.Add(new Param("url_schemes", new JsonArray(_app.UrlSchemes.Select(u => (Node)new Leaf(u, S.UrlSchemes)).ToList())));
        return ps;
    }

    private static JsonObject UserData(IReadOnlyDictionary<string, string>? userData) =>
        new((userData ?? new Dictionary<string, string>()).Select(kv => new KeyValuePair<string, Node>(kv.Key, new Leaf(kv.Value, S.EmailSha256))).ToList());

    /// <summary>The 16-slot i2 array (doc 4); SDK 17.0.0 replaced both disk sizes by -1.</summary>
    public JsonArray ExtInfo()
    {
        var d = _app.Device;
        var diskGone = _app.SdkMajor >= 17;
        return new JsonArray(
        [
            new Leaf("i2", S.ExtInfoVersion),
            new Leaf(_app.BundleId, S.AppId),
            new Leaf(_app.Build, S.AppBuild),
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
            diskGone ? new Leaf(-1L, S.DiskTotal, NotSent: true) : new Leaf((long)d.DiskTotalGb, S.DiskTotal),
            diskGone ? new Leaf(-1L, S.DiskFree, NotSent: true) : new Leaf((long)d.DiskFreeGb, S.DiskFree),
            new Leaf(d.TimeZone, S.TimeZoneName),
        ]);
    }

    /// <summary>#1: MOBILE_APP_INSTALL on the first activation; install_timestamp from iOS 14 on.</summary>
    public LabRequest Install(long installTime)
    {
        var ps = ActivityParams("MOBILE_APP_INSTALL", null);
        if (Device.OsMajor >= 14) ps.Add(Param.Of("install_timestamp", installTime, S.InstallTime));
        return Post($"{_app.FacebookAppId}/activities", ps, clientToken: true, appEvents: true, "install ping");
    }

    /// <summary>#2: a flush of the event queue.</summary>
    public LabRequest Flush(IReadOnlyList<AppEvent> events, IReadOnlyDictionary<string, string>? userData = null, string note = "app events flush") =>
        Post($"{_app.FacebookAppId}/activities", FlushParams(events, userData), clientToken: true, appEvents: true, note);

    private List<Param> FlushParams(IReadOnlyList<AppEvent> events, IReadOnlyDictionary<string, string>? userData)
    {
        var ps = ActivityParams("CUSTOM_APP_EVENTS", userData);
        ps.Add(new Param("custom_events", new JsonArray(events.Select(Event).ToList())));
        return ps;
    }

    /// <summary>An iOS event dictionary: numbers stay numbers, flags are "1" (doc 3.1).</summary>
    private static Node Event(AppEvent e)
    {
        var m = new List<KeyValuePair<string, Node>>
        {
            new("_eventName", new Leaf(e.Name, S.EventName)),
            new("_logTime", new Leaf(e.LogTime, S.EventTime)),
        };
        m.AddRange(e.Params.Select(p => new KeyValuePair<string, Node>(p.Key, new Leaf(p.Value, p.Semantic))));
        if (e.ValueToSum is { } v) m.Add(new("_valueToSum", new Leaf(v, S.EventValue)));
        m.Add(new("_ui", new Leaf(e.Ui, S.EventScreen)));
        if (e.SessionId is { } sid) m.Add(new("_session_id", new Leaf(sid, S.SessionId)));
        if (e.ImplicitlyLogged) m.Add(new("_implicitlyLogged", new Leaf("1", S.EventImplicit)));
        if (e.InBackground) m.Add(new("_inBackground", new Leaf("1", S.EventInBackground)));
        return new JsonObject(m);
    }

    /// <summary>
    /// A piggybacked batch (doc 1.3): the flush plus the stale server-configuration GET. Every item carries its own
    /// parameters in relative_url; there is no top-level access_token because only the client token is in use.
    /// </summary>
    public LabRequest FlushWithPiggybackedSettings(IReadOnlyList<AppEvent> events)
    {
        var items = new BatchItems(
        [
            new BatchItem("POST", $"{_app.FacebookAppId}/activities", [.. FlushParams(events, null), .. Common(clientToken: true)]),
            new BatchItem("GET", _app.FacebookAppId, [.. SettingsQuery(), .. Common(clientToken: false)]),
        ]);
        List<Param> body = [Param.Of("batch_app_id", _app.FacebookAppId, S.FacebookAppId), new Param("batch", items)];
        return new LabRequest(Platform.Ios, "POST", $"https://{Host(false)}/{_app.GraphVersion}", [], new IosJsonBody(body), Headers, false, true,
            "batch: app events flush with the server configuration piggybacked");
    }
}

/// <summary>Version arithmetic on a device's OS version string.</summary>
public readonly record struct DemoDevice(Demo.DeviceProfile Profile)
{
    public int OsMajor => int.Parse(Profile.OsVersion.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);

    public string OsMajorMinor => string.Join('.', Profile.OsVersion.Split('.').Take(2));
}
