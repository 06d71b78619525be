using System.Collections.Immutable;
using System.Text.RegularExpressions;
using ResearchPipeline.Captures;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Decoders.Facebook;

/// <summary>
/// The Facebook/Meta SDKs (iOS, Android, Audience Network). Sources of every rule: the wire-format reference
/// (docs/facebook-sdk-wire-format.md), which cites the SDK source line of each fact. Endpoints are the
/// catalogue of its section 2; field meanings are in <c>semantics.csv</c> beside this file.
/// </summary>
public sealed partial class FacebookAdapter : ITrackerAdapter
{
    public const string AdapterName = "facebook";

    /// <summary>
    /// One automatic SDK request kind: method (null = any), path after the host with the leading '/' and any
    /// Graph version removed (<c>{app}</c> stands for a numeric app id or the literal <c>app</c> of Android SDK
    /// >= 13), and optionally a parameter whose value must match.
    /// </summary>
    public sealed record EndpointRule(string Name, string? Method, string Path, string Source, string? Param = null, string? ParamPattern = null)
    {
        internal Regex PathRegex { get; } = new("^" + Path.Replace("{app}", @"(\d+|app)") + "$", RegexOptions.CultureInvariant);
        internal Regex? ParamRegex { get; } = ParamPattern is null ? null : new Regex(ParamPattern, RegexOptions.CultureInvariant);
    }

    /// <summary>Wire-format doc section 2 (catalogue rows #) and 1.3 (batches), 6 (Audience Network).</summary>
    public static readonly ImmutableArray<EndpointRule> Endpoints =
    [
        new("batch", "POST", "", "doc 1.3: I18 CK/GraphAPI/FBSDKGraphRequestConnection.m L472-575; A18 core/GraphRequest.kt L1186-1196, L1665-1720", "batch", ""),
        new("activities", "POST", "{app}/activities", "#1-4, #21-23: I18 CK/AppEvents/FBSDKAppEvents.m L877-925, L1445-1526; A18 core/appevents/AppEventQueue.kt L166-214"),
        new("codeless_check", "GET", "{app}", "#10, #27: I18 CK/AppEvents/Internal/Codeless/FBSDKCodelessIndexer.m L230-247; A18 core/UserSettingsManager.kt L125-150", "fields", "auto_event_setup_enabled"),
        new("app_events_config", "GET", "{app}", "#7: I18 CK/AppEvents/Internal/FBSDKAppEventsConfigurationManager.m L94-101", "fields", "^app_events_config"),
        new("app_settings", "GET", "{app}", "#5, #24: I18 CK/Internal/ServerConfiguration/FBSDKServerConfigurationManager.m L22-44; A18 core/internal/FetchedAppSettingsManager.kt L43-108"),
        new("gatekeepers", "GET", "{app}/mobile_sdk_gk", "#6, #25: I18 CK/Internal/ServerConfiguration/FBSDKGateKeeperManager.m L141-155; A18 core/internal/FetchedAppGateKeepersManager.kt L224-234"),
        new("model_asset", "GET", "{app}/model_asset", "#8, #26: I18 CK/AppEvents/Internal/ML/FBSDKModelManager.mm L90-130; A18 core/appevents/ml/ModelManager.kt L157-167"),
        new("skadnetwork_config", "GET", "{app}/ios_skadnetwork_conversion_config", "#9: I18 CK/AppEvents/Internal/SKAdNetwork/FBSDKSKAdNetworkReporter.m L137-142"),
        new("app_indexing_session", "POST", "{app}/app_indexing_session", "#11, #28: I18 FBSDKCodelessIndexer.m L271-355; A18 core/appevents/codeless/CodelessManager.kt L113-140"),
        new("app_indexing", "POST", "{app}/app_indexing", "#12, #29: I18 FBSDKCodelessIndexer.m L394-435; A18 core/appevents/codeless/ViewIndexer.kt L221-248"),
        new("suggested_events", "POST", "{app}/suggested_events", "#13, #30: I18 CK/AppEvents/Internal/SuggestedEvents/FBSDKSuggestedEventsIndexer.m L292-317; A18 core/appevents/suggestedevents/ViewOnClickListener.kt L138-157"),
        new("instruments", "POST", "{app}/instruments", "#14, #31: I18 CK/Internal/Instrument/CrashReport/FBSDKCrashObserver.m L54-67; A18 core/internal/instrument/InstrumentUtility.kt L289-313"),
        new("custom_audience_third_party_id", "GET", "{app}/custom_audience_third_party_id", "#15: I18 CK/AppEvents/FBSDKAppEvents.m L1666-1720"),
        new("cloudbridge_settings", "GET", "{app}/cloudbridge_settings", "#16, #32: I18 CK/AppEvents/CAPIGateway/FBSDKAppEventsCAPIManager.swift L85-95; A18 core/appevents/cloudbridge/AppEventsCAPIManager.kt L105-121"),
        new("aem_conversion_configs", "GET", "{app}/aem_conversion_configs", "#17: I18 FBAEMKit/FBAEMKit/AEMReporter.swift L424-500"),
        new("aem_conversion_filter", "GET", "{app}/aem_conversion_filter", "#17: I18 FBAEMKit/FBAEMKit/AEMReporter.swift L575-611"),
        new("aem_attribution", "GET", "{app}/aem_attribution", "#17: I18 FBAEMKit/FBAEMKit/AEMReporter.swift L575-611"),
        new("aem_conversions", "POST", "{app}/aem_conversions", "#17: I18 FBAEMKit/FBAEMKit/AEMReporter.swift L643-676"),
        new("server_domain_infos", "GET", "{app}/server_domain_infos", "#18: I18 CK/Internal/DomainHandler/FBSDKDomainConfigurationManager.m L169-177"),
        new("domain_reports", "POST", "{app}/domain_reports", "#18: I18 CK/Internal/DomainHandler/FBSDKDomainConfigurationManager.m L235-264"),
        new("oidc_status", "GET", "platform/oidc/status", "#19: I18 CK/Internal/FBSDKAuthenticationStatusUtility.m L90-145"),
        new("oauth_access_token", "GET", "oauth/access_token", "#20: I18 CK/Internal/Network/GraphRequestPiggybackManager.swift L137-166"),
        new("me_permissions", "GET", "me/permissions", "#20: I18 CK/Internal/Network/GraphRequestPiggybackManager.swift L137-166"),
        new("privacy_sandbox_trigger", null, "privacy_sandbox/mobile/register/trigger", "#33: A18 core/appevents/gps/ara/GpsAraTriggersManager.kt L154-172"),
        new("privacy_sandbox_pa", null, "privacy_sandbox/pa/logic", "#34: A18 core/appevents/gps/pa/PACustomAudienceClient.kt L86-99"),
        new("capi_gateway", "POST", @"capi/[^/]+/events", "#35: I18 CK/AppEvents/CAPIGateway/FBSDKTransformerGraphRequestFactory.swift L46-110; A18 core/appevents/cloudbridge/AppEventsConversionsAPITransformerWebRequests.kt L100-145"),
        new("dialog", null, @"dialog/[^/]+", "doc 2 (not automatic): I18 FBSDKLoginKit/FBSDKLoginKit/Internal/LoginEndpoints.swift L16-18; A18 core/internal/ServerProtocol.kt L25"),
        new("me", "GET", "me", "doc 2 (not automatic): profile request"),
        new("pixel", null, "tr", "Meta Pixel (web and in-app browsers): GET/POST facebook.com/tr with id, ev, dl, rl, cd[...], ud[...]; TrackHAR has no adapter; observed in tests/fixtures/captures/har/expressen.har entries 84-85 and www.nytimes.com.har entry 187"),
        new("network_ads_common", null, "network_ads_common", "doc 6 [3rd-party]: tweaselORG/TrackHAR src/adapters/facebook.ts @1660c774"),
        new("adnw_sync2", null, "adnw_sync2?", "doc 6 [3rd-party]: tweaselORG/TrackHAR src/adapters/facebook.ts @1660c774"),
    ];

    /// <summary>Any other request to a Meta host.</summary>
    public const string OtherEndpoint = "other";

    private readonly SemanticDictionary _semantics;

    public FacebookAdapter(SemanticDictionary semantics) => _semantics = semantics;

    public static FacebookAdapter Default { get; } = new(LoadSemantics());

    public static SemanticDictionary LoadSemantics()
    {
        const string resource = "ResearchPipeline.Decoders.Facebook.semantics.csv";
        using var stream = typeof(FacebookAdapter).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"embedded resource {resource} is missing from the build");
        return SemanticDictionary.Read(stream, "Decoders/Facebook/semantics.csv");
    }

    public string Name => AdapterName;

    public SemanticDictionary Semantics => _semantics;

    /// <summary>Batch items carry their own request: iOS puts its parameters in the relative URL's query, Android in a form body (doc 1.3).</summary>
    public IReadOnlyList<ValueHint> Hints { get; } =
    [
        new(new KeyPattern("batch[*].relative_url"), ValueForm.Url, "doc 1.3: relative_url = <graphPath>?<urlencoded params> (I18 FBSDKGraphRequestConnection.m L472-511; A18 GraphRequest.kt L1665-1720)"),
        new(new KeyPattern("batch[*].body"), ValueForm.Form, "doc 1.3: Android batch item graphObject as urlencoded 'body' (A18 GraphRequest.kt L1665-1720)"),
    ];

    /// <summary>Meta's own hosts (doc 8.1) and a Conversions API gateway, which an advertiser runs on its own host (#35).</summary>
    public IReadOnlyList<ValueHint> HintsFor(string? endpoint) => Hints;

    /// <param name="endpoint">Always null: a Graph API request's endpoint is read from its parameters (<see cref="Annotate"/>).</param>
    public bool Matches(Exchange exchange, out string? endpoint)
    {
        endpoint = null;
        return IsMetaHost(exchange.Target.Host) || exchange.Method == "POST" && CapiPath().IsMatch(exchange.Target.Path);
    }

    public static bool IsMetaHost(string host) =>
        host is "facebook.com" or "fb.gg" or "graph.instagram.com"
        || host.EndsWith(".facebook.com", StringComparison.Ordinal)
        || host.EndsWith(".fb.gg", StringComparison.Ordinal)
        || host.EndsWith(".facebook.net", StringComparison.Ordinal);

    public DecodedExchange Annotate(Exchange exchange, DecodedRequest request, string? endpoint)
    {
        var fields = request.Fields;
        var units = Units(exchange, fields);
        var annotated = new AnnotatedField[fields.Length];
        foreach (var unit in units)
        {
            foreach (var (index, relative) in unit.Members)
            {
                var f = fields[index];
                var location = f.Location switch
                {
                    PayloadLocation.Header => "header",
                    PayloadLocation.Cookie => "cookie",
                    _ => "param",
                };
                var rule = _semantics.Find(unit.Endpoint, location, relative, f.Value, unit.ValueOfKey);
                var type = rule?.NotSentValue is { } placeholder && f.Value == placeholder ? ValueTypes.NotSent : f.ValueType;
                annotated[index] = new AnnotatedField(f, unit.Endpoint, rule?.Meaning) { ValueType = type };
            }
        }
        var top = units[0];
        return new DecodedExchange(AdapterName, System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(annotated), request.Problems, SdkIdentity.Of(exchange, top.ValueOf), GraphApiVersion(exchange.Target.Path, units));
    }

    /// <summary>A request, or one item of a batch, whose fields are matched against the dictionary together.</summary>
    private sealed class Unit(string endpoint)
    {
        public string Endpoint { get; set; } = endpoint;
        public List<(int Index, string Relative)> Members { get; } = [];
        public Dictionary<string, string?> Params { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, string?>.AlternateLookup<ReadOnlySpan<char>> ParamLookup => Params.GetAlternateLookup<ReadOnlySpan<char>>();

        public string? ValueOf(string key) => Params.TryGetValue(key, out var v) ? v : null;

        /// <summary><see cref="ValueOf"/> as one delegate for all of the unit's fields, not one made per field.</summary>
        public Func<string, string?> ValueOfKey => _valueOf ??= ValueOf;

        private Func<string, string?>? _valueOf;
    }

    private static List<Unit> Units(Exchange exchange, ImmutableArray<PayloadField> fields)
    {
        var top = new Unit(OtherEndpoint);
        var items = new SortedDictionary<int, Unit>();
        for (var i = 0; i < fields.Length; i++)
        {
            var f = fields[i];
            var key = f.KeyPath;
            var unit = top;
            // The prefix first: the pattern's match is two objects, and nearly no key is a batch item's.
            if (f.Location is PayloadLocation.Body or PayloadLocation.Query && key.StartsWith("batch[", StringComparison.Ordinal) && BatchItemParam().Match(key) is { Success: true } m)
            {
                var n = int.Parse(m.Groups[1].ValueSpan, System.Globalization.CultureInfo.InvariantCulture);
                if (!items.TryGetValue(n, out unit)) items[n] = unit = new Unit(OtherEndpoint);
                key = key[m.Length..];
            }
            // Audience Network's sync call wraps the same keys as network_ads_common in payload.context (doc 6).
            else if (key.StartsWith("payload.context.", StringComparison.Ordinal)) key = key["payload.context.".Length..];
            unit.Members.Add((i, key));
            if (f.Location is PayloadLocation.Query or PayloadLocation.Body)
            {
                unit.Params.TryAdd(key, f.Value);
                // A parameter sent as JSON is flattened (batch[0].method); its root name still says it was sent.
                var root = key.AsSpan().IndexOfAny('.', '[');
                if (root > 0 && !unit.ParamLookup.ContainsKey(key.AsSpan(0, root))) unit.Params.TryAdd(key[..root], "");
            }
        }
        top.Endpoint = EndpointOf(exchange.Method, exchange.Target.Path, top.ValueOf);
        var units = new List<Unit> { top };
        foreach (var (n, item) in items)
        {
            var method = top.ValueOf($"batch[{n}].method")?.ToUpperInvariant() ?? "GET";
            var path = top.ValueOf($"batch[{n}].relative_url.path") ?? "";
            item.Endpoint = EndpointOf(method, path, item.ValueOf);
            units.Add(item);
        }
        return units;
    }

    public static string EndpointOf(string method, string path, Func<string, string?> param)
    {
        var normalised = VersionPrefix().Replace(path.TrimStart('/'), "").TrimEnd('/');
        foreach (var e in Endpoints)
        {
            if (e.Method is not null && !string.Equals(e.Method, method, StringComparison.OrdinalIgnoreCase)) continue;
            if (!e.PathRegex.IsMatch(normalised)) continue;
            if (e.Param is not null && (param(e.Param) is not { } v || !e.ParamRegex!.IsMatch(v))) continue;
            return e.Name;
        }
        return OtherEndpoint;
    }

    /// <summary>The Graph API version of the URL path, else (Android batches, doc 1.3) of the first batch item's relative URL.</summary>
    private static string? GraphApiVersion(string path, List<Unit> units)
    {
        if (VersionPrefix().Match(path.TrimStart('/')) is { Success: true } m) return m.Groups[1].Value;
        for (var n = 0; n < units.Count - 1; n++)
        {
            if (units[0].ValueOf($"batch[{n}].relative_url.path") is { } p && VersionPrefix().Match(p.TrimStart('/')) is { Success: true } b) return b.Groups[1].Value;
        }
        return null;
    }

    [GeneratedRegex(@"^(v\d+\.\d+)(/|$)", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPrefix();

    [GeneratedRegex(@"^batch\[(\d+)\]\.(relative_url\.query|body)\.", RegexOptions.CultureInvariant)]
    private static partial Regex BatchItemParam();

    [GeneratedRegex(@"^/capi/[^/]+/events$", RegexOptions.CultureInvariant)]
    private static partial Regex CapiPath();
}
