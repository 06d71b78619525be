using ResearchPipeline.Dataset;
using ResearchPipeline.Decoders;
using ResearchPipeline.Payloads;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Run;

/// <summary>
/// The published <c>payload_fields</c> rows of one decoded exchange, secrets (secret parameters, tokens, cookies)
/// replaced by a marker; the exchange's id as its exchanges row has it, made once for the exchange. What is the
/// exchange's is held once, and a row is a field's place in it (<see cref="PayloadFieldView"/>): the shards are
/// filled from the decoded fields with no object per field.
/// </summary>
public sealed class PayloadFieldRows
{
    /// <summary>The table as the parse spools it: the published columns, read from the views.</summary>
    public static readonly TableDefinition<PayloadFieldView> Table = Tables.PayloadFieldsOf<PayloadFieldView>();

    private readonly string?[] _values;

    /// <summary>The exchange's rows, none redacted yet (<see cref="Redact"/>).</summary>
    public PayloadFieldRows(DecodedExchange decoded, string exchangeId, string captureId, string appId, int exchangeOrdinal)
    {
        Decoded = decoded;
        ExchangeId = exchangeId;
        CaptureId = captureId;
        AppId = appId;
        ExchangeOrdinal = exchangeOrdinal;
        _values = decoded.Fields.Length == 0 ? [] : new string?[decoded.Fields.Length];
    }

    public DecodedExchange Decoded { get; }
    public string ExchangeId { get; }
    public string CaptureId { get; }
    public string AppId { get; }
    public int ExchangeOrdinal { get; }

    /// <summary>Rows whose value is redacted: all of them once <see cref="Redact"/> has returned, those before a field that failed if it threw.</summary>
    public int Count { get; private set; }

    /// <summary>Works out each field's published value in turn; a field that fails leaves the rows before it.</summary>
    public PayloadFieldRows Redact()
    {
        var fields = Decoded.Fields;
        for (var i = 0; i < fields.Length; i++)
        {
            var field = fields[i].Field;
            // A cookie is session state whatever its value looks like: replaced whole, short or common as it may be.
            _values[i] = field.Location == PayloadLocation.Cookie && !string.IsNullOrEmpty(field.Value) ? SecretRedaction.Marker("cookie")
                : SecretRedaction.RedactValue(field.KeyPath, field.Value);
            Count = i + 1;
        }
        return this;
    }

    public PayloadFieldView this[int ordinal] => new(this, ordinal);

    internal string? ValueAt(int ordinal) => _values[ordinal];

    /// <summary>The rows as records, for a caller that keeps them in lists.</summary>
    public List<PayloadFieldRow> ToRows()
    {
        var rows = new List<PayloadFieldRow>(Count);
        for (var i = 0; i < Count; i++)
        {
            var v = this[i];
            rows.Add(new PayloadFieldRow
            {
                ExchangeId = v.ExchangeId,
                CaptureId = v.CaptureId,
                ExchangeOrdinal = v.ExchangeOrdinal,
                AppId = v.AppId,
                Ordinal = v.Ordinal,
                Location = v.Location,
                KeyPath = v.KeyPath,
                Value = v.Value,
                ValueType = v.ValueType,
                Semantic = v.Semantic,
                Category = v.Category,
                PersonalData = v.PersonalData,
                SemanticSource = v.SemanticSource,
                Decoder = v.Decoder,
                Endpoint = v.Endpoint,
                Transforms = v.Transforms,
            });
        }
        return rows;
    }
}

/// <summary>One row of <see cref="PayloadFieldRows"/>: its exchange's rows and the field's place among them.</summary>
public readonly struct PayloadFieldView(PayloadFieldRows rows, int ordinal) : IPayloadFieldRow
{
    private ref readonly AnnotatedField Field => ref rows.Decoded.Fields.ItemRef(ordinal);

    public string ExchangeId => rows.ExchangeId;
    public string CaptureId => rows.CaptureId;
    public int ExchangeOrdinal => rows.ExchangeOrdinal;
    public string AppId => rows.AppId;
    public int Ordinal => ordinal;
    public string Location => PayloadField.LocationName(Field.Field.Location);
    public string KeyPath => Field.Field.KeyPath;
    public string? Value => rows.ValueAt(ordinal);
    public string ValueType => Field.ValueType;
    public string? Semantic => Field.Semantic?.Name;
    public string? Category => Field.Semantic?.Category;
    public bool? PersonalData => Field.Semantic?.PersonalData;
    public string? SemanticSource => Field.Semantic?.Source;
    public string Decoder => rows.Decoded.Decoder;
    public string? Endpoint => Field.Endpoint;
    public string Transforms => Field.Field.Transforms;
}
