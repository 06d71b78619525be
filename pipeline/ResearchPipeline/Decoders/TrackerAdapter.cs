using System.Collections.Immutable;
using ResearchPipeline.Captures;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Decoders;

/// <summary>A decoded field with what a tracker adapter says about it.</summary>
public readonly record struct AnnotatedField(PayloadField Field, string? Endpoint, Semantic? Semantic)
{
    /// <summary>The field's value type, except that a sender's placeholder reads <c>not_sent</c>.</summary>
    public string ValueType { get; init; } = Field.ValueType;
}

/// <summary>Everything the decode stage says about one request.</summary>
public sealed record DecodedExchange(
    string Decoder,
    ImmutableArray<AnnotatedField> Fields,
    ImmutableArray<DecodeProblem> Problems,
    string? Sdk,
    string? GraphApiVersion);

/// <summary>
/// A tracker's declarative adapter: which requests it reads (host, path, method, body shape), how their
/// values are encoded beyond what their shape says, and what each key path means. Adding a tracker is adding
/// a folder of declarations (<see cref="DeclarativeAdapter"/>); only Meta's batches need code of their own.
/// </summary>
public interface ITrackerAdapter
{
    /// <summary>Published in <c>payload_fields.decoder</c>.</summary>
    string Name { get; }

    bool Matches(Exchange exchange);

    /// <summary>How values of this request are encoded where their shape does not say (may depend on the endpoint).</summary>
    IReadOnlyList<ValueHint> HintsFor(Exchange exchange);

    DecodedExchange Annotate(Exchange exchange, DecodedRequest request);
}

/// <summary>The decode stage: generic decoding of every request, then the first adapter that claims it.</summary>
public sealed class TrackerDecoders(IReadOnlyList<ITrackerAdapter> adapters)
{
    public const string Generic = "generic";

    /// <summary>Meta first (its own hosts and Conversions API gateways on any host), then every declared tracker.</summary>
    public static TrackerDecoders All { get; } = new([Facebook.FacebookAdapter.Default, .. DeclarativeAdapter.LoadAll(Vocabulary.Default)]);

    public IReadOnlyList<ITrackerAdapter> Adapters => adapters;

    /// <summary>The adapter that claims requests to this host (by its host list), or null.</summary>
    public ITrackerAdapter? AdapterForHost(string host) => adapters.FirstOrDefault(a => a switch
    {
        Facebook.FacebookAdapter => Facebook.FacebookAdapter.IsMetaHost(host),
        DeclarativeAdapter d => d.ClaimsHost(host),
        _ => false,
    });

    public DecodedExchange Decode(RequestView view, DecodeLimits limits)
    {
        var exchange = view.Exchange;
        // A TCP/UDP/DNS flow's bytes are not an HTTP request: there is nothing to decode as query or body.
        if (exchange.Kind != ExchangeKind.Http) return new DecodedExchange(Generic, [], [], null, null);
        ITrackerAdapter? adapter = null;
        foreach (var a in adapters)
        {
            if (!a.Matches(exchange)) continue;
            adapter = a;
            break;
        }
        var request = RequestDecoder.Decode(view, limits, adapter?.HintsFor(exchange));
        if (adapter is not null) return adapter.Annotate(exchange, request);
        var fields = new AnnotatedField[request.Fields.Length];
        for (var i = 0; i < fields.Length; i++) fields[i] = new AnnotatedField(request.Fields[i], null, null);
        return new DecodedExchange(Generic, System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(fields), request.Problems, null, null);
    }
}
