namespace CaptureLab.Sdk;

/// <summary>
/// The ground truth's names for what a field means. The extinfo names are those of issue 3; the rest follow the
/// same dotted style. data/raw/README.md lists them with the keys that carry them.
/// </summary>
public static class S
{
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
    public const string UrlScheme = "app.url_scheme";
    public const string Installer = "app.installer";
    public const string InstallReferrer = "app.install_referrer";
    public const string InstallTime = "app.install_time";
    public const string PackageFingerprint = "app.package_fingerprint";
    public const string CertificateHash = "app.certificate_hash";

    public const string AdvertisingId = "identifier.advertising_id";
    public const string AnonId = "identifier.anon_id";
    public const string SessionId = "identifier.session_id";
    public const string EmailSha256 = "user.email_sha256";

    public const string AdvertiserTracking = "consent.advertiser_tracking";
    public const string ApplicationTracking = "consent.application_tracking";
    public const string AdvertiserIdCollection = "consent.advertiser_id_collection";

    public const string ActivityType = "event.activity_type";
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

    public const string LibraryIncluded = "sdk.library_included";
    public const string SdkVersion = "sdk.version";
    public const string AccessToken = "credential.access_token";
}
