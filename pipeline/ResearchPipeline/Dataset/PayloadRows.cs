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

public static class PayloadFieldRows
{
    /// <summary>The published rows of one decoded exchange, secrets replaced by a marker.</summary>
    public static IEnumerable<PayloadFieldRow> From(DecodedExchange decoded, string captureId, string appId, int exchangeOrdinal)
    {
        var exchangeId = ExchangeRows.ExchangeId(captureId, exchangeOrdinal);
        for (var i = 0; i < decoded.Fields.Length; i++)
        {
            var a = decoded.Fields[i];
            yield return new PayloadFieldRow
            {
                ExchangeId = exchangeId,
                CaptureId = captureId,
                ExchangeOrdinal = exchangeOrdinal,
                AppId = appId,
                Ordinal = i,
                Location = PayloadField.LocationName(a.Field.Location),
                // Key paths and transform chains repeat across every request of a kind; one copy of each is kept.
                KeyPath = string.Intern(a.Field.KeyPath),
                Value = SecretRedaction.RedactValue(a.Field.KeyPath, a.Field.Value),
                ValueType = a.ValueType,
                Semantic = a.Semantic?.Name,
                Category = a.Semantic?.Category,
                PersonalData = a.Semantic?.PersonalData,
                SemanticSource = a.Semantic?.Source,
                Decoder = decoded.Decoder,
                Endpoint = a.Endpoint,
                Transforms = string.Intern(a.Field.Transforms),
            };
        }
    }

    /// <summary>
    /// <c>app_facebook_fields</c>: per app and semantic, over the rows the Facebook adapter named, leaving out
    /// placeholders the SDK sends instead of a value (<c>not_sent</c>). The platform is the one apps.csv gives,
    /// else the one the SDK identity says.
    /// </summary>
    public static List<AppFacebookFieldRow> FacebookFields(IEnumerable<PayloadFieldRow> payloads, IEnumerable<ExchangeRow> exchanges, IEnumerable<CaptureRow> captures)
    {
        var exchangeById = exchanges.ToDictionary(e => e.ExchangeId, StringComparer.Ordinal);
        var platformByCapture = captures.ToDictionary(c => c.CaptureId, c => c.Platform, StringComparer.Ordinal);
        var rows = new List<AppFacebookFieldRow>();
        var groups = payloads
            .Where(p => p.Decoder == FacebookAdapter.AdapterName && p.Semantic is not null && p.ValueType != ValueTypes.NotSent)
            .GroupBy(p => (p.AppId, Semantic: p.Semantic!));
        foreach (var g in groups)
        {
            var ordered = g.OrderBy(p => p.CaptureId, StringComparer.Ordinal).ThenBy(p => p.ExchangeOrdinal).ThenBy(p => p.Ordinal).ToList();
            var seenIn = ordered.Select(p => exchangeById.GetValueOrDefault(p.ExchangeId)).Where(e => e is not null).Select(e => e!).ToList();
            var sdks = seenIn.Select(e => e.Sdk).Where(s => s is not null).Distinct().Order(StringComparer.Ordinal).ToList();
            var platforms = seenIn.Select(e => platformByCapture.GetValueOrDefault(e.CaptureId) ?? SdkIdentity.Platform(e.Sdk))
                .Where(p => p is not null).Distinct().Order(StringComparer.Ordinal).ToList();
            var example = ordered.FirstOrDefault(p => !string.IsNullOrEmpty(p.Value)) ?? ordered[0];
            rows.Add(new AppFacebookFieldRow
            {
                AppId = g.Key.AppId,
                Platform = platforms.Count == 0 ? null : string.Join(",", platforms),
                Semantic = g.Key.Semantic,
                Category = ordered[0].Category!,
                PersonalData = ordered.Any(p => p.PersonalData == true),
                FirstSeenSeconds = seenIn.Select(e => e.SecondsSinceStart).Where(s => s is not null).Min(),
                RequestCount = ordered.Select(p => p.ExchangeId).Distinct().Count(),
                Endpoints = string.Join(",", ordered.Select(p => p.Endpoint).Where(e => e is not null).Distinct().Order(StringComparer.Ordinal)),
                Sdk = sdks.Count == 0 ? null : string.Join(",", sdks),
                ExampleValue = example.Value,
                ExampleKeyPath = example.KeyPath,
            });
        }
        return rows;
    }
}
