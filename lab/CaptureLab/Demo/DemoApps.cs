using System.Net;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using CaptureLab.Sdk;
using CaptureLab.Wire;

namespace CaptureLab.Demo;

/// <summary>One demonstration app: who it is, and the script of one recorded session as the requests it makes.</summary>
public sealed record DemoApp(AppProfile Profile, string Story, Func<AppProfile, IReadOnlyList<LabRequest>> Script)
{
    public IReadOnlyList<LabRequest> Requests() => Script(Profile);

    /// <summary>How the app's HTTP stack talks to the proxy (see <see cref="DemoApps.Stacks"/>).</summary>
    public HttpStack Stack => DemoApps.Stacks.GetValueOrDefault(Profile.Folder, HttpStack.Http11Tls13);
}

/// <summary>
/// The HTTP version an app's requests go out with (exactly that version, negotiated by ALPN) and the TLS versions
/// its client offers, so the corpus holds TLS 1.2 and 1.3, HTTP/1.1 and HTTP/2 sessions.
/// </summary>
public sealed record HttpStack(Version HttpVersion, SslProtocols TlsVersions)
{
    public static readonly HttpStack Http11Tls13 = new(System.Net.HttpVersion.Version11, SslProtocols.Tls13);

    public string Describe() =>
        $"HTTP/{(HttpVersion == System.Net.HttpVersion.Version20 ? "2" : "1.1")} over {(TlsVersions == SslProtocols.Tls12 ? "TLS 1.2" : "TLS 1.3")}";
}

/// <summary>
/// The demonstration corpus: fictional apps (reserved example.org bundle IDs, made-up Facebook app IDs and
/// tokens) whose SDK traffic follows the wire-format doc. Every time in a payload comes from the script, never
/// from the clock, so a re-recording sends the same bytes.
/// </summary>
public static class DemoApps
{
    /// <summary>
    /// NSURLSession (iOS) speaks HTTP/2 wherever the server offers it; the Android SDK's HttpURLConnection speaks
    /// HTTP/1.1 only. The 2020 apps' clients offer TLS 1.2 at most, as clients of their time still often did.
    /// Apps not listed use HTTP/1.1 over TLS 1.3.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, HttpStack> Stacks = new Dictionary<string, HttpStack>(StringComparer.Ordinal)
    {
        ["meetly-ios-2020"] = new(HttpVersion.Version20, SslProtocols.Tls12),
        ["pixelpals-android-2020"] = new(HttpVersion.Version11, SslProtocols.Tls12),
        ["shopcart-ios-2024"] = new(HttpVersion.Version20, SslProtocols.Tls13),
        ["calmnest-ios-2026"] = new(HttpVersion.Version20, SslProtocols.Tls13),
    };

    public static IReadOnlyList<DemoApp> All(IReadOnlyDictionary<string, DeviceProfile> devices) =>
    [
        Meetly(devices["demo-iphone-2020"]),
        PixelPals(devices["demo-pixel-2020"]),
        ShopCart(devices["demo-iphone-2024"]),
        FitLoop(devices["demo-pixel-2024"]),
        Weatherly(devices["demo-pixel-2024"]),
        CalmNest(devices["demo-iphone-2024"]),
    ];

    private static EventParam Lib(string kit, object one) => new($"{kit}_lib_included", one, S.KitIncluded);
    private static EventParam P(string key, object value) => new(key, value, S.EventParameter);
    private static EventParam LaunchSource => new("fb_mobile_launch_source", "Unclassified", S.LaunchSource);

    /// <summary>SHA-256 of the normalised (trimmed, lower-case) e-mail, as the SDKs hash ud.em (doc 3.3).</summary>
    private static Dictionary<string, string> HashedEmail(DeviceProfile device) => new()
    {
        ["em"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(device.Email.Trim().ToLowerInvariant()))),
    };

    /// <summary>
    /// The deactivation of the previous session, logged when the next one starts: seconds spent as value, the
    /// interruption count and the quantised time between sessions (doc 3.1).
    /// </summary>
    private static AppEvent Deactivate(Platform platform, long at, string session, long secondsSpent, long secondsAway, string ui) =>
        new(Events.Deactivate, at, ui,
        [
            new EventParam("fb_mobile_app_interruptions", platform == Platform.Ios ? 0L : "0", S.AppInterruptions),
            new EventParam("fb_mobile_time_between_sessions", Events.SessionQuanta(secondsAway), S.TimeBetweenSessions),
            LaunchSource,
        ], SessionId: session, ValueToSum: secondsSpent);

    /// <summary>
    /// Reconstruction of the 2020 Zoom iOS case: the app links the SDK only for Facebook Login, the user never logs
    /// in, yet every open sends device model, OS version, time zone, carrier, screen, cores, disk and IDFA.
    /// </summary>
    private static DemoApp Meetly(DeviceProfile device)
    {
        var app = new AppProfile("meetly-ios-2020", "Meetly", Platform.Ios, "org.example.meetly", "4.6.20011.0127", "4.6.4",
            "100200300400501", "0f1e2d3c4b5a69788796a5b4c3d2e1f0", "5.15.1", "v5.0", device,
            "XZ6B1D9E4C-2A7F-4C38-9E05-D18A3F6C7B20", ["core", "login"], ["fb100200300400501", "meetly"]);
        return new DemoApp(app, "Zoom 2020 reconstruction: Facebook Login only, full device profile on every open", a =>
        {
            var sdk = new IosSdk(a, trackingAuthorized: true);
            const long t0 = 1582014600; // 2020-02-18 08:30 UTC, first launch
            const long t1 = t0 + 10800; // the second open, three hours later
            const string s1 = "0A6E3F21-9C4B-4D7E-8F12-3B5A7C9D1E24", s2 = "7D2C9B14-5E3A-4F86-A1B0-C6E4D2F8A935";
            return
            [
                sdk.AppSettings(),
                sdk.GateKeepers(),
                sdk.Install(t0),
                sdk.Flush(
                [
                    new AppEvent(Events.SdkInitialize, t0, "no_ui", [Lib("core", 1L), Lib("login", 1L)], ImplicitlyLogged: true),
                    new AppEvent(Events.Activate, t0 + 1, "MTGHomeViewController", [LaunchSource], SessionId: s1, ImplicitlyLogged: true),
                ]),
                sdk.FlushWithPiggybackedSettings(
                [
                    Deactivate(Platform.Ios, t1, s1, 600, t1 - (t0 + 600), "MTGHomeViewController") with { ImplicitlyLogged = true },
                    new AppEvent(Events.Activate, t1, "MTGHomeViewController", [LaunchSource], SessionId: s2, ImplicitlyLogged: true),
                ]),
            ];
        });
    }

    /// <summary>A 2020 Android game (SDK 5.15.3, whose BUILD string says 5.15.2) with Firebase and Adjust beside Facebook.</summary>
    private static DemoApp PixelPals(DeviceProfile device)
    {
        var app = new AppProfile("pixelpals-android-2020", "PixelPals", Platform.Android, "org.example.pixelpals", "312", "3.1.2",
            "100200300400502", "1a2b3c4d5e6f708192a3b4c5d6e7f809", "5.15.3", "v5.0", device,
            "XZ3f8a1c6e-47b2-4d09-a5e3-9c2b7d1f0e68", ["core"], [], SdkBuild: "5.15.2");
        return new DemoApp(app, "2020 Android game: install, activate, a level event, a second session the next day", a =>
        {
            var sdk = new AndroidSdk(a);
            const long t0 = 1583175900; // 2020-03-02 19:05 UTC
            const long t1 = t0 + 90000; // next day
            const string p1 = "5b0e7c2a-9d41-4f3e-8a6b-1c7d9e2f4a05", p2 = "c81f3d6e-2a5b-4c97-b0e4-7f9a1d3c5e82";
            const string ui = "UnityPlayerActivity";
            EventParam[] fingerprint =
            [
                new("fb_mobile_pckg_fp", "6e1f0b9a2c4d8e7f3a5b1c9d0e2f4a6b", S.ApkMd5),
                new("fb_mobile_app_cert_hash", "Zm9yLWRlbW9uc3RyYXRpb24tb25seQ==\n", S.SigningCertSha1),
            ];
            return
            [
                sdk.AppSettings(),
                sdk.GateKeepers(),
                Trackers.FirebaseConfig(a, "1:555000000502:android:0a1b2c3d4e5f6a7b", "d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8", "19629"),
                sdk.Install("utm_source=google-play&utm_medium=organic"),
                sdk.Flush([new AppEvent(Events.Activate, t0 + 2, ui, [LaunchSource, .. fingerprint], SessionId: p1)]),
                Trackers.AdjustSession(a, "pp2020demo01", "2020-03-02T19:05:03.112Z+0000"),
                sdk.Flush([new AppEvent("fb_mobile_level_achieved", t0 + 300, ui, [P("fb_level", "3")], SessionId: p1)]),
                sdk.Flush(
                [
                    Deactivate(Platform.Android, t1, p1, 420, t1 - (t0 + 420), ui),
                    new AppEvent(Events.Activate, t1, ui, [LaunchSource, .. fingerprint], SessionId: p2),
                ]),
            ];
        });
    }

    /// <summary>A 2024 iOS shop (SDK 17.4.0): ep1/ep2 hosts, -1 disks, codeless check, and ud after sign-up.</summary>
    private static DemoApp ShopCart(DeviceProfile device)
    {
        var app = new AppProfile("shopcart-ios-2024", "ShopCart", Platform.Ios, "org.example.shopcart", "2406.1", "24.6",
            "100200300400503", "2b3c4d5e6f708192a3b4c5d6e7f8091a", "17.4.0", "v17.0", device,
            "XZ9C4E2A7B-1D3F-4B85-A6C0-E2F4B8D1A937", ["core", "login", "share"], ["fb100200300400503", "shopcart"]);
        return new DemoApp(app, "2024 iOS shop: tracking authorised, sign-up sends the hashed e-mail, then a purchase", a =>
        {
            var sdk = new IosSdk(a, trackingAuthorized: true);
            const long t0 = 1719216000; // 2024-06-24 08:00 UTC
            const string s1 = "E4B1C7D2-8A3F-4E69-B5C0-1D7F3A9E2B46";
            const string ui = "SCCatalogViewController";
            var email = HashedEmail(a.Device);
            return
            [
                sdk.ServerDomainInfos(),
                sdk.AppSettings(),
                sdk.GateKeepers(),
                sdk.AppEventsConfig(),
                sdk.Install(t0),
                sdk.Flush(
                [
                    new AppEvent(Events.SdkInitialize, t0, "no_ui", [Lib("core", 1L), Lib("login", 1L), Lib("share", 1L)], ImplicitlyLogged: true),
                    new AppEvent(Events.Activate, t0 + 1, ui, [LaunchSource], SessionId: s1, ImplicitlyLogged: true),
                ]),
                sdk.CodelessCheck(),
                Trackers.AdjustSession(a, "sc2024demo03", "2024-06-24T08:00:04.250Z+0200"),
                sdk.Flush([new AppEvent("fb_mobile_complete_registration", t0 + 95, "SCSignUpViewController", [P("fb_registration_method", "email")])], email),
                sdk.Flush(
                [
                    new AppEvent("fb_mobile_add_to_cart", t0 + 180, ui, [new("fb_content_id", "SKU-1042", S.PurchaseContentId), P("fb_content_type", "product"), new("fb_currency", "EUR", S.PurchaseCurrency)], ValueToSum: 24.99),
                    new AppEvent("fb_mobile_purchase", t0 + 240, "SCCheckoutViewController", [new("fb_content_id", "SKU-1042", S.PurchaseContentId), P("fb_num_items", 1L), new("fb_currency", "EUR", S.PurchaseCurrency)], ValueToSum: 24.99),
                ], email),
            ];
        });
    }

    /// <summary>A 2025 Android fitness app (SDK 18.0.2): codeless check with the advertising ID, ud after sign-up, a second session.</summary>
    private static DemoApp FitLoop(DeviceProfile device)
    {
        var app = new AppProfile("fitloop-android-2025", "FitLoop", Platform.Android, "org.example.fitloop", "52001", "5.2.0",
            "100200300400504", "3c4d5e6f708192a3b4c5d6e7f8091a2b", "18.0.2", "v16.0", device,
            "XZa7c3e9f1-6b2d-4e80-9f14-3d5b7a9c1e26", ["core", "login", "share", "applinks"], []);
        return new DemoApp(app, "2025 Android fitness app: sign-up sends the hashed e-mail on every later flush", a =>
        {
            var sdk = new AndroidSdk(a);
            const long t0 = 1739171400; // 2025-02-10 07:10 UTC
            const long t1 = t0 + 30600;
            const string f1 = "2e9a4c7b-1f3d-4a86-b5e0-8c2d6f9a3b71", f2 = "9b5d1e3f-7a2c-4e68-8d0b-4f6a2c8e1d93";
            EventParam[] fingerprint =
            [
                new("fb_mobile_pckg_fp", "a1b2c3d4e5f60718293a4b5c6d7e8f90", S.ApkMd5),
                new("fb_mobile_app_cert_hash", "ZGVtb25zdHJhdGlvbi1jZXJ0LWhhc2g=\n", S.SigningCertSha1),
            ];
            var email = HashedEmail(a.Device);
            return
            [
                sdk.AppSettings(),
                sdk.GateKeepers(),
                sdk.CodelessCheck(),
                sdk.Install("utm_source=fitloop_site&utm_medium=referral&utm_campaign=spring"),
                sdk.Flush(
                [
                    new AppEvent(Events.SdkInitialize, t0, "unknown", [Lib("core", "1"), Lib("login", "1"), Lib("share", "1"), Lib("applinks", "1")], InBackground: true, ImplicitlyLogged: true),
                    new AppEvent(Events.Activate, t0 + 1, "MainActivity", [LaunchSource, .. fingerprint], SessionId: f1),
                ]),
                Trackers.FirebaseConfig(a, "1:555000000504:android:1b2c3d4e5f6a7b8c", "8f7e6d5c4b3a29180f1e2d3c4b5a6978", "250132"),
                sdk.Flush([new AppEvent("fb_mobile_complete_registration", t0 + 140, "SignUpActivity", [P("fb_registration_method", "email")], SessionId: f1)], email),
                sdk.Flush(
                [
                    Deactivate(Platform.Android, t1, f1, 900, t1 - (t0 + 900), "MainActivity"),
                    new AppEvent(Events.Activate, t1, "MainActivity", [LaunchSource, .. fingerprint], SessionId: f2),
                ], email),
            ];
        });
    }

    /// <summary>
    /// A 2024 Android weather app (SDK 17.0.0) whose user refuses personalised ads in the app's consent screen:
    /// the app turns advertiser-ID collection off and every later request goes without the advertising ID.
    /// </summary>
    private static DemoApp Weatherly(DeviceProfile device)
    {
        var app = new AppProfile("weatherly-android-2024", "Weatherly", Platform.Android, "org.example.weatherly", "4012", "4.0.12",
            "100200300400505", "4d5e6f708192a3b4c5d6e7f8091a2b3c", "17.0.0", "v16.0", device,
            "XZ5d2f8b4a-3c1e-4d97-a0b6-7e9c1f3a5d28", ["core", "share"], []);
        return new DemoApp(app, "2024 Android app: stops sending the advertising ID after consent is refused", a =>
        {
            var sdk = new AndroidSdk(a);
            const long t0 = 1720459200; // 2024-07-08 17:20 UTC
            const long t1 = t0 + 7200;
            const string w1 = "4c8e2a6d-9b1f-4e37-a5c0-2d6f8b1e3a94", w2 = "e7a3c9f1-5d2b-4a68-9e04-b1d5f7a3c6e2";
            const string ui = "ForecastActivity";
            var before = new List<LabRequest>
            {
                sdk.AppSettings(),
                sdk.GateKeepers(),
                sdk.Install("utm_source=google-play&utm_medium=organic"),
                sdk.Flush(
                [
                    new AppEvent(Events.SdkInitialize, t0, "unknown", [Lib("core", "1"), Lib("share", "1")], InBackground: true, ImplicitlyLogged: true),
                    new AppEvent(Events.Activate, t0 + 1, ui, [LaunchSource], SessionId: w1),
                ]),
                Trackers.AdjustSession(a, "wl2024demo05", "2024-07-08T19:20:02.804Z+0200"),
            };
            // The user refuses personalised ads; the app calls Settings.setAdvertiserIDCollectionEnabled(false).
            sdk.AdvertiserIdCollection = false;
            return
            [
                .. before,
                sdk.Flush([new AppEvent("forecast_viewed", t0 + 60, ui, [P("city", "Berlin"), P("units", "metric")], SessionId: w1)], note: "after consent was refused"),
                sdk.Flush(
                [
                    Deactivate(Platform.Android, t1, w1, 300, t1 - (t0 + 300), ui),
                    new AppEvent(Events.Activate, t1, ui, [LaunchSource], SessionId: w2),
                ], note: "after consent was refused"),
            ];
        });
    }

    /// <summary>
    /// A 2026 iOS app (SDK 18.1.0, Graph v21.0) that asks for consent before starting the SDK: its own consent
    /// service is the only host contacted until the user accepts.
    /// </summary>
    private static DemoApp CalmNest(DeviceProfile device)
    {
        var app = new AppProfile("calmnest-ios-2026", "CalmNest", Platform.Ios, "org.example.calmnest", "812", "8.1",
            "100200300400506", "5e6f708192a3b4c5d6e7f8091a2b3c4d", "18.1.0", "v21.0", device,
            "XZ2A8F4C6E-9B3D-4E17-8C05-F1A3D5B7C924", ["core", "login"], ["fb100200300400506", "calmnest"]);
        return new DemoApp(app, "2026 iOS app: nothing reaches Facebook before the user consents", a =>
        {
            var sdk = new IosSdk(a, trackingAuthorized: true);
            const long t0 = 1782888300; // 2026-07-01 06:45 UTC
            const string c1 = "B3D7F1A5-2C8E-4A96-9D04-E6B2C8F1A357";
            const string host = "cmp.calmnest.example";
            return
            [
                Trackers.OwnConsentService(a, host, "GET", "/v1/notice?locale=de_DE", null),
                Trackers.OwnConsentService(a, host, "POST", "/v1/decision", "{\"notice\":\"2026-05\",\"decision\":\"accept_all\",\"purposes\":[\"analytics\",\"advertising\"]}"),
                sdk.ServerDomainInfos(),
                sdk.AppSettings(),
                sdk.GateKeepers(),
                sdk.Install(t0 + 20),
                sdk.Flush(
                [
                    new AppEvent(Events.SdkInitialize, t0 + 20, "no_ui", [Lib("core", 1L), Lib("login", 1L)], ImplicitlyLogged: true),
                    new AppEvent(Events.Activate, t0 + 21, "CNBreatheViewController", [LaunchSource], SessionId: c1, ImplicitlyLogged: true),
                ]),
            ];
        });
    }
}
