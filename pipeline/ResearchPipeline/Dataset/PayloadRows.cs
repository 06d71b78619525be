using ResearchPipeline.Decoders;
using ResearchPipeline.Decoders.Facebook;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Dataset;

/// <summary>What a <c>payload_fields</c> row publishes, whether held as a row or read from its exchange's decoded fields.</summary>
public interface IPayloadFieldRow
{
    string ExchangeId { get; }
    string CaptureId { get; }
    int ExchangeOrdinal { get; }
    string AppId { get; }
    int Ordinal { get; }
    string Location { get; }
    string KeyPath { get; }
    string? Value { get; }
    string ValueType { get; }
    string? Semantic { get; }
    string? Category { get; }
    bool? PersonalData { get; }
    string? SemanticSource { get; }
    string Decoder { get; }
    string? Endpoint { get; }
    string Transforms { get; }
}

/// <summary>One decoded field of a request, with what the decoder says it means.</summary>
public sealed record PayloadFieldRow : IPayloadFieldRow
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
    private readonly TalliesByApp<(string? Organisation, string? Parent, string? Tracker, string Adapter, string Semantic), FieldTally, AppTrackerFieldRow> _fields =
        new(Tables.AppTrackerFields, (app, key, tally) => new AppTrackerFieldRow
        {
            AppId = app,
            Organisation = key.Organisation,
            ParentOrganisation = key.Parent,
            Tracker = key.Tracker,
            Adapter = key.Adapter,
            Semantic = key.Semantic,
            Category = tally.Category,
            PersonalData = tally.PersonalData,
            RequestCount = tally.Requests,
            Endpoints = tally.JoinedEndpoints,
            ExampleValue = tally.ExampleValue,
            ExampleKeyPath = tally.ExampleKeyPath,
            FirstSeenSeconds = tally.FirstSeen,
        });

    /// <summary>Whether a field counts: named by an adapter, and not a placeholder sent instead of a value.</summary>
    public static bool Counts(string? decoder, string? semantic, string? valueType) =>
        decoder is not null && decoder != Decoders.TrackerDecoders.Generic && semantic is not null && valueType != ValueTypes.NotSent;

    /// <param name="value">The value as published (pseudonymised, secrets redacted).</param>
    public void Add(string appId, string? semantic, string? decoder, string? valueType, string? category, bool? personalData,
        string exchangeId, string? endpoint, string? value, string keyPath, ExchangeFacts? exchange)
    {
        if (!Counts(decoder, semantic, valueType) || semantic is null || decoder is null) return;
        var who = exchange?.Host is { } host ? attributionByHost.GetValueOrDefault(host) : null;
        var tallies = _fields.Of(appId);
        var key = (who?.Organisation, who?.ParentOrganisation, who?.Tracker, decoder, semantic);
        if (!tallies.TryGetValue(key, out var f)) tallies[key] = f = new FieldTally(category!, value, keyPath);
        f.Add(personalData, exchangeId, endpoint, value, keyPath, exchange?.SecondsSinceStart);
    }

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.Finish"/>
    public void Finish(string appId) => _fields.Finish(appId);

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.TakeRows"/>
    public List<AppTrackerFieldRow> TakeRows() => _fields.TakeRows();

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.SpillTo"/>
    public void SpillTo(string folder, int heldRows = Shards.AggregateHeldRows) => _fields.SpillTo(folder, heldRows);

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.WriteAsync"/>
    public Task<WrittenFile> WriteAsync(string folder, IPublishedTextCheck? check, CancellationToken cancel) => _fields.WriteAsync(folder, check, cancel);

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.MostAppsHeld"/>
    internal int MostAppsHeld => _fields.MostAppsHeld;

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.AppsSpilled"/>
    internal int AppsSpilled => _fields.AppsSpilled;
}

/// <summary>
/// An aggregate's tallies, app by app. An app's tallies become its rows once the caller says none of its payload
/// rows is still to come, so emit holds the tallies of the apps it is reading rather than of the study: a study of
/// thousands of apps has hundreds of thousands, which were the largest thing emit held (bench/NOTES.md). A run
/// spills the rows too (<see cref="SpillTo"/>), so that the study's rows are not held until the table is written.
/// </summary>
internal sealed class TalliesByApp<TKey, TTally, TRow>(TableDefinition<TRow> table, Func<string, TKey, TTally, TRow> rowOf) where TKey : notnull
{
    private readonly Dictionary<string, Dictionary<TKey, TTally>> _byApp = new(StringComparer.Ordinal);
    private readonly HashSet<string> _finished = new(StringComparer.Ordinal);
    private List<TRow> _rows = [];
    // Where finished apps' rows go once more than _spillAbove are held (see SpillTo): each app's rows, sorted, are
    // one range of the file. _held marks where each app's rows begin in _rows until then.
    private string? _spillFolder;
    private int _spillAbove;
    private ShardSpool<TRow>? _spool;
    private readonly List<(string App, ShardRange Range)> _spilled = [];
    private readonly List<(string App, int Start)> _held = [];
    // The app added to last: rows come capture by capture, so most calls ask for the same one.
    private string? _app;
    private Dictionary<TKey, TTally>? _tallies;

    /// <summary>The most apps whose tallies were held at once: what bounds the aggregate's memory.</summary>
    public int MostAppsHeld { get; private set; }

    /// <summary>Apps whose rows went to the shard file.</summary>
    public int AppsSpilled => _spilled.Count;

    public Dictionary<TKey, TTally> Of(string app)
    {
        if (_tallies is not null && string.Equals(app, _app, StringComparison.Ordinal)) return _tallies;
        if (!_byApp.TryGetValue(app, out _tallies))
        {
            // Its rows would be counted twice, as two rows of the table.
            if (_finished.Contains(app)) throw new InvalidOperationException($"payload rows of app {app} after it was finished");
            _byApp[app] = _tallies = [];
            MostAppsHeld = Math.Max(MostAppsHeld, _byApp.Count);
        }
        _app = app;
        return _tallies;
    }

    /// <summary>
    /// Finished apps' rows are written to a shard file in this folder rather than held until the table is written:
    /// the table has a row per app and field, hundreds of thousands in a study of thousands of apps, published in
    /// app order while apps finish in capture order.
    /// </summary>
    /// <param name="heldRows">Rows held in memory before they are spilled: below it, the table is written from memory as before.</param>
    public void SpillTo(string folder, int heldRows = Shards.AggregateHeldRows)
    {
        if (_finished.Count > 0) throw new InvalidOperationException($"{table.Name}: told where to spill after an app was finished");
        (_spillFolder, _spillAbove) = (folder, heldRows);
    }

    /// <summary>An app none of whose rows is still to come: its tallies become rows and are let go.</summary>
    public void Finish(string app)
    {
        _finished.Add(app);
        if (!_byApp.Remove(app, out var tallies)) return;
        if (ReferenceEquals(tallies, _tallies)) (_app, _tallies) = (null, null);
        if (_spool is null)
        {
            _held.Add((app, _rows.Count));
            foreach (var (key, tally) in tallies) _rows.Add(rowOf(app, key, tally));
            if (_spillFolder is null || _rows.Count <= _spillAbove) return;
            // Past the limit: what is held goes to the file, app by app, and so does every app from now on.
            // A group per app: the table is written in app order, each app's range read once.
            _spool = new ShardSpool<TRow>(Path.Combine(_spillFolder, table.FileName + ".shard"), table, table.Columns);
            for (var i = 0; i < _held.Count; i++)
            {
                var end = i + 1 < _held.Count ? _held[i + 1].Start : _rows.Count;
                Spill(_held[i].App, _rows.GetRange(_held[i].Start, end - _held[i].Start));
            }
            _rows = [];
            _held.Clear();
            return;
        }
        Spill(app, tallies.Select(t => rowOf(app, t.Key, t.Value)).ToList());
    }

    private void Spill(string app, List<TRow> rows)
    {
        rows.Sort(table.Order);
        _spool!.Begin(inOrder: true);
        foreach (var row in rows) _spool.Add(row);
        if (_spool.End() is { } range) _spilled.Add((app, range));
    }

    /// <summary>The table's rows, unsorted, once: every app is finished.</summary>
    public List<TRow> TakeRows()
    {
        foreach (var app in _byApp.Keys.ToList()) Finish(app);
        if (_spool is not null) throw new InvalidOperationException($"{table.Name}: its rows were spilled; write the table with WriteAsync");
        var rows = _rows;
        _rows = [];
        _held.Clear();
        return rows;
    }

    /// <summary>Writes the table once every app is finished: from the spilled ranges in app order, else from the rows held.</summary>
    public async Task<WrittenFile> WriteAsync(string folder, IPublishedTextCheck? check, CancellationToken cancel)
    {
        foreach (var app in _byApp.Keys.ToList()) Finish(app);
        if (_spool is null) return await ParquetTableWriter.WriteAsync(folder, table, TakeRows(), cancel, check: check);
        var spool = _spool;
        _spool = null;
        spool.Dispose();
        try
        {
            // The table's order is by app first, and each range is one app's rows in the table's order.
            var parts = _spilled.OrderBy(s => s.App, StringComparer.Ordinal).Select(s => new ShardPart<string>(s.Range, s.App)).ToList();
            return await ShardMerge.WriteAsync(folder, table, table.Columns, parts, transform: null, cancel, check: check);
        }
        finally
        {
            File.Delete(spool.Path);
        }
    }
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
    private SortedStrings _endpoints;

    public string Category { get; } = category;
    public bool PersonalData { get; private set; }
    public double? FirstSeen { get; private set; }
    public int Requests { get; private set; }
    public string JoinedEndpoints => _endpoints.Join(",");
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
        if (endpoint is not null) _endpoints.Add(endpoint);
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
/// A set of strings in ordinal order, in one array grown as needed. The aggregates hold one to three of these
/// per app and field, hundreds of thousands in a study of thousands of apps, nearly all of one or two strings:
/// a <see cref="SortedSet{T}"/> costs 48 bytes empty and 48 more per string, which made the aggregates the
/// largest thing emit held (bench/NOTES.md).
/// </summary>
internal struct SortedStrings
{
    private string[]? _items;
    private int _count;

    public readonly int Count => _count;

    public void Add(string item)
    {
        var at = _items is null ? ~0 : Array.BinarySearch(_items, 0, _count, item, StringComparer.Ordinal);
        if (at >= 0) return;
        at = ~at;
        if (_items is null || _count == _items.Length) Array.Resize(ref _items, Math.Max(1, _count * 2));
        Array.Copy(_items, at, _items, at + 1, _count - at);
        _items[at] = item;
        _count++;
    }

    public readonly string Join(string separator) => _items is null ? "" : string.Join(separator, _items, 0, _count);
}

/// <summary>
/// <c>app_facebook_fields</c>, built as the payload rows go by in the table's order (capture, exchange,
/// field), so that the rows need not be held: per app and semantic, over the rows the Facebook adapter named,
/// leaving out placeholders the SDK sends instead of a value (<c>not_sent</c>). The platform is the one
/// apps.csv gives, else the one the SDK identity says.
/// </summary>
public sealed class FacebookFieldsAggregate
{
    private sealed class Field(FieldTally tally)
    {
        public FieldTally Tally { get; } = tally;
        public SortedStrings Sdks;
        public SortedStrings Platforms;
    }

    private readonly TalliesByApp<string, Field, AppFacebookFieldRow> _fields = new(Tables.AppFacebookFields, (app, semantic, field) => new AppFacebookFieldRow
    {
        AppId = app,
        Platform = field.Platforms.Count == 0 ? null : field.Platforms.Join(","),
        Semantic = semantic,
        Category = field.Tally.Category,
        PersonalData = field.Tally.PersonalData,
        FirstSeenSeconds = field.Tally.FirstSeen,
        RequestCount = field.Tally.Requests,
        Endpoints = field.Tally.JoinedEndpoints,
        Sdk = field.Sdks.Count == 0 ? null : field.Sdks.Join(","),
        ExampleValue = field.Tally.ExampleValue,
        ExampleKeyPath = field.Tally.ExampleKeyPath,
    });

    /// <summary>Whether a field counts: named by the Facebook adapter, and not a placeholder sent instead of a value.</summary>
    public static bool Counts(string? decoder, string? semantic, string? valueType) =>
        decoder == FacebookAdapter.AdapterName && semantic is not null && valueType != ValueTypes.NotSent;

    /// <param name="exchange">The exchange's facts, or null when it is not known.</param>
    public void Add(string appId, string? semantic, string? decoder, string? valueType, string? category, bool? personalData,
        string exchangeId, string? endpoint, string? value, string keyPath, ExchangeFacts? exchange)
    {
        if (!Counts(decoder, semantic, valueType) || semantic is null) return;
        var fields = _fields.Of(appId);
        if (!fields.TryGetValue(semantic, out var f)) fields[semantic] = f = new Field(new FieldTally(category!, value, keyPath));
        f.Tally.Add(personalData, exchangeId, endpoint, value, keyPath, exchange?.SecondsSinceStart);
        if (exchange is null) return;
        if (exchange.Sdk is not null) f.Sdks.Add(exchange.Sdk);
        if ((exchange.CapturePlatform ?? SdkIdentity.Platform(exchange.Sdk)) is { } platform) f.Platforms.Add(platform);
    }

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.Finish"/>
    public void Finish(string appId) => _fields.Finish(appId);

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.TakeRows"/>
    public List<AppFacebookFieldRow> TakeRows() => _fields.TakeRows();

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.SpillTo"/>
    public void SpillTo(string folder, int heldRows = Shards.AggregateHeldRows) => _fields.SpillTo(folder, heldRows);

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.WriteAsync"/>
    public Task<WrittenFile> WriteAsync(string folder, IPublishedTextCheck? check, CancellationToken cancel) => _fields.WriteAsync(folder, check, cancel);

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.MostAppsHeld"/>
    internal int MostAppsHeld => _fields.MostAppsHeld;

    /// <inheritdoc cref="TalliesByApp{TKey, TTally, TRow}.AppsSpilled"/>
    internal int AppsSpilled => _fields.AppsSpilled;
}
