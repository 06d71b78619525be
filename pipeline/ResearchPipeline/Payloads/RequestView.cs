using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Payloads;

/// <summary>What a request body is, read once for every stage.</summary>
public enum BodyShape
{
    /// <summary>No body, or a body that inflates to nothing.</summary>
    None,
    Json,
    Form,
    Multipart,
    /// <summary>Printable text that is neither JSON nor a form.</summary>
    Text,
    /// <summary>Bytes that are not text and that no generic reader reads.</summary>
    Binary,
    /// <summary>A body that says what it is but cannot be read as that (a bad gzip, invalid JSON, multipart without a boundary).</summary>
    Undecodable,
}

/// <summary>
/// One request as every stage reads it, built once per exchange: the headers a reader publishes, the cookies
/// (split by one rule), the query's pairs, and the body with its content coding undone (within the limits)
/// and its shape told once. Decode flattens it to fields; identify searches its raw and inflated bytes and
/// names a place by its pairs and shape; the secrets collector reads its pairs and the fields decode produced.
/// Holds the parsed JSON body: dispose it when the exchange is done.
/// </summary>
public sealed class RequestView : IDisposable
{
    private RequestView(Exchange exchange) => Exchange = exchange;

    public Exchange Exchange { get; }

    /// <summary>Request headers other than HTTP/2 pseudo-headers (which repeat the method and URL) and Cookie (read as <see cref="Cookies"/>).</summary>
    public ImmutableArray<HttpHeader> Headers { get; private init; } = [];

    /// <summary>
    /// The cookies the capture tool listed; else those of the Cookie header(s), split at ';'. A piece without
    /// '=' is a value with an empty name, as RFC 6265bis section 5.4 reads it (and as browsers send
    /// <c>document.cookie = "token"</c>): the piece is session state, never a name to publish.
    /// </summary>
    public IReadOnlyList<HttpHeader> Cookies { get; private init; } = [];

    /// <summary>The query string's pairs (offsets into <see cref="RequestTarget.Query"/>).</summary>
    public List<FormUrlEncoding.Pair> QueryPairs { get; private init; } = [];

    /// <summary>The body as captured.</summary>
    public ReadOnlyMemory<byte> RawBody => Exchange.RequestBody;

    /// <summary>The body with its content coding undone; the raw body when it has none or it could not be undone.</summary>
    public ReadOnlyMemory<byte> Body { get; private init; }

    /// <summary>The coding steps undone ("gzip", "gzip>br"), or "" when none were.</summary>
    public string Coding { get; private init; } = "";

    public BodyShape Shape { get; private init; }

    /// <summary>True when the content coding could not be undone (<see cref="Body"/> is then the raw body).</summary>
    public bool CodingFailed { get; private init; }

    /// <summary>Why the body is <see cref="BodyShape.Undecodable"/>, as the quality row says it.</summary>
    public string? Problem { get; private init; }

    /// <summary>The Content-Type's media type, lower case, without parameters ("" when none was sent).</summary>
    public string MediaType { get; private init; } = "";

    /// <summary>The inflated body as UTF-8 text; null when it is not valid UTF-8. Made on first use: a JSON body is read as bytes.</summary>
    public string? Text
    {
        get
        {
            if (!_textKnown) (_text, _textKnown) = (Body.IsEmpty ? null : FieldCollector.Utf8Text(Body.Span), true);
            return _text;
        }
        private init => (_text, _textKnown) = (value, value is not null);
    }

    private string? _text;
    private bool _textKnown;

    /// <summary>The form text (<see cref="Text"/> without trailing newlines) and its pairs, for a <see cref="BodyShape.Form"/> body.</summary>
    public string? FormText { get; private init; }

    public List<FormUrlEncoding.Pair> FormPairs { get; private init; } = [];

    /// <summary>The parsed document of a <see cref="BodyShape.Json"/> body.</summary>
    public JsonDocument? Json { get; private init; }

    /// <summary>The delimiter of a <see cref="BodyShape.Multipart"/> body.</summary>
    public string? Boundary { get; private init; }

    /// <summary>A header <see cref="Headers"/> leaves out: a pseudo-header, or Cookie (read as <see cref="Cookies"/>).</summary>
    private static bool LeftOut(HttpHeader h) => h.Name.StartsWith(':') || h.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase);

    public static RequestView Of(Exchange exchange, DecodeLimits limits)
    {
        // The exchange's own headers where none is left out (no copy), else the rest at their number.
        var all = exchange.RequestHeaders;
        var kept = 0;
        foreach (var h in all) if (!LeftOut(h)) kept++;
        var headers = all;
        if (kept < all.Length)
        {
            var rest = new HttpHeader[kept];
            kept = 0;
            foreach (var h in all) if (!LeftOut(h)) rest[kept++] = h;
            headers = ImmutableCollectionsMarshal.AsImmutableArray(rest);
        }
        var contentType = exchange.RequestHeader("Content-Type");
        var body = Read(exchange.RequestBody, contentType, exchange.RequestHeader("Content-Encoding"), limits);
        return new RequestView(exchange)
        {
            Headers = headers,
            Cookies = CookiesOf(exchange),
            QueryPairs = exchange.Target.Query.Length > 0 ? FormUrlEncoding.Parse(exchange.Target.Query) : [],
            Body = body.Body,
            Coding = body.Coding,
            Shape = body.Shape,
            CodingFailed = body.CodingFailed,
            Problem = body.Problem,
            MediaType = body.MediaType,
            Text = body.Text,
            FormText = body.FormText,
            FormPairs = body.FormText is { } form ? FormUrlEncoding.Parse(form) : [],
            Json = body.Json,
            Boundary = body.Boundary,
        };
    }

    /// <summary>
    /// The <see cref="FormText"/> of the view <see cref="Of"/> builds, worked out alone, for the secrets of a
    /// request the run does not decode: read by the same rules, parsing JSON only where that tells JSON from a form.
    /// </summary>
    internal static string? FormTextOf(Exchange exchange, DecodeLimits limits) =>
        Read(exchange.RequestBody, exchange.RequestHeader("Content-Type"), exchange.RequestHeader("Content-Encoding"), limits, formOnly: true).FormText;

    internal static IReadOnlyList<HttpHeader> CookiesOf(Exchange exchange)
    {
        if (!exchange.RequestCookies.IsDefaultOrEmpty) return exchange.RequestCookies;
        var list = new List<HttpHeader>();
        foreach (var h in exchange.RequestHeaders)
        {
            if (!h.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var piece in h.Value.Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = piece.IndexOf('=');
                list.Add(eq < 0 ? new HttpHeader("", piece) : new HttpHeader(piece[..eq], piece[(eq + 1)..]));
            }
        }
        return list;
    }

    // A value, not an object: read once for every request, and taken apart at once.
    private readonly record struct BodyReading(ReadOnlyMemory<byte> Body, string Coding, BodyShape Shape, string MediaType)
    {
        public string? Problem { get; init; }
        public bool CodingFailed { get; init; }
        public string? Text { get; init; }
        public string? FormText { get; init; }
        public JsonDocument? Json { get; init; }
        public string? Boundary { get; init; }
    }

    /// <summary>
    /// Content coding by magic bytes, then the shape: multipart by its boundary (declared or sniffed), JSON
    /// when the type says so or the text opens like it, a form when the type says so or the text reads as
    /// pairs, else text or bytes.
    /// </summary>
    /// <param name="formOnly">
    /// Only <see cref="BodyReading.FormText"/> is wanted: a body that opens like JSON is parsed only where it also
    /// reads as pairs, and the shape of a body that is no form is then not told apart.
    /// </param>
    private static BodyReading Read(ReadOnlyMemory<byte> raw, string? contentType, string? contentEncoding, DecodeLimits limits, bool formOnly = false)
    {
        var type = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        if (raw.IsEmpty) return new BodyReading(raw, "", BodyShape.None, type);
        var decoded = ContentDecoding.Decode(raw, contentEncoding, limits);
        var coding = string.Join('>', decoded.Steps);
        if (decoded.Problem is not null) return new BodyReading(raw, coding, BodyShape.Undecodable, type) { Problem = "request body: " + decoded.Problem, CodingFailed = true };
        var body = decoded.Body;
        if (body.IsEmpty) return new BodyReading(body, coding, BodyShape.None, type);

        // The body becomes a string only where a reader needs one (a form, text): a JSON body is read as bytes.
        var isText = System.Text.Unicode.Utf8.IsValid(body.Span);
        var boundary = type == "multipart/form-data" ? MultipartFormData.Boundary(contentType) ?? MultipartFormData.SniffBoundary(body.Span) : MultipartFormData.SniffBoundary(body.Span);
        if (boundary is not null) return new BodyReading(body, coding, BodyShape.Multipart, type) { Text = isText ? FieldCollector.Utf8Text(body.Span) : null, Boundary = boundary };
        if (type == "multipart/form-data")
            return new BodyReading(body, coding, BodyShape.Undecodable, type) { Text = isText ? FieldCollector.Utf8Text(body.Span) : null, Problem = "request body: multipart/form-data without a boundary" };

        string? text = null;
        if (type.Contains("json") || isText && OpensLikeJson(body.Span, ref text))
        {
            if (formOnly)
            {
                text ??= isText ? FieldCollector.Utf8Text(body.Span) : null;
                if (text is null || !FormUrlEncoding.LooksLikeForm(text)) return new BodyReading(body, coding, BodyShape.Undecodable, type) { Text = text };
            }
            if (FieldCollector.TryJson(body, out var document, out var error))
            {
                if (!formOnly) return new BodyReading(body, coding, BodyShape.Json, type) { Json = document };
                document?.Dispose();
                return new BodyReading(body, coding, BodyShape.Json, type);
            }
            text ??= isText ? FieldCollector.Utf8Text(body.Span) : null;
            if (text is not null && FormUrlEncoding.LooksLikeForm(text))
                return new BodyReading(body, coding, BodyShape.Form, type) { Text = text, FormText = text.TrimEnd('\n') };
            return new BodyReading(body, coding, BodyShape.Undecodable, type) { Text = text, Problem = $"request body: invalid JSON: {error}" };
        }
        text ??= isText ? FieldCollector.Utf8Text(body.Span) : null;
        if (text is not null && (type == "application/x-www-form-urlencoded" || FormUrlEncoding.LooksLikeForm(text)))
            return new BodyReading(body, coding, BodyShape.Form, type) { Text = text, FormText = text.TrimEnd('\n') };
        if (text is not null && ContentDecoding.LooksLikeText(body.Span)) return new BodyReading(body, coding, BodyShape.Text, type) { Text = text };
        return new BodyReading(body, coding, BodyShape.Binary, type) { Text = text };
    }

    /// <summary>
    /// Whether the text, past leading white space, opens with '{' or '['. Read on the bytes where the white space
    /// is ASCII; a body that opens with other white space (U+00A0...) is read as a string, as .NET trims it.
    /// </summary>
    private static bool OpensLikeJson(ReadOnlySpan<byte> utf8, ref string? text)
    {
        var start = utf8.TrimStart(" \t\r\n\v\f"u8);
        if (start.IsEmpty) return false;
        if (start[0] < 0x80) return start[0] is (byte)'{' or (byte)'[';
        text = FieldCollector.Utf8Text(utf8);
        var trimmed = text!.AsSpan().TrimStart();
        return trimmed.StartsWith('{') || trimmed.StartsWith('[');
    }

    public void Dispose() => Json?.Dispose();
}
