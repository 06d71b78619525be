namespace CaptureLab.Sdk;

/// <summary>An event parameter the app or the SDK attaches, with the truth's name for it.</summary>
public sealed record EventParam(string Key, object Value, string Semantic);

/// <summary>
/// One entry of <c>custom_events</c> (wire-format doc 3.1), platform-neutral; <see cref="IosSdk"/> and
/// <see cref="AndroidSdk"/> write it the way their SDK does.
/// </summary>
public sealed record AppEvent(
    string Name,
    long LogTime,
    string Ui,
    IReadOnlyList<EventParam> Params,
    string? SessionId = null,
    double? ValueToSum = null,
    bool ImplicitlyLogged = false,
    bool InBackground = false);

/// <summary>The SDK-internal event names and parameter keys of wire-format doc 3.1/3.2.</summary>
public static class Events
{
    public const string Activate = "fb_mobile_activate_app";
    public const string Deactivate = "fb_mobile_deactivate_app";
    public const string SdkInitialize = "fb_sdk_initialize";

    /// <summary>
    /// Upper bounds of the inactivity quanta, in seconds: 5 min, 15 min, 30 min, 1 h, 6 h, 12 h, 1 d, 2 d, 3 d,
    /// 7 d, 14 d, 21 d, 28 d, 60 d, 90 d, 120 d, 150 d, 180 d, 365 d; longer gaps are quantum 19
    /// (iOS FBSDKTimeSpentData, Android SessionLogger INACTIVE_SECONDS_QUANTA).
    /// </summary>
    private static readonly long[] InactiveSecondsQuanta =
    [
        300, 900, 1800, 3600, 21600, 43200, 86400, 172800, 259200, 604800, 1209600, 1814400, 2419200,
        5184000, 7776000, 10368000, 12960000, 15552000, 31536000,
    ];

    public static string SessionQuanta(long secondsBetweenSessions)
    {
        var index = 0;
        while (index < InactiveSecondsQuanta.Length && InactiveSecondsQuanta[index] < secondsBetweenSessions) index++;
        return $"session_quanta_{index}";
    }
}
