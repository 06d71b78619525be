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
    /// <summary>
    /// The fields of the request being decoded on this thread, one list a thread reuses: the request's fields are copied
    /// out at the end, so a list grown for each request would be allocated about twice over and dropped.
    /// </summary>
    [ThreadStatic] private static List<PayloadField>? t_fields;

    /// <summary>Entries a thread's list keeps between requests at most: a request of very many fields does not hold its array after.</summary>
    private const int KeptFields = 4096;

    public static DecodedRequest Decode(RequestView view, DecodeLimits limits, IReadOnlyList<ValueHint>? hints = null)
    {
        // Taken, not shared: a decode within a decode on the same thread makes a list of its own.
        var fields = t_fields ?? [];
        t_fields = null;
        try
        {
            var collector = new FieldCollector(limits, hints ?? [], fields);

            if (view.QueryPairs.Count > 0) collector.Form(PayloadLocation.Query, "", view.QueryPairs, "form", 0);

            foreach (var h in view.Headers) collector.String(PayloadLocation.Header, KeyPaths.Header(h.Name), h.Value, "", 0);

            // By index: through the list's interface, its enumerator would be an object for every request.
            var cookies = view.Cookies;
            for (var i = 0; i < cookies.Count; i++) collector.String(PayloadLocation.Cookie, KeyPaths.Cookie(cookies[i].Name), cookies[i].Value, "", 0);

            if (!view.RawBody.IsEmpty) Body(collector, view);

            return new DecodedRequest([.. fields], [.. collector.Problems]);
        }
        finally
        {
            fields.Clear();
            if (fields.Capacity <= KeptFields) t_fields = fields;
        }
    }

    private static void Body(FieldCollector collector, RequestView view)
    {
        const PayloadLocation at = PayloadLocation.Body;
        var transforms = view.Coding;
        if (view.CodingFailed)
        {
            collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(view.RawBody.Span), transforms, view.Problem!);
            return;
        }
        var body = view.Body;
        if (body.IsEmpty) return;
        // A body in protobuf has no Content-Type that says so (app-measurement sends it as a form): the adapter says.
        if (collector.Hinted(PayloadField.WholeBody, ValueForm.Protobuf) && collector.Protobuf(at, "", body, FieldCollector.Then(transforms, "protobuf"), 0)) return;
        if (collector.Hinted(PayloadField.WholeBody, ValueForm.JsonLines) && view.Text is { } lines)
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

        switch (view.Shape)
        {
            case BodyShape.Multipart:
                Multipart(collector, body, view.Boundary!, FieldCollector.Then(transforms, "multipart"));
                return;
            case BodyShape.Json:
                collector.Json(at, "", view.Json!.RootElement, FieldCollector.Then(transforms, "json"), 0);
                return;
            case BodyShape.Form:
                collector.Form(at, "", view.FormPairs, FieldCollector.Then(transforms, "form"), 0);
                return;
            case BodyShape.Text:
                collector.String(at, PayloadField.WholeBody, view.Text!, FieldCollector.Then(transforms, "text"), 0);
                return;
            case BodyShape.Undecodable:
                collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(body.Span), transforms, view.Problem!);
                return;
            default:
                collector.Undecoded(at, PayloadField.WholeBody, FieldCollector.Describe(body.Span), transforms,
                    $"request body: binary content{(view.MediaType.Length > 0 ? " of type " + view.MediaType : "")} that no decoder reads", Severity.Info);
                return;
        }
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
