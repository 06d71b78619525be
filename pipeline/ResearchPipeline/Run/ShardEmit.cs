using Parquet;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Run;

/// <summary>
/// The emit stage over shards: each row table is written from its shards in capture order, pseudonymised a
/// row group at a time, so the run holds a row group of each table rather than the study.
/// </summary>
/// <param name="captures">The captures in the captures table's order, each outcome holding its row as published (primary
/// in its session or not) and where its rows wait.</param>
/// <param name="rowGroupSize">Rows per published row group; fixed for publication, smaller in tests.</param>
/// <param name="overlap">Encode payload_fields' row groups on another thread while the next is pseudonymised: the
/// largest table, written beside the others; theirs are encoded in turn, as they hold longer rows.</param>
public sealed class ShardEmit(Pseudonymiser pseudonymiser, IReadOnlyList<CaptureOutcome> captures, int rowGroupSize = ParquetTableWriter.RowGroupSize,
    bool overlap = false)
{
    /// <summary>Values up to this length are pseudonymised once per distinct value.</summary>
    private const int MemoMaxLength = 256;

    private long _exchangeRows;
    private long _payloadFieldRows;

    /// <summary>payload_fields rows written (the benchmark's denominator for bytes allocated per decoded field).</summary>
    public long PayloadFieldRows => Interlocked.Read(ref _payloadFieldRows);

    /// <summary>
    /// Columns every row of a capture has alike, as its captures row has them (the exchange rows were made with
    /// the same values): taken from it at merge rather than read from the shard.
    /// </summary>
    private static readonly IReadOnlySet<string> CaptureColumns = new HashSet<string>(StringComparer.Ordinal) { "capture_id", "app_id" };

    /// <param name="overlap">Encode a row group on another thread while the next is pseudonymised (the parse verb, whose one sharded table this is).</param>
    public async Task<WrittenFile> ExchangesAsync(string folder, CancellationToken cancel, IPublishedTextCheck? check = null, bool overlap = false)
    {
        // The pseudonymiser's answer is a pure function of the text: values that repeat row after row (URL paths,
        // user agents, key paths) are worked out once.
        var paths = new BoundedMemo<string?>(pseudonymiser.Text);
        var userAgents = new BoundedMemo<string?>(pseudonymiser.Text);
        // Queries repeat too (an SDK's call with its fixed parameters); one that holds a value of its own is
        // rarely long, and a long one is not kept.
        var queries = new BoundedMemo<string?>(q => q is null ? null : pseudonymiser.Query(q), MemoMaxLength);
        var parts = captures.Where(c => c.Shards?.Exchanges is not null).Select(c => new ShardPart<CaptureOutcome>(c.Shards!.Exchanges!, c));
        return await ShardMerge.WriteAsync(folder, Tables.Exchanges, ShardTables.Exchanges, parts, (capture, batch) =>
        {
            var captureId = batch.Strings("capture_id");
            var appId = batch.Strings("app_id");
            var query = batch.Strings("query");
            var path = batch.Strings("path");
            var userAgent = batch.Strings("user_agent");
            var ticks = batch.Values<long>(ShardTables.TimeTicks);
            var seconds = batch.Values<double>("seconds_since_start");
            var start = capture.Capture.FirstTimeUtc?.UtcTicks;
            for (var i = batch.Start; i < batch.End; i++)
            {
                captureId[i] = capture.Capture.CaptureId;
                appId[i] = capture.Capture.AppId;
                query[i] = queries.Get(query[i]);
                path[i] = paths.Get(path[i]);
                userAgent[i] = userAgents.Get(userAgent[i]);
                seconds[i] = ExchangeRows.SecondsSince(start, ticks[i]);
            }
            Interlocked.Add(ref _exchangeRows, batch.Count);
        }, cancel, rowGroupSize: rowGroupSize, check: check, overlap: overlap, unread: CaptureColumns);
    }

    /// <param name="aggregated">Called once the aggregates have every row, while the table's last row group may still be being written.</param>
    public async Task<WrittenFile> PayloadFieldsAsync(string folder, FacebookFieldsAggregate facebook, TrackerFieldsAggregate? trackers, CancellationToken cancel,
        IPublishedTextCheck? check = null, Action? aggregated = null)
    {
        await using var exchangeFacts = new ExchangeFactsReader(captures.Where(c => c.Capture.PrimaryInSession && c.Shards?.Payloads is not null));
        var keyPaths = new BoundedMemo<(string, bool)>(k => (pseudonymiser.Text(k)!, Pseudonymiser.NamesIdentifier(k!)));
        // Values recur too (a device's IDs, an app's version, flags) and are pseudonymised one of two ways;
        // long ones (bodies sent as a value) rarely repeat and are not kept.
        var pseudonyms = new BoundedMemo<string?>(pseudonymiser.Identifier, MemoMaxLength);
        var texts = new BoundedMemo<string?>(pseudonymiser.Text, MemoMaxLength);
        var parts = captures.Where(c => c.Shards?.Payloads is not null).Select(c => new ShardPart<CaptureOutcome>(c.Shards!.Payloads!, c));
        // The Facebook aggregate counts each session once: the exchanges of its primary capture are read back
        // beside its fields, both in exchange order.
        CaptureOutcome? factsOf = null;
        // The aggregates' tallies of an app become rows once its last counted capture is read.
        var lastOfApp = new HashSet<CaptureOutcome>(captures.Where(c => c.Capture.PrimaryInSession && c.Shards?.Payloads is not null)
            .GroupBy(c => c.Capture.AppId, StringComparer.Ordinal).Select(g => g.Last()), ReferenceEqualityComparer.Instance);
        CaptureOutcome? counting = null;
        return await ShardMerge.WriteAsync(folder, Tables.PayloadFields, ShardTables.PayloadFields, parts, (capture, batch) =>
        {
            var exchangeId = batch.Strings("exchange_id");
            var appId = batch.Strings("app_id");
            var keyPath = batch.Strings("key_path");
            var value = batch.Strings("value");
            var valueType = batch.Strings("value_type");
            var semantic = batch.Strings("semantic");
            var category = batch.Strings("category");
            var personal = batch.Values<bool>("personal_data");
            var decoder = batch.Strings("decoder");
            var endpoint = batch.Strings("endpoint");
            var primary = capture.Capture.PrimaryInSession;
            Interlocked.Add(ref _payloadFieldRows, batch.Count);
            if (!ReferenceEquals(counting, capture))
            {
                if (counting is not null && lastOfApp.Contains(counting))
                {
                    facebook.Finish(counting.Capture.AppId);
                    trackers?.Finish(counting.Capture.AppId);
                }
                counting = capture;
            }
            if (primary && !ReferenceEquals(factsOf, capture))
            {
                exchangeFacts.Start(capture, cancel);
                factsOf = capture;
            }
            for (var i = batch.Start; i < batch.End; i++)
            {
                var (publishedKeyPath, namesIdentifier) = keyPaths.Get(keyPath[i]!);
                value[i] = pseudonymiser.PublishesAsPseudonym(category[i], namesIdentifier, valueType[i]) ? pseudonyms.Get(value[i]) : texts.Get(value[i]);
                keyPath[i] = publishedKeyPath;
                if (!primary || !TrackerFieldsAggregate.Counts(decoder[i], semantic[i], valueType[i])) continue;
                var facts = exchangeFacts.Find(exchangeId[i]!);
                if (FacebookFieldsAggregate.Counts(decoder[i], semantic[i], valueType[i]))
                    facebook.Add(appId[i]!, semantic[i], decoder[i], valueType[i], category[i], personal[i], exchangeId[i]!, endpoint[i], value[i], keyPath[i]!, facts);
                trackers?.Add(appId[i]!, semantic[i], decoder[i], valueType[i], category[i], personal[i], exchangeId[i]!, endpoint[i], value[i], keyPath[i]!, facts);
            }
        }, cancel, rowGroupSize: rowGroupSize, check: check, overlap: overlap, allTaken: aggregated);
    }

    public Task<WrittenFile> IdentifierMatchesAsync(string folder, CancellationToken cancel, IPublishedTextCheck? check = null)
    {
        var parts = captures.Where(c => c.Shards?.IdentifierMatches is not null).Select(c => new ShardPart<CaptureOutcome>(c.Shards!.IdentifierMatches!, c));
        return ShardMerge.WriteAsync(folder, Tables.IdentifierMatches, ShardTables.IdentifierMatches, parts, (_, batch) =>
        {
            var keyPath = batch.Strings("key_path");
            for (var i = batch.Start; i < batch.End; i++) keyPath[i] = pseudonymiser.Text(keyPath[i]);
            // A capture's matches come as one window; pseudonymised key paths may sort differently, as in the table.
            var ordinal = batch.Values<int>(ShardTables.Ordinal);
            var identity = batch.Strings("identity");
            var location = batch.Strings("location");
            var transform = batch.Strings("transform");
            var order = Enumerable.Range(batch.Start, batch.Count).ToArray();
            Array.Sort(order, (a, b) => Nullable.Compare(ordinal[a], ordinal[b]) is var o and not 0 ? o
                : string.CompareOrdinal(identity[a], identity[b]) is var d and not 0 ? d
                : string.CompareOrdinal(location[a], location[b]) is var l and not 0 ? l
                : string.CompareOrdinal(keyPath[a], keyPath[b]) is var k and not 0 ? k
                : string.CompareOrdinal(transform[a], transform[b]) is var t and not 0 ? t
                : a.CompareTo(b));
            batch.Reorder(order);
        }, cancel, wholeParts: true, rowGroupSize: rowGroupSize, check: check);
    }

    /// <summary>Exchange rows the merge wrote against those the captures read: a row lost between parse and emit shows here.</summary>
    public IEnumerable<string> CountFailures(long expected)
    {
        if (Interlocked.Read(ref _exchangeRows) != expected)
            yield return $"exchanges: {expected} rows parsed but {_exchangeRows} written";
    }

    /// <summary>
    /// What app_facebook_fields and app_tracker_fields need of the exchanges of a capture, read from the exchange shards a step
    /// behind its payload rows (both are in exchange order), so a capture of any size holds one row group.
    /// </summary>
    private sealed class ExchangeFactsReader : IAsyncDisposable
    {
        private static readonly IReadOnlyList<TableColumn<ExchangeRow>> Columns =
            ShardTables.Exchanges.Where(c => c.Name is "exchange_id" or "sdk" or "host" or ShardTables.TimeTicks).ToList();
        private readonly Dictionary<string, ShardCursor<ExchangeRow>> _cursors = new(StringComparer.Ordinal);
        // The last capture whose exchanges are read from each file: a file is let go once it is done with, whichever
        // order the parts' files come in.
        private readonly Dictionary<string, CaptureOutcome> _lastReader;
        private CaptureOutcome? _capture;
        private IAsyncEnumerator<CellBatch>? _windows;
        private CellBatch? _window;
        private int _at;
        private ExchangeFacts? _found;
        private CellBatch? _foundIn;
        private int _foundAt;

        /// <param name="readers">The captures whose exchanges will be read, in the order they will be started.</param>
        public ExchangeFactsReader(IEnumerable<CaptureOutcome> readers) =>
            _lastReader = readers.Where(c => c.Shards?.Exchanges is not null).GroupBy(c => c.Shards!.Exchanges!.Path, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

        // The transform runs on the merge's own thread and the cursors' streams block: these calls complete
        // before they return.
        public void Start(CaptureOutcome capture, CancellationToken cancel)
        {
            _windows?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            if (_capture?.Shards?.Exchanges is { } before && _lastReader.TryGetValue(before.Path, out var last) && ReferenceEquals(last, _capture)
                && _cursors.Remove(before.Path, out var done))
                done.DisposeAsync().AsTask().GetAwaiter().GetResult();
            _capture = capture;
            _windows = null;
            _window = null;
            _foundIn = null;
            if (capture.Shards?.Exchanges is not { } range) return;
            if (!_cursors.TryGetValue(range.Path, out var cursor))
                _cursors[range.Path] = cursor = ShardCursor<ExchangeRow>.OpenAsync(range.Path, Columns, cancel).GetAwaiter().GetResult();
            _windows = cursor.ReadAsync(range, cancel).GetAsyncEnumerator(cancel);
        }

        /// <summary>The exchange's facts; exchanges are asked for in order, each as often as it has fields.</summary>
        public ExchangeFacts? Find(string exchangeId)
        {
            while (true)
            {
                if (_window is null || _at >= _window.End)
                {
                    if (_windows is null || !_windows.MoveNextAsync().AsTask().GetAwaiter().GetResult()) return null;
                    _window = _windows.Current;
                    _at = _window.Start;
                }
                if (string.Equals(_window.Strings("exchange_id")[_at], exchangeId, StringComparison.Ordinal))
                {
                    // Asked once per counted field: the exchange's facts are made once.
                    if (ReferenceEquals(_foundIn, _window) && _foundAt == _at) return _found;
                    var start = _capture!.Capture.FirstTimeUtc?.UtcTicks;
                    var seconds = ExchangeRows.SecondsSince(start, _window.Values<long>(ShardTables.TimeTicks)[_at]);
                    _found = new ExchangeFacts(_window.Strings("sdk")[_at], seconds, _capture.Capture.Platform) { Host = _window.Strings("host")[_at] };
                    (_foundIn, _foundAt) = (_window, _at);
                    return _found;
                }
                _at++;
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (_windows is not null) await _windows.DisposeAsync();
            foreach (var cursor in _cursors.Values) await cursor.DisposeAsync();
        }
    }
}
