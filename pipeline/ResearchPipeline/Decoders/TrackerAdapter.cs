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
    string? GraphApiVersion)
{
    /// <summary>The fields alone, as identify and the secrets collector read them: read through, not copied, for every request.</summary>
    public IReadOnlyList<PayloadField> PayloadFields => new FieldsRead(Fields);

    private sealed class FieldsRead(ImmutableArray<AnnotatedField> fields) : IReadOnlyList<PayloadField>
    {
        public PayloadField this[int index] => fields[index].Field;
        public int Count => fields.Length;

        public IEnumerator<PayloadField> GetEnumerator()
        {
            foreach (var f in fields) yield return f.Field;
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}

/// <summary>
/// A tracker's declarative adapter: which requests it reads (host, path, method, body shape), how their
/// values are encoded beyond what their shape says, and what each key path means. Adding a tracker is adding
/// a folder of declarations (<see cref="DeclarativeAdapter"/>); only Meta's batches need code of their own.
/// </summary>
public interface ITrackerAdapter
{
    /// <summary>Published in <c>payload_fields.decoder</c>.</summary>
    string Name { get; }

    /// <summary>
    /// Whether this adapter reads the request, and the request's endpoint where its method and URL say it (null
    /// where the adapter reads it from the request's parameters). Asked of the request's method and its URL
    /// without the query only (scheme, host, port, path), so that both answers can be kept per distinct endpoint.
    /// </summary>
    bool Matches(Exchange exchange, out string? endpoint);

    /// <summary>How values of a request to this endpoint (as <see cref="Matches"/> gave it) are encoded where their shape does not say.</summary>
    IReadOnlyList<ValueHint> HintsFor(string? endpoint);

    /// <param name="endpoint">As <see cref="Matches"/> gave it for this request.</param>
    DecodedExchange Annotate(Exchange exchange, DecodedRequest request, string? endpoint);
}

/// <summary>The decode stage: generic decoding of every request, then the first adapter that claims it.</summary>
public sealed class TrackerDecoders
{
    public const string Generic = "generic";

    /// <summary>Distinct endpoints whose adapter is kept (a key is the method and URL without query, ~100 characters).</summary>
    private const int ClaimsKept = 16_384;

    private readonly IReadOnlyList<ITrackerAdapter> _adapters;

    // Which adapter claims a request is asked of every request, and each adapter's answer runs its endpoint
    // patterns over the URL; requests repeat a few endpoints, so the answer, with the endpoint it names, is worked
    // out once per endpoint and not again for the adapter's hints and annotation.
    private readonly BoundedCache<string, Claim> _claims = new(ClaimsKept, StringComparer.Ordinal);
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Claim>.AlternateLookup<ReadOnlySpan<char>> _claimsBySpan;

    /// <summary>The first adapter that reads a request (-1: none), and the endpoint it gave.</summary>
    private readonly record struct Claim(int Adapter, string? Endpoint);

    public TrackerDecoders(IReadOnlyList<ITrackerAdapter> adapters)
    {
        _adapters = adapters;
        _claimsBySpan = _claims.Known.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>Meta first (its own hosts and Conversions API gateways on any host), then every declared tracker.</summary>
    public static TrackerDecoders All { get; } = new([Facebook.FacebookAdapter.Default, .. DeclarativeAdapter.LoadAll(Vocabulary.Default)]);

    public IReadOnlyList<ITrackerAdapter> Adapters => _adapters;

    /// <summary>The adapter that claims requests to this host (by its host list), or null.</summary>
    public ITrackerAdapter? AdapterForHost(string host) => _adapters.FirstOrDefault(a => a switch
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
        var claim = Claimant(exchange);
        var adapter = claim.Adapter < 0 ? null : _adapters[claim.Adapter];
        var request = RequestDecoder.Decode(view, limits, adapter?.HintsFor(claim.Endpoint));
        if (adapter is not null) return adapter.Annotate(exchange, request, claim.Endpoint);
        var fields = new AnnotatedField[request.Fields.Length];
        for (var i = 0; i < fields.Length; i++) fields[i] = new AnnotatedField(request.Fields[i], null, null);
        return new DecodedExchange(Generic, System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(fields), request.Problems, null, null);
    }

    private Claim FirstClaimant(Exchange exchange)
    {
        for (var i = 0; i < _adapters.Count; i++)
        {
            if (_adapters[i].Matches(exchange, out var endpoint)) return new Claim(i, endpoint);
        }
        return new Claim(-1, null);
    }

    /// <summary>The first adapter that claims the request, or -1, with its endpoint.</summary>
    private Claim Claimant(Exchange exchange)
    {
        var target = exchange.Target;
        // Method, scheme, host, port and path, each ended by a line feed: one key per endpoint. A capture could
        // put a line feed in a host or method; such a request is asked afresh rather than given another's key.
        if (exchange.Method.Contains('\n') || target.Scheme.Contains('\n') || target.Host.Contains('\n')) return FirstClaimant(exchange);
        var length = exchange.Method.Length + target.Scheme.Length + target.Host.Length + target.Path.Length + 16;
        char[]? rented = null;
        Span<char> key = length <= 256 ? stackalloc char[length] : (rented = System.Buffers.ArrayPool<char>.Shared.Rent(length));
        try
        {
            var n = 0;
            foreach (var part in (ReadOnlySpan<string>)[exchange.Method, target.Scheme, target.Host])
            {
                part.CopyTo(key[n..]);
                n += part.Length;
                key[n++] = '\n';
            }
            target.Port.TryFormat(key[n..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
            n += digits;
            key[n++] = '\n';
            target.Path.CopyTo(key[n..]);
            n += target.Path.Length;
            if (_claimsBySpan.TryGetValue(key[..n], out var known)) return known;
            var claimant = FirstClaimant(exchange);
            _claims.Remember(new string(key[..n]), claimant);
            return claimant;
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<char>.Shared.Return(rented);
        }
    }
}
