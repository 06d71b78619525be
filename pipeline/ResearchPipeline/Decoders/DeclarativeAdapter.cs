using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CsvHelper;
using ResearchPipeline.Captures;
using ResearchPipeline.Payloads;

namespace ResearchPipeline.Decoders;

/// <summary>
/// A tracker declared by files, not code: a folder <c>Decoders/Trackers/&lt;name&gt;/</c> holding
/// <c>hosts*.csv</c> (the hosts it receives on: a host and its subdomains), <c>endpoints*.csv</c> (request kinds by
/// method and URL pattern), <c>semantics*.csv</c> (what each key path means, a source per row) and optionally
/// <c>hints*.csv</c> (values whose encoding their shape does not say). Files are read in ordinal name order, so
/// hand-written <c>semantics.csv</c> rows come before the generated <c>semantics.trackhar.csv</c> ones.
/// </summary>
public sealed class DeclarativeAdapter : ITrackerAdapter
{
    /// <summary>A request kind: method (null = any) and a pattern over <c>scheme://host[:port]/path</c>, query left out.</summary>
    public sealed record EndpointRule(string Name, string? Method, Regex Url, string Source);

    /// <summary>A host (and its subdomains) the tracker receives on.</summary>
    public sealed record Host(string Name, string Source);

    /// <summary>A value encoding that holds in requests to one endpoint (or <c>*</c>, all of them).</summary>
    public sealed record EndpointHint(string Endpoint, ValueHint Hint);

    public const string OtherEndpoint = "other";
    public const string ResourcePrefix = "Decoders/Trackers/";

    private readonly HashSet<string> _hostNames;
    private readonly HashSet<string>.AlternateLookup<ReadOnlySpan<char>> _hostLookup;

    public DeclarativeAdapter(string name, IReadOnlyList<Host> hosts, IReadOnlyList<EndpointRule> endpoints, IReadOnlyList<EndpointHint> hints, SemanticDictionary semantics)
    {
        Name = name;
        Hosts = hosts;
        Endpoints = endpoints;
        Hints = hints;
        Semantics = semantics;
        _hostNames = hosts.Select(h => h.Name).ToHashSet(StringComparer.Ordinal);
        _hostLookup = _hostNames.GetAlternateLookup<ReadOnlySpan<char>>();
        _hintsByEndpoint = HintsByEndpoint(hints);
        _hintsForAll = [.. hints.Where(h => h.Endpoint == "*").Select(h => h.Hint)];
        // One pass over a URL answers whether any endpoint could match: most requests belong to no tracker.
        _anyEndpoint = endpoints.Count == 0 ? null
            : new Regex(string.Join("|", endpoints.Select(e => $"(?:{e.Url})")), RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(1));
    }

    private readonly Regex? _anyEndpoint;
    private readonly Dictionary<string, ValueHint[]> _hintsByEndpoint;
    private readonly ValueHint[] _hintsForAll;

    public string Name { get; }
    public IReadOnlyList<Host> Hosts { get; }
    public IReadOnlyList<EndpointRule> Endpoints { get; }
    public IReadOnlyList<EndpointHint> Hints { get; }
    public SemanticDictionary Semantics { get; }

    /// <summary>A request to one of its hosts or subdomains, or to one of its endpoint URLs.</summary>
    public bool Matches(Exchange exchange, out string? endpoint)
    {
        var byHost = ClaimsHost(exchange.Target.Host);
        // A URL no endpoint pattern could match is "other" without trying each pattern.
        endpoint = _anyEndpoint is null || !AnyEndpoint(exchange.Target) ? OtherEndpoint : EndpointOf(exchange);
        return byHost || endpoint != OtherEndpoint;
    }

    private bool AnyEndpoint(RequestTarget target)
    {
        using var url = new UrlText(target);
        return _anyEndpoint!.IsMatch(url.Span);
    }

    public IReadOnlyList<ValueHint> HintsFor(string? endpoint) =>
        endpoint is not null && _hintsByEndpoint.TryGetValue(endpoint, out var hints) ? hints : _hintsForAll;

    /// <summary>
    /// The hints of each endpoint a hint names (its own and those for all, in the files' order), made once: every
    /// request the adapter claims asks for them.
    /// </summary>
    private static Dictionary<string, ValueHint[]> HintsByEndpoint(IReadOnlyList<EndpointHint> hints) =>
        hints.Select(h => h.Endpoint).Where(e => e != "*").Distinct(StringComparer.Ordinal).ToDictionary(
            e => e, e => hints.Where(h => h.Endpoint == "*" || h.Endpoint == e).Select(h => h.Hint).ToArray(), StringComparer.Ordinal);

    public bool ClaimsHost(string host)
    {
        // Every adapter asks this of every request: the host's suffixes are looked up as spans, not cut into strings.
        for (var h = host.AsSpan(); h.Length > 0;)
        {
            if (_hostLookup.Contains(h)) return true;
            var dot = h.IndexOf('.');
            if (dot < 0) return false;
            h = h[(dot + 1)..];
        }
        return false;
    }

    public string EndpointOf(Exchange exchange)
    {
        using var url = new UrlText(exchange.Target);
        foreach (var e in Endpoints)
        {
            if (e.Method is not null && !string.Equals(e.Method, exchange.Method, StringComparison.OrdinalIgnoreCase)) continue;
            if (e.Url.IsMatch(url.Span)) return e.Name;
        }
        return OtherEndpoint;
    }

    /// <summary>
    /// The URL without its query, <c>scheme://host[:port]/path</c> (the port only where it is not the scheme's),
    /// which endpoint patterns are written against; in a pooled buffer, as every adapter matches every request.
    /// </summary>
    private readonly ref struct UrlText
    {
        private readonly char[] _buffer;

        public UrlText(RequestTarget t)
        {
            _buffer = System.Buffers.ArrayPool<char>.Shared.Rent(t.Scheme.Length + 3 + t.Host.Length + 6 + t.Path.Length);
            var span = _buffer.AsSpan();
            var n = 0;
            t.Scheme.CopyTo(span[n..]); n += t.Scheme.Length;
            "://".CopyTo(span[n..]); n += 3;
            t.Host.CopyTo(span[n..]); n += t.Host.Length;
            if (t.Port != RequestTarget.DefaultPort(t.Scheme))
            {
                span[n++] = ':';
                t.Port.TryFormat(span[n..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
                n += digits;
            }
            t.Path.CopyTo(span[n..]); n += t.Path.Length;
            Span = _buffer.AsSpan(0, n);
        }

        public ReadOnlySpan<char> Span { get; }

        public void Dispose() => System.Buffers.ArrayPool<char>.Shared.Return(_buffer);
    }

    public DecodedExchange Annotate(Exchange exchange, DecodedRequest request, string? endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint, "endpoint: as Matches gave it");
        // Only rules with a 'when' ask for a sibling's value: the request's parameters are gathered on the first
        // such question, and the one delegate serves every field.
        Dictionary<string, string?>? parameters = null;
        Func<string, string?> valueOf = key =>
        {
            if (parameters is null)
            {
                parameters = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var f in request.Fields)
                    if (f.Location is PayloadLocation.Query or PayloadLocation.Body) parameters.TryAdd(f.KeyPath, f.Value);
            }
            return parameters.TryGetValue(key, out var v) ? v : null;
        };
        var annotated = new AnnotatedField[request.Fields.Length];
        for (var i = 0; i < annotated.Length; i++)
        {
            var f = request.Fields[i];
            var location = f.Location switch
            {
                PayloadLocation.Header => "header",
                PayloadLocation.Cookie => "cookie",
                _ => "param",
            };
            var rule = Semantics.Find(endpoint, location, f.KeyPath, f.Value, valueOf);
            var type = rule?.NotSentValue is { } placeholder && f.Value == placeholder ? ValueTypes.NotSent : f.ValueType;
            annotated[i] = new AnnotatedField(f, endpoint, rule?.Meaning) { ValueType = type };
        }
        return new DecodedExchange(Name, ImmutableCollectionsMarshal.AsImmutableArray(annotated), request.Problems, null, null);
    }

    /// <summary>Every tracker folder embedded in the build, in ordinal order of their names.</summary>
    public static IReadOnlyList<DeclarativeAdapter> LoadAll(Vocabulary vocabulary)
    {
        var assembly = typeof(DeclarativeAdapter).Assembly;
        var byFolder = assembly.GetManifestResourceNames()
            .Select(n => n.Replace('\\', '/'))
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .GroupBy(n => n[ResourcePrefix.Length..n.LastIndexOf('/')], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal);
        var adapters = new List<DeclarativeAdapter>();
        foreach (var folder in byFolder)
        {
            Stream Open(string resource) => assembly.GetManifestResourceStream(resource)!;
            var files = folder.Order(StringComparer.Ordinal).ToList();
            IEnumerable<string> Of(string kind) => files.Where(f => Path.GetFileName(f).StartsWith(kind, StringComparison.Ordinal));
            var hosts = Of("hosts").SelectMany(f => ReadHosts(Open(f), f)).ToList();
            var endpoints = Of("endpoints").SelectMany(f => ReadEndpoints(Open(f), f)).ToList();
            var hints = Of("hints").SelectMany(f => ReadHints(Open(f), f)).ToList();
            var rules = Of("semantics").SelectMany(f => SemanticDictionary.Read(Open(f), f, vocabulary).Rules).ToList();
            if (hosts.Count == 0) throw new InvalidDataException($"{ResourcePrefix}{folder.Key}: no hosts.csv, so the adapter would claim nothing");
            adapters.Add(new DeclarativeAdapter(folder.Key, hosts, endpoints, hints, new SemanticDictionary(rules)));
        }
        return adapters;
    }

    private static IEnumerable<Host> ReadHosts(Stream csv, string name)
    {
        using var reader = Reader(csv);
        while (reader.Read())
            yield return new Host(Required(reader, "host", name).ToLowerInvariant(), Required(reader, "source", name));
    }

    private static IEnumerable<EndpointRule> ReadEndpoints(Stream csv, string name)
    {
        using var reader = Reader(csv);
        while (reader.Read())
        {
            var method = Required(reader, "method", name);
            var url = Required(reader, "url", name);
            Regex regex;
            try { regex = new Regex(url, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
            catch (ArgumentException e) { throw new InvalidDataException($"{name} line {reader.LineNumber}: url is not a regular expression: {e.Message}"); }
            yield return new EndpointRule(Required(reader, "endpoint", name), method == "*" ? null : method, regex, Required(reader, "source", name));
        }
    }

    private static IEnumerable<EndpointHint> ReadHints(Stream csv, string name)
    {
        using var reader = Reader(csv);
        while (reader.Read())
        {
            var form = Required(reader, "form", name) switch
            {
                "url" => ValueForm.Url,
                "form" => ValueForm.Form,
                "protobuf" => ValueForm.Protobuf,
                "jsonl" => ValueForm.JsonLines,
                var other => throw new InvalidDataException($"{name} line {reader.LineNumber}: form must be url, form, protobuf or jsonl, found '{other}'"),
            };
            yield return new EndpointHint(Required(reader, "endpoint", name), new ValueHint(new KeyPattern(Required(reader, "key_pattern", name)), form, Required(reader, "source", name)));
        }
    }

    private static CsvReader Reader(Stream csv) =>
        CsvReader.Create(csv, new CsvReaderOptions { TrimWhitespace = true, CommentPrefix = '#', TrackLineNumbers = true });

    private static string Required(CsvReader reader, string column, string name) =>
        reader.GetStringOrNull(column) is { Length: > 0 } v ? v : throw new InvalidDataException($"{name} line {reader.LineNumber}: column '{column}' is empty");
}
