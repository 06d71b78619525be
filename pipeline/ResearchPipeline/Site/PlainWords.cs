using System.Text.RegularExpressions;

namespace ResearchPipeline.Site;

/// <summary>
/// The words a reader who does not know the SDKs needs: what each semantic field, identity and transform means.
/// A semantic without an entry is shown by its name, so a new semantic in the dictionary shows up as it is
/// rather than disappearing.
/// </summary>
public static partial class PlainWords
{
    private static readonly Dictionary<string, string> Semantics = new(StringComparer.Ordinal)
    {
        ["app.apk_md5"] = "Fingerprint (MD5) of the app's installation file",
        ["app.build"] = "App build number",
        ["app.facebook_app_id"] = "The app's Facebook app ID",
        ["app.id"] = "App identifier (bundle or package name)",
        ["app.install_referrer"] = "Where the app was installed from (install referrer)",
        ["app.install_time"] = "When the app was installed",
        ["app.installer"] = "Which store installed the app",
        ["app.signing_cert_sha1"] = "Fingerprint of the app's signing certificate",
        ["app.url_schemes"] = "The app's URL schemes",
        ["app.version"] = "App version",
        ["auth.access_token"] = "Access token (secret, removed before publication)",
        ["batch.item_method"] = "Method of a request inside a batch",
        ["batch.item_path"] = "Path of a request inside a batch",
        ["carrier"] = "Mobile carrier",
        ["consent.advertiser_id_collection_enabled"] = "Whether the app lets the SDK collect the advertising ID",
        ["consent.advertiser_tracking_enabled"] = "Whether ad tracking is allowed on the device",
        ["consent.application_tracking_enabled"] = "Whether the app allows its events to be used",
        ["device.advertising_id"] = "Advertising ID (IDFA or Google advertising ID)",
        ["device.cpu_cores"] = "Number of processor cores",
        ["device.model"] = "Device model",
        ["disk.free_gb"] = "Free disk space",
        ["disk.total_gb"] = "Total disk size",
        ["event.activity_kind"] = "Kind of report (install, app events...)",
        ["event.app_interruptions"] = "How often the app was interrupted",
        ["event.implicitly_logged"] = "Whether the SDK logged the event by itself",
        ["event.in_background"] = "Whether the app was in the background",
        ["event.launch_source"] = "How the app was opened",
        ["event.name"] = "Name of an app event",
        ["event.name_md5"] = "Hash of an app event's name",
        ["event.parameter"] = "Parameter of an app event",
        ["event.screen"] = "Screen the user was on",
        ["event.session_id"] = "Session identifier",
        ["event.time"] = "Time of an app event",
        ["event.time_between_sessions"] = "Time between sessions",
        ["event.value"] = "Value of an app event (price, seconds)",
        ["extinfo.version"] = "Version of the device-information block",
        ["install.anon_id"] = "Anonymous installation ID kept by the SDK",
        ["locale"] = "Language and region setting",
        ["locale.accept_language"] = "Preferred languages (Accept-Language)",
        ["os.version"] = "Operating system version",
        ["purchase.content_id"] = "What was bought",
        ["purchase.currency"] = "Currency of a purchase",
        ["request.fields"] = "Settings the SDK asked for",
        ["screen.density"] = "Screen density",
        ["screen.height"] = "Screen height",
        ["screen.width"] = "Screen width",
        ["sdk.kit_included"] = "Which SDK parts are built into the app",
        ["sdk.platform"] = "SDK platform (iOS, Android)",
        ["sdk.user_agent"] = "SDK name and version in the User-Agent",
        ["sdk.version"] = "SDK version",
        ["timezone.abbreviation"] = "Time zone abbreviation",
        ["timezone.name"] = "Time zone",
        ["transport.content_encoding"] = "Compression of the request",
        ["transport.content_type"] = "Format of the request body",
        ["transport.format"] = "Response format asked for",
        ["transport.include_headers"] = "Whether response headers are asked for",
        ["user_data.email_sha256"] = "E-mail address, hashed (SHA-256)",
    };

    private static readonly Dictionary<string, string> Identities = new(StringComparer.Ordinal)
    {
        ["advertising_id"] = "Advertising ID",
        ["idfv"] = "Vendor ID (IDFV)",
        ["android_id"] = "Android ID",
        ["model"] = "Device model",
        ["os_version"] = "Operating system version",
        ["carrier"] = "Mobile carrier",
        ["locale"] = "Language and region",
        ["time_zone"] = "Time zone",
        ["email"] = "E-mail address",
        ["phone"] = "Phone number",
        ["latitude"] = "Latitude",
        ["longitude"] = "Longitude",
    };

    private static readonly Dictionary<string, string> Transforms = new(StringComparer.Ordinal)
    {
        ["plain"] = "as is",
        ["upper"] = "in upper case",
        ["lower"] = "in lower case",
        ["mixed_case"] = "in mixed case",
        ["no_dashes"] = "without dashes",
        ["digits"] = "digits only",
        ["hyphen"] = "with a hyphen for the underscore",
        ["url"] = "URL-encoded",
        ["json_escaped"] = "escaped inside JSON",
        ["base64"] = "Base64-encoded",
        ["base64url"] = "Base64url-encoded",
        ["md5"] = "hashed with MD5",
        ["sha1"] = "hashed with SHA-1",
        ["sha256"] = "hashed with SHA-256",
        ["md5_base64"] = "hashed with MD5, Base64",
        ["sha1_base64"] = "hashed with SHA-1, Base64",
        ["sha256_base64"] = "hashed with SHA-256, Base64",
        ["gzip"] = "inside a gzip-compressed body",
        ["deflate"] = "inside a deflate-compressed body",
        ["br"] = "inside a Brotli-compressed body",
        ["zstd"] = "inside a zstd-compressed body",
    };

    public static string Semantic(string semantic) => Semantics.GetValueOrDefault(semantic) ?? semantic;

    public static string Identity(string identity) => Identities.GetValueOrDefault(identity) ?? identity;

    /// <summary>"gzip>sha256" -> "inside a gzip-compressed body, hashed with SHA-256".</summary>
    public static string Transform(string transform) =>
        transform.Length == 0 ? "not recorded"
        : string.Join(", ", transform.Split('>').Select(step => Transforms.GetValueOrDefault(step) ?? step));
}
