using System.Text.RegularExpressions;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Decoders.Facebook;

/// <summary>
/// Which Meta SDK sent a request, and its version: from the User-Agent (doc 5: <c>FBiOSSDK.18.1.0[/suffix]</c>,
/// <c>FBAndroidSDK.17.0.0[/Unity.7.0.1]</c>, <c>FBtvOSSDK</c>, <c>FBiOSAEM</c>; Audience Network's
/// <c>FBAN/AudienceNetworkForiOS;…FBVS/6.2.1</c>), else from the parameters (<c>sdk=ios|android|tvos</c> with
/// <c>sdk_version</c> of the gatekeeper request, Audience Network's <c>SDK</c>/<c>SDK_VERSION</c>).
/// </summary>
public static partial class SdkIdentity
{
    public static string? Of(Exchange exchange, Func<string, string?> param)
    {
        var ua = exchange.RequestHeader("User-Agent") ?? "";
        if (CoreUserAgent().Match(ua) is { Success: true } m)
            return $"{m.Groups[1].Value} {m.Groups[2].Value}{m.Groups[3].Value}";
        if (AudienceNetwork(ua) is { } an) return an;
        if (param("SDK_VERSION") is { Length: > 0 } anVersion && param("SDK") is { } anSdk)
            return $"AudienceNetworkFor{(anSdk.Equals("ios", StringComparison.OrdinalIgnoreCase) ? "iOS" : "Android")} {anVersion}";
        if (param("USER_AGENT") is { } embedded && AudienceNetwork(embedded) is { } anEmbedded) return anEmbedded;
        var name = param("sdk") switch
        {
            "ios" => "FBiOSSDK",
            "android" => "FBAndroidSDK",
            "tvos" => "FBtvOSSDK",
            _ => null,
        };
        if (name is null) return null;
        return param("sdk_version") is { Length: > 0 } v ? $"{name} {v}" : name;
    }

    /// <summary>android, ios or tvos for an SDK name this class writes; null for others.</summary>
    public static string? Platform(string? sdk) => sdk switch
    {
        null => null,
        _ when sdk.StartsWith("FBAndroidSDK", StringComparison.Ordinal) || sdk.StartsWith("AudienceNetworkForAndroid", StringComparison.Ordinal) => "android",
        _ when sdk.StartsWith("FBiOS", StringComparison.Ordinal) || sdk.StartsWith("AudienceNetworkForiOS", StringComparison.Ordinal) => "ios",
        _ when sdk.StartsWith("FBtvOSSDK", StringComparison.Ordinal) => "tvos",
        _ => null,
    };

    private static string? AudienceNetwork(string ua)
    {
        if (AnUserAgent().Match(ua) is not { Success: true } m) return null;
        var version = AnVersion().Match(ua);
        return version.Success ? $"{m.Groups[1].Value} {version.Groups[1].Value}" : m.Groups[1].Value;
    }

    [GeneratedRegex(@"\b(FBiOSSDK|FBAndroidSDK|FBtvOSSDK|FBiOSAEM)\.(\d+(?:\.\d+){0,3})((?:/[^\s/;]+)*)", RegexOptions.CultureInvariant)]
    private static partial Regex CoreUserAgent();

    [GeneratedRegex(@"FBAN/(AudienceNetworkFor(?:iOS|Android))", RegexOptions.CultureInvariant)]
    private static partial Regex AnUserAgent();

    [GeneratedRegex(@"FBVS/([0-9.]+)", RegexOptions.CultureInvariant)]
    private static partial Regex AnVersion();
}
