namespace CaptureLab.Sdk;

/// <summary>
/// The ground truth's names for what a field means. They are the published vocabulary, the semantic names of
/// pipeline/ResearchPipeline/Decoders/Facebook/semantics.csv, which cites the SDK source of each; the lab only
/// borrows the names: which field gets which name is decided here, from what the lab's script sends, never by
/// running the decoder. data/raw/README.md lists them with the keys that carry them.
/// </summary>
public static class S
{
    // extinfo slots (wire-format doc 4)
    public const string ExtInfoVersion = "extinfo.version";
    public const string AppId = "app.id";
    public const string AppBuild = "app.build";
    public const string AppVersion = "app.version";
    public const string OsVersion = "os.version";
    public const string DeviceModel = "device.model";
    public const string Locale = "locale";
    public const string TimeZoneAbbreviation = "timezone.abbreviation";
    public const string Carrier = "carrier";
    public const string ScreenWidth = "screen.width";
    public const string ScreenHeight = "screen.height";
    public const string ScreenDensity = "screen.density";
    public const string CpuCores = "device.cpu_cores";
    public const string DiskTotal = "disk.total_gb";
    public const string DiskFree = "disk.free_gb";
    public const string TimeZoneName = "timezone.name";

    public const string FacebookAppId = "app.facebook_app_id";
    public const string UrlSchemes = "app.url_schemes";
    public const string Installer = "app.installer";
    public const string InstallReferrer = "app.install_referrer";
    public const string InstallTime = "app.install_time";
    public const string ApkMd5 = "app.apk_md5";
    public const string SigningCertSha1 = "app.signing_cert_sha1";

    public const string AdvertisingId = "device.advertising_id";
    public const string AnonId = "install.anon_id";
    public const string SessionId = "event.session_id";
    public const string UserData = "user_data.hashed";
    public const string EmailSha256 = "user_data.email_sha256";

    public const string AdvertiserTracking = "consent.advertiser_tracking_enabled";
    public const string ApplicationTracking = "consent.application_tracking_enabled";
    public const string AdvertiserIdCollection = "consent.advertiser_id_collection_enabled";

    public const string ActivityKind = "event.activity_kind";
    public const string EventName = "event.name";
    public const string EventNameMd5 = "event.name_md5";
    public const string EventTime = "event.time";
    public const string EventScreen = "event.screen";
    public const string EventValue = "event.value";
    public const string EventImplicit = "event.implicitly_logged";
    public const string EventInBackground = "event.in_background";
    public const string LaunchSource = "event.launch_source";
    public const string AppInterruptions = "event.app_interruptions";
    public const string TimeBetweenSessions = "event.time_between_sessions";
    public const string EventParameter = "event.parameter";
    public const string PurchaseContentId = "purchase.content_id";
    public const string PurchaseCurrency = "purchase.currency";

    public const string KitIncluded = "sdk.kit_included";
    public const string SdkVersion = "sdk.version";
    public const string SdkPlatform = "sdk.platform";
    public const string AccessToken = "auth.access_token";

    // Transport and request shape: sent on every Graph request, about the request rather than user, device or app.
    public const string TransportFormat = "transport.format";
    public const string IncludeHeaders = "transport.include_headers";
    public const string RequestFields = "request.fields";
    public const string BatchItemMethod = "batch.item_method";
    public const string BatchItemPath = "batch.item_path";
}
