using System.Collections.Immutable;
using System.Text;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Payloads;

/// <summary>
/// The generic decode stage: every part of a request (query, headers, cookies, body) flattened to fields.
/// The body's Content-Encoding is undone by magic bytes, then it is read by its Content-Type, or by its
/// shape where the type is missing or wrong. Nothing here knows any tracker; adapters add hints only.
/// </summary>
public static class RequestDecoder
{
    public static DecodedRequest Decode(Exchange exchange, DecodeLimits limits, IReadOnlyList<ValueHint>? hints = null)
    {
        var collector = new FieldCollector(limits, hints ?? []);

        if (exchange.Target.Query.Length > 0) collector.Form(PayloadLocation.Query, "", exchange.Target.Query, "form", 0);

        foreach (var h in exchange.RequestHeaders)
        {
            // HTTP/2 pseudo-headers repeat the method and URL; cookies are read one by one below.
            if (h.Name.StartsWith(':') || h.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)) continue;
            collector.String(PayloadLocation.Header, h.Name.ToLowerInvariant(), h.Value, "", 0);
        }

        foreach (var c in Cookies(exchange)) collector.String(PayloadLocation.Cookie, c.Name, c.Value, "", 0);

        if (!exchange.RequestBody.IsEmpty) Body(collector, exchange.RequestBody, exchange.RequestHeader("Content-Type"), exchange.RequestHeader("Content-Encoding"), limits);

        return new DecodedRequest([.. collector.Fields], [.. collector.Problems]);
    }

    /// <summary>The cookies the capture tool listed; else those of the Cookie header(s), split at ';'.</summary>
    public static IEnumerable<HttpHeader> Cookies(Exchange exchange)
    {
        if (!exchange.RequestCookies.IsDefaultOrEmpty) return exchange.RequestCookies;
        var list = new List<HttpHeader>();
        foreach (var h in exchange.RequestHeaders)
        {
            if (!h.Name.Equals("Cookie", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var piece in h.Value.Split(';'))
            {
                var p = piece.Trim();
                if (p.Length == 0) continue;
                var eq = p.IndexOf('=');
                list.Add(eq < 0 ? new HttpHeader(p, "") : new HttpHeader(p[..eq], p[(eq + 1)..]));
            }
        }
        return list;
    }

    private static void Body(FieldCollector collector, ReadOnlyMemory<byte> raw, string? contentType, string? contentEncoding, DecodeLimits limits)
    {
        const PayloadLocation at = PayloadLocation.Body;
        var decoded = ContentDecoding.Decode(raw, contentEncoding, limits);
        var transforms = string.Join('>', decoded.Steps);
        if (decoded.Problem is not null)
        {
            collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(raw.Span), transforms, "request body: " + decoded.Problem);
            return;
        }
        var body = decoded.Body;
        if (body.IsEmpty) return;
        var type = (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();
        // A body in protobuf has no Content-Type that says so (app-measurement sends it as a form): the adapter says.
        if (collector.Hinted(PayloadField.WholeBody, ValueForm.Protobuf) && collector.Protobuf(at, "", body, FieldCollector.Then(transforms, "protobuf"), 0)) return;
        if (collector.Hinted(PayloadField.WholeBody, ValueForm.JsonLines) && FieldCollector.Utf8Text(body.Span) is { } lines)
        {
            var steps = FieldCollector.Then(transforms, "jsonl");
            var i = 0;
            foreach (var line in lines.Split('\n'))
            {
                if (line.Trim().Length == 0) { i++; continue; }
                var path = KeyPaths.Item("", i++);
                if (FieldCollector.TryJson(line, out var document)) using (document) collector.Json(at, path, document!.RootElement, FieldCollector.Then(steps, "json"), 0);
                else collector.String(at, path, line, steps, 0);
            }
            return;
        }

        var boundary = type == "multipart/form-data" ? MultipartFormData.Boundary(contentType) ?? MultipartFormData.SniffBoundary(body.Span) : MultipartFormData.SniffBoundary(body.Span);
        if (boundary is not null)
        {
            Multipart(collector, body, boundary, FieldCollector.Then(transforms, "multipart"));
            return;
        }
        if (type == "multipart/form-data")
        {
            collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(body.Span), transforms, "request body: multipart/form-data without a boundary");
            return;
        }

        var text = FieldCollector.Utf8Text(body.Span);
        var trimmed = text?.TrimStart() ?? "";
        var saysJson = type.Contains("json");
        if (saysJson || trimmed.StartsWith('{') || trimmed.StartsWith('['))
        {
            if (FieldCollector.TryJson(body, out var document, out var error))
            {
                using (document) collector.Json(at, "", document!.RootElement, FieldCollector.Then(transforms, "json"), 0);
                return;
            }
            if (text is not null && FormUrlEncoding.LooksLikeForm(text))
            {
                collector.Form(at, "", text.TrimEnd('\n'), FieldCollector.Then(transforms, "form"), 0);
                return;
            }
            collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(body.Span), transforms, $"request body: invalid JSON: {error}");
            return;
        }
        if (text is not null && (type == "application/x-www-form-urlencoded" || FormUrlEncoding.LooksLikeForm(text)))
        {
            collector.Form(at, "", text.TrimEnd('\n'), FieldCollector.Then(transforms, "form"), 0);
            return;
        }
        if (text is not null && ContentDecoding.LooksLikeText(body.Span))
        {
            collector.String(at, PayloadField.WholeBody, text, FieldCollector.Then(transforms, "text"), 0);
            return;
        }
        collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(body.Span), transforms,
            $"request body: binary content{(type.Length > 0 ? " of type " + type : "")} that no decoder reads", Severity.Info);
    }

    private static void Multipart(FieldCollector collector, ReadOnlyMemory<byte> body, string boundary, string transforms)
    {
        const PayloadLocation at = PayloadLocation.Body;
        var result = MultipartFormData.Parse(body, boundary);
        foreach (var part in result.Parts)
        {
            var text = part.FileName is null ? FieldCollector.Utf8Text(part.Content.Span) : null;
            if (text is not null && ContentDecoding.LooksLikeText(part.Content.Span))
                collector.String(at, part.Name, text, transforms, 0);
            else
                collector.Leaf(at, part.Name, $"{part.Content.Length} bytes{(part.FileName is null ? "" : " file " + part.FileName)}", ValueTypes.Binary, transforms);
        }
        if (result.Truncated)
        {
            var rest = body.Span[result.TruncatedAtByte..];
            collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(rest), transforms,
                $"request body: multipart/form-data truncated after {result.Parts.Count} complete part(s), at byte {result.TruncatedAtByte}");
        }
    }
}
