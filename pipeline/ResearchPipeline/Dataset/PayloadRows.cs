using ResearchPipeline.Decoders;
using ResearchPipeline.Decoders.Facebook;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Dataset;

/// <summary>One decoded field of a request, with what the decoder says it means.</summary>
public sealed record PayloadFieldRow
{
    public required string ExchangeId { get; init; }
    public required string CaptureId { get; init; }
    public required int ExchangeOrdinal { get; init; }
    public required string AppId { get; init; }
    public required int Ordinal { get; init; }
    public required string Location { get; init; }
    public required string KeyPath { get; init; }
    public string? Value { get; init; }
    public required string ValueType { get; init; }
    public string? Semantic { get; init; }
    public string? Category { get; init; }
    public bool? PersonalData { get; init; }
    public string? SemanticSource { get; init; }
    public required string Decoder { get; init; }
    public string? Endpoint { get; init; }
    public required string Transforms { get; init; }
}

/// <summary>One kind of data (semantic field) an app sent to Meta: the headline table.</summary>
public sealed record AppFacebookFieldRow
{
    public required string AppId { get; init; }
    public string? Platform { get; init; }
    public required string Semantic { get; init; }
    public required string Category { get; init; }
    public bool PersonalData { get; init; }
    public double? FirstSeenSeconds { get; init; }
    public int RequestCount { get; init; }
    public required string Endpoints { get; init; }
    public string? Sdk { get; init; }
    public string? ExampleValue { get; init; }
    public string? ExampleKeyPath { get; init; }
}

/// <summary>The per-app aggregates computed from rows held in memory (tests compare them with the shard path).</summary>
public static class FieldAggregates
{
    /// <summary>
    /// <c>app_facebook_fields</c> from rows in memory: per app and semantic, over the rows the Facebook adapter
    /// named (see <see cref="FacebookFieldsAggregate"/>).
    /// </summary>
    public static List<AppFacebookFieldRow> FacebookFields(IEnumerable<PayloadFieldRow> payloads, IEnumerable<ExchangeRow> exchanges, IEnumerable<CaptureRow> captures)
    {
        var exchangeById = exchanges.ToDictionary(e => e.ExchangeId, StringComparer.Ordinal);
        var platformByCapture = captures.ToDictionary(c => c.CaptureId, c => c.Platform, StringComparer.Ordinal);
        var aggregate = new FacebookFieldsAggregate();
        foreach (var p in payloads.OrderBy(p => p.CaptureId, StringComparer.Ordinal).ThenBy(p => p.ExchangeOrdinal).ThenBy(p => p.Ordinal))
        {
            var e = exchangeById.GetValueOrDefault(p.ExchangeId);
            aggregate.Add(p.AppId, p.Semantic, p.Decoder, p.ValueType, p.Category, p.PersonalData, p.ExchangeId, p.Endpoint, p.Value, p.KeyPath,
                e is null ? null : new ExchangeFacts(e.Sdk, e.SecondsSinceStart, platformByCapture.GetValueOrDefault(e.CaptureId)));
        }
        return aggregate.Rows();
    }

    /// <summary><c>app_tracker_fields</c> from rows in memory (see <see cref="TrackerFieldsAggregate"/>).</summary>
    public static List<AppTrackerFieldRow> TrackerFields(IEnumerable<PayloadFieldRow> payloads, IEnumerable<ExchangeRow> exchanges,
        IReadOnlyDictionary<string, Taxonomy.TrackerAttribution> attributionByHost)
    {
        var exchangeById = exchanges.ToDictionary(e => e.ExchangeId, StringComparer.Ordinal);
        var aggregate = new TrackerFieldsAggregate(attributionByHost);
        foreach (var p in payloads.OrderBy(p => p.CaptureId, StringComparer.Ordinal).ThenBy(p => p.ExchangeOrdinal).ThenBy(p => p.Ordinal))
        {
            var e = exchangeById.GetValueOrDefault(p.ExchangeId);
            aggregate.Add(p.AppId, p.Semantic, p.Decoder, p.ValueType, p.Category, p.PersonalData, p.ExchangeId, p.Endpoint, p.Value, p.KeyPath,
                e is null ? null : new ExchangeFacts(e.Sdk, e.SecondsSinceStart, null) { Host = e.Host });
        }
        return aggregate.Rows();
    }
}

/// <summary>What app_facebook_fields and app_tracker_fields need of the exchange a field was sent in.</summary>
public sealed record ExchangeFacts(string? Sdk, double? SecondsSinceStart, string? CapturePlatform)
{
    public string? Host { get; init; }
}

/// <summary>One kind of data (semantic field) an app sent to one tracker: the cross-tracker headline table.</summary>
public sealed record AppTrackerFieldRow
{
    public required string AppId { get; init; }
    public string? Organisation { get; init; }
    public string? ParentOrganisation { get; init; }
    public string? Tracker { get; init; }
    public required string Adapter { get; init; }
    public required string Semantic { get; init; }
    public required string Category { get; init; }
    public bool PersonalData { get; init; }
    public int RequestCount { get; init; }
    public required string Endpoints { get; init; }
    public string? ExampleValue { get; init; }
    public string? ExampleKeyPath { get; init; }
    public double? FirstSeenSeconds { get; init; }
}

/// <summary>
/// <c>app_tracker_fields</c>, built like <see cref="FacebookFieldsAggregate"/> as the payload rows go by: per app,
/// receiving organisation (and its parent), taxonomy tracker, adapter and semantic, over the rows an adapter named
/// (not <c>generic</c>), leaving out placeholders sent instead of a value. Who receives a request is the
/// attribution of its host (the trackers table), so one query answers which trackers get the advertising ID.
/// </summary>
public sealed class TrackerFieldsAggregate(IReadOnlyDictionary<string, Taxonomy.TrackerAttribution> attributionByHost)
{
    private readonly Dictionary<(string App, string? Organisation, string? Parent, string? Tracker, string Adapter, string Semantic), FieldTally> _fields = [];

    /// <summary>Whether a field counts: named by an adapter, and not a placeholder sent instead of a value.</summary>
    public static bool Counts(string? decoder, string? semantic, string? valueType) =>
        decoder is not null && decoder != Decoders.TrackerDecoders.Generic && semantic is not null && valueType != ValueTypes.NotSent;

    /// <param name="value">The value as published (pseudonymised, secrets redacted).</param>
    public void Add(string appId, string? semantic, string? decoder, string? valueType, string? category, bool? personalData,
        string exchangeId, string? endpoint, string? value, string keyPath, ExchangeFacts? exchange)
    {
        if (!Counts(decoder, semantic, valueType) || semantic is null || decoder is null) return;
        var who = exchange?.Host is { } host ? attributionByHost.GetValueOrDefault(host) : null;
        var key = (appId, who?.Organisation, who?.ParentOrganisation, who?.Tracker, decoder, semantic);
        if (!_fields.TryGetValue(key, out var f)) _fields[key] = f = new FieldTally(category!, value, keyPath);
        f.Add(personalData, exchangeId, endpoint, value, keyPath, exchange?.SecondsSinceStart);
    }

    public List<AppTrackerFieldRow> Rows() => _fields.Select(kv => new AppTrackerFieldRow
    {
        AppId = kv.Key.App,
        Organisation = kv.Key.Organisation,
        ParentOrganisation = kv.Key.Parent,
        Tracker = kv.Key.Tracker,
        Adapter = kv.Key.Adapter,
        Semantic = kv.Key.Semantic,
        Category = kv.Value.Category,
        PersonalData = kv.Value.PersonalData,
        RequestCount = kv.Value.Requests,
        Endpoints = kv.Value.JoinedEndpoints,
        ExampleValue = kv.Value.ExampleValue,
        ExampleKeyPath = kv.Value.ExampleKeyPath,
        FirstSeenSeconds = kv.Value.FirstSeen,
    }).ToList();
}

/// <summary>
/// What the per-app aggregates (<see cref="FacebookFieldsAggregate"/>, <see cref="TrackerFieldsAggregate"/>) keep of
/// one semantic field as its payload rows go by in the table's order: requests, endpoints, first seen, and the first
/// non-empty value as the example (else the first value).
/// </summary>
internal sealed class FieldTally(string category, string? firstValue, string firstKeyPath)
{
    private string? _lastExchange;
    private bool _hasExample;
    private string? _exampleValue;
    private string? _exampleKeyPath;

    public string Category { get; } = category;
    public bool PersonalData { get; private set; }
    public double? FirstSeen { get; private set; }
    public int Requests { get; private set; }
    public SortedSet<string> Endpoints { get; } = new(StringComparer.Ordinal);
    public string JoinedEndpoints => string.Join(",", Endpoints);
    public string? ExampleValue => _hasExample ? _exampleValue : firstValue;
    public string ExampleKeyPath => _hasExample ? _exampleKeyPath! : firstKeyPath;

    public void Add(bool? personalData, string exchangeId, string? endpoint, string? value, string keyPath, double? secondsSinceStart)
    {
        PersonalData |= personalData == true;
        // Rows come in exchange order, so an exchange's rows of one semantic are next to each other.
        if (!string.Equals(_lastExchange, exchangeId, StringComparison.Ordinal))
        {
            Requests++;
            _lastExchange = exchangeId;
        }
        if (endpoint is not null) Endpoints.Add(endpoint);
        if (!_hasExample && !string.IsNullOrEmpty(value))
        {
            _hasExample = true;
            _exampleValue = value;
            _exampleKeyPath = keyPath;
        }
        if (secondsSinceStart is { } s && (FirstSeen is null || s < FirstSeen)) FirstSeen = s;
    }
}

/// <summary>
/// <c>app_facebook_fields</c>, built as the payload rows go by in the table's order (capture, exchange,
/// field), so that the rows need not be held: per app and semantic, over the rows the Facebook adapter named,
/// leaving out placeholders the SDK sends instead of a value (<c>not_sent</c>). The platform is the one
/// apps.csv gives, else the one the SDK identity says.
/// </summary>
public sealed class FacebookFieldsAggregate
{
    private sealed record Field(FieldTally Tally)
    {
        public readonly SortedSet<string> Sdks = new(StringComparer.Ordinal);
        public readonly SortedSet<string> Platforms = new(StringComparer.Ordinal);
    }

    private readonly Dictionary<(string AppId, string Semantic), Field> _fields = [];

    /// <summary>Whether a field counts: named by the Facebook adapter, and not a placeholder sent instead of a value.</summary>
    public static bool Counts(string? decoder, string? semantic, string? valueType) =>
        decoder == FacebookAdapter.AdapterName && semantic is not null && valueType != ValueTypes.NotSent;

    /// <param name="exchange">The exchange's facts, or null when it is not known.</param>
    public void Add(string appId, string? semantic, string? decoder, string? valueType, string? category, bool? personalData,
        string exchangeId, string? endpoint, string? value, string keyPath, ExchangeFacts? exchange)
    {
        if (!Counts(decoder, semantic, valueType) || semantic is null) return;
        if (!_fields.TryGetValue((appId, semantic), out var f))
            _fields[(appId, semantic)] = f = new Field(new FieldTally(category!, value, keyPath));
        f.Tally.Add(personalData, exchangeId, endpoint, value, keyPath, exchange?.SecondsSinceStart);
        if (exchange is null) return;
        if (exchange.Sdk is not null) f.Sdks.Add(exchange.Sdk);
        if ((exchange.CapturePlatform ?? SdkIdentity.Platform(exchange.Sdk)) is { } platform) f.Platforms.Add(platform);
    }

    public List<AppFacebookFieldRow> Rows() => _fields.Select(kv => new AppFacebookFieldRow
    {
        AppId = kv.Key.AppId,
        Platform = kv.Value.Platforms.Count == 0 ? null : string.Join(",", kv.Value.Platforms),
        Semantic = kv.Key.Semantic,
        Category = kv.Value.Tally.Category,
        PersonalData = kv.Value.Tally.PersonalData,
        FirstSeenSeconds = kv.Value.Tally.FirstSeen,
        RequestCount = kv.Value.Tally.Requests,
        Endpoints = kv.Value.Tally.JoinedEndpoints,
        Sdk = kv.Value.Sdks.Count == 0 ? null : string.Join(",", kv.Value.Sdks),
        ExampleValue = kv.Value.Tally.ExampleValue,
        ExampleKeyPath = kv.Value.Tally.ExampleKeyPath,
    }).ToList();
}
