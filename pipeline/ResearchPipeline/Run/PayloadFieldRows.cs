using ResearchPipeline.Dataset;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Run;

/// <summary>Turns what the decode stage read into published <c>payload_fields</c> rows.</summary>
public static class PayloadFieldRows
{
    /// <summary>
    /// The published rows of one decoded exchange, secrets (secret parameters, tokens, cookies) replaced by a marker,
    /// added one by one to <paramref name="rows"/> (a row that fails leaves the ones before it); the exchange's id
    /// as its exchanges row has it, made once for the exchange.
    /// </summary>
    public static void AddTo(List<PayloadFieldRow> rows, DecodedExchange decoded, string exchangeId, string captureId, string appId, int exchangeOrdinal)
    {
        for (var i = 0; i < decoded.Fields.Length; i++)
        {
            var a = decoded.Fields[i];
            rows.Add(new PayloadFieldRow
            {
                ExchangeId = exchangeId,
                CaptureId = captureId,
                ExchangeOrdinal = exchangeOrdinal,
                AppId = appId,
                Ordinal = i,
                Location = PayloadField.LocationName(a.Field.Location),
                KeyPath = a.Field.KeyPath,
                // A cookie is session state whatever its value looks like: replaced whole, short or common as it may be.
                Value = a.Field.Location == PayloadLocation.Cookie && !string.IsNullOrEmpty(a.Field.Value) ? SecretRedaction.Marker("cookie")
                    : SecretRedaction.RedactValue(a.Field.KeyPath, a.Field.Value),
                ValueType = a.ValueType,
                Semantic = a.Semantic?.Name,
                Category = a.Semantic?.Category,
                PersonalData = a.Semantic?.PersonalData,
                SemanticSource = a.Semantic?.Source,
                Decoder = decoded.Decoder,
                Endpoint = a.Endpoint,
                Transforms = a.Field.Transforms,
            });
        }
    }
}
