using CaptureLab.Demo;
using CaptureLab.Wire;

namespace CaptureLab.Sdk;

/// <summary>
/// A demonstration app as its SDK sees it: identity, Facebook app, SDK and Graph API version, the device it runs on,
/// and its per-install values (anon_id is "XZ" + a UUID persisted per install, wire-format doc 3).
/// </summary>
public sealed record AppProfile(
    string Folder,
    string AppName,
    Platform Platform,
    string BundleId,
    string Build,
    string Version,
    string FacebookAppId,
    string ClientToken,
    string SdkVersion,
    string GraphVersion,
    DeviceProfile Device,
    string AnonId,
    IReadOnlyList<string> LinkedKits,
    IReadOnlyList<string> UrlSchemes,
    string? SdkBuild = null)
{
    /// <summary>The version string the SDK reports (Android 5.15.3's FacebookSdkVersion.BUILD is "5.15.2", doc 0).</summary>
    public string ReportedSdkVersion => SdkBuild ?? SdkVersion;

    public string ClientAccessToken => $"{FacebookAppId}|{ClientToken}";

    public System.Version Sdk => System.Version.Parse(SdkVersion);

    public int SdkMajor => int.Parse(SdkVersion.Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
}
