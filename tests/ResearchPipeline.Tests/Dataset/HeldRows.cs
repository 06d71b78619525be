using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>
/// The published tables' rows as they would be from every row held in memory at once: what the shards and their
/// merge must give, byte for byte. Made of the same questions a run asks of the pseudonymiser and the aggregates,
/// row by row rather than column by column.
/// </summary>
internal static class HeldRows
{
    public static ExchangeRow Exchange(this Pseudonymiser pseudonymiser, ExchangeRow row) => row with
    {
        Query = pseudonymiser.Query(row.Query),
        Path = pseudonymiser.Text(row.Path)!,
        UserAgent = pseudonymiser.Text(row.UserAgent),
    };

    public static IdentifierMatchRow Match(this Pseudonymiser pseudonymiser, IdentifierMatchRow row) => row with { KeyPath = pseudonymiser.Text(row.KeyPath)! };

    public static PayloadFieldRow Payload(this Pseudonymiser pseudonymiser, PayloadFieldRow row)
    {
        var (keyPath, value) = pseudonymiser.Field(row.KeyPath, row.Value, row.Category, row.ValueType);
        return row with { KeyPath = keyPath, Value = value };
    }
}

/// <summary>The per-app aggregates computed from rows held in memory, which the shard path must equal.</summary>
internal static class FieldAggregates
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
        return aggregate.TakeRows();
    }

    /// <summary><c>app_tracker_fields</c> from rows in memory (see <see cref="TrackerFieldsAggregate"/>).</summary>
    public static List<AppTrackerFieldRow> TrackerFields(IEnumerable<PayloadFieldRow> payloads, IEnumerable<ExchangeRow> exchanges,
        IReadOnlyDictionary<string, ResearchPipeline.Taxonomy.TrackerAttribution> attributionByHost)
    {
        var exchangeById = exchanges.ToDictionary(e => e.ExchangeId, StringComparer.Ordinal);
        var aggregate = new TrackerFieldsAggregate(attributionByHost);
        foreach (var p in payloads.OrderBy(p => p.CaptureId, StringComparer.Ordinal).ThenBy(p => p.ExchangeOrdinal).ThenBy(p => p.Ordinal))
        {
            var e = exchangeById.GetValueOrDefault(p.ExchangeId);
            aggregate.Add(p.AppId, p.Semantic, p.Decoder, p.ValueType, p.Category, p.PersonalData, p.ExchangeId, p.Endpoint, p.Value, p.KeyPath,
                e is null ? null : new ExchangeFacts(e.Sdk, e.SecondsSinceStart, null) { Host = e.Host });
        }
        return aggregate.TakeRows();
    }
}

