using System.Globalization;
using System.Text;
using System.Text.Json;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Flattens decoded documents into fields. A string value is looked at again: the adapter's hints say where
/// values are URLs or forms; JSON (an object or array written into a string, as the Facebook SDKs do for
/// <c>extinfo</c> and <c>custom_events</c>) and confident base64 are decoded on their own, down to a bounded depth.
/// </summary>
/// <param name="fields">Where the fields go, empty at the start (the caller's list, reused between requests).</param>
internal sealed class FieldCollector(DecodeLimits limits, IReadOnlyList<ValueHint> hints, List<PayloadField> fields)
{
    public List<PayloadField> Fields { get; } = fields;
    public List<DecodeProblem> Problems { get; } = [];

    private bool _overflowReported;

    /// <summary>A scalar JSON document is the whole body: its key path is <see cref="PayloadField.WholeBody"/>, never "".</summary>
    public void Leaf(PayloadLocation location, string path, string? value, string type, string transforms) =>
        Add(new PayloadField(location, path.Length == 0 ? PayloadField.WholeBody : path, value, type, transforms));

    public void Undecoded(PayloadLocation location, string path, string? value, string transforms, string problem, Severity severity = Severity.Warning)
    {
        Add(new PayloadField(location, path, value, ValueTypes.Undecoded, transforms));
        Problems.Add(new DecodeProblem(severity, problem));
    }

    /// <summary>A request with millions of keys (hostile or broken) is cut at the limit, and says so once.</summary>
    private void Add(PayloadField field)
    {
        if (Fields.Count < limits.MaxFieldsPerRequest)
        {
            Fields.Add(field);
            return;
        }
        if (_overflowReported) return;
        _overflowReported = true;
        Problems.Add(new DecodeProblem(Severity.Warning, $"request has more than {limits.MaxFieldsPerRequest} fields; fields after that were not published"));
    }

    public void Form(PayloadLocation location, string prefix, string text, string transforms, int depth) =>
        Form(location, prefix, FormUrlEncoding.Parse(text), transforms, depth);

    public void Form(PayloadLocation location, string prefix, List<FormUrlEncoding.Pair> pairs, string transforms, int depth)
    {
        foreach (var pair in pairs) String(location, KeyPaths.Raw(prefix, pair.Key), pair.Value, transforms, depth);
    }

    public void String(PayloadLocation location, string path, string value, string transforms, int depth)
    {
        if (depth < limits.MaxNestingDepth)
        {
            // Indexed: every string value of a claimed request comes here, and an interface's enumerator is an object.
            for (var h = 0; h < hints.Count; h++)
            {
                var hint = hints[h];
                if (!hint.Pattern.Matches(path)) continue;
                if (hint.Form is ValueForm.Protobuf or ValueForm.JsonLines) break;
                if (hint.Form == ValueForm.Form)
                {
                    Form(location, path, value, Then(transforms, "form"), depth + 1);
                    return;
                }
                var q = value.IndexOf('?');
                Leaf(location, path + ".path", q < 0 ? value : value[..q], ValueTypes.String, Then(transforms, "url"));
                if (q >= 0) Form(location, path + ".query", value[(q + 1)..], Then(transforms, "url"), depth + 1);
                return;
            }
            if (LooksLikeJson(value) && TryJson(value, out var document))
            {
                using (document) Json(location, path, document!.RootElement, Then(transforms, "json"), depth + 1);
                return;
            }
            if (Base64Text.TryDecode(value) is { } bytes && TryBase64(location, path, bytes, Then(transforms, "base64"), depth)) return;
        }
        Leaf(location, path, value, ValueTypes.String, transforms);
    }

    public void Json(PayloadLocation location, string path, JsonElement e, string transforms, int depth)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var any = false;
                foreach (var p in e.EnumerateObject())
                {
                    any = true;
                    Json(location, KeyPaths.Member(path, p.Name), p.Value, transforms, depth);
                }
                if (!any) Leaf(location, path, "{}", ValueTypes.EmptyObject, transforms);
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in e.EnumerateArray()) Json(location, KeyPaths.Item(path, i++), item, transforms, depth);
                if (i == 0) Leaf(location, path, "[]", ValueTypes.EmptyArray, transforms);
                break;
            case JsonValueKind.String:
                String(location, path, e.GetString()!, transforms, depth);
                break;
            case JsonValueKind.Number:
                Leaf(location, path, e.GetRawText(), ValueTypes.Number, transforms);
                break;
            case JsonValueKind.True:
            case JsonValueKind.False:
                Leaf(location, path, e.ValueKind == JsonValueKind.True ? "true" : "false", ValueTypes.Bool, transforms);
                break;
            default:
                Leaf(location, path, null, ValueTypes.Null, transforms);
                break;
        }
    }

    private bool TryBase64(PayloadLocation location, string path, byte[] bytes, string transforms, int depth)
    {
        if (ContentDecoding.IsGzip(bytes))
        {
            var inflated = ContentDecoding.Decode(bytes, null, limits);
            if (inflated.Problem is not null || inflated.Steps.Count == 0) return false;
            bytes = inflated.Body.ToArray();
            transforms = Then(transforms, "gzip");
        }
        if (Base64Text.ReadableText(bytes) is not { } text) return false;
        if (LooksLikeJson(text) && TryJson(text, out var document))
        {
            using (document) Json(location, path, document!.RootElement, Then(transforms, "json"), depth + 1);
            return true;
        }
        Leaf(location, path, text, ValueTypes.String, transforms);
        return true;
    }

    /// <summary>Whether an adapter says the value at <paramref name="path"/> is written as <paramref name="form"/>.</summary>
    public bool Hinted(string path, ValueForm form)
    {
        for (var h = 0; h < hints.Count; h++)
            if (hints[h].Form == form && hints[h].Pattern.Matches(path)) return true;
        return false;
    }

    /// <summary>
    /// A protobuf message flattened by field numbers: a nested message is <c>n[i]</c> (its i-th occurrence), a
    /// scalar <c>n</c> (or <c>n[i]</c> where the number repeats). Length-delimited bytes that read as text are text;
    /// else a well-formed message; else bytes, published as their length and first bytes.
    /// </summary>
    public bool Protobuf(PayloadLocation location, string path, ReadOnlyMemory<byte> bytes, string transforms, int depth)
    {
        var fields = new List<WireField>();
        if (!ProtobufWire.TryRead(bytes.Span, fields)) return false;
        var repeats = fields.GroupBy(f => f.Number).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet();
        var seen = new Dictionary<int, int>();
        var nested = new List<WireField>();
        foreach (var f in fields)
        {
            var n = seen.GetValueOrDefault(f.Number);
            seen[f.Number] = n + 1;
            var key = KeyPaths.Member(path, f.Number.ToString(CultureInfo.InvariantCulture));
            var scalarKey = repeats.Contains(f.Number) ? KeyPaths.Item(key, n) : key;
            if (f.WireType != 2)
            {
                Leaf(location, scalarKey, f.Scalar.ToString(CultureInfo.InvariantCulture), ValueTypes.Number, transforms);
                continue;
            }
            var slice = bytes.Slice(f.Start, f.Length);
            if (Utf8Text(slice.Span) is { } text && ContentDecoding.LooksLikeText(slice.Span))
            {
                String(location, scalarKey, text, transforms, depth + 1);
                continue;
            }
            if (depth + 1 < limits.MaxNestingDepth && ProtobufWire.TryRead(slice.Span, nested)
                && Protobuf(location, KeyPaths.Item(key, n), slice, transforms, depth + 1)) continue;
            Leaf(location, scalarKey, Describe(slice.Span), ValueTypes.Binary, transforms);
        }
        return true;
    }

    /// <summary>The decoding steps so far and one more ("gzip>form" and "json": "gzip>form>json"); few chains recur, each kept once.</summary>
    public static string Then(string transforms, string step)
    {
        if (transforms.Length == 0) return step;
        var length = transforms.Length + 1 + step.Length;
        if (length > Interned.MaxLength) return transforms + ">" + step;
        Span<char> chain = stackalloc char[length];
        transforms.CopyTo(chain);
        chain[transforms.Length] = '>';
        step.CopyTo(chain[(transforms.Length + 1)..]);
        return Interned.Of(chain);
    }

    public static bool LooksLikeJson(string s)
    {
        var t = s.AsSpan().Trim();
        return t.Length >= 2 && (t[0] == '{' && t[^1] == '}' || t[0] == '[' && t[^1] == ']');
    }

    public static bool TryJson(string s, out JsonDocument? document)
    {
        try
        {
            document = JsonDocument.Parse(s, new JsonDocumentOptions { MaxDepth = 64 });
            if (TextDecodes(document.RootElement)) return true;
            document.Dispose();
            document = null;
            return false;
        }
        catch (JsonException)
        {
            document = null;
            return false;
        }
    }

    public static bool TryJson(ReadOnlyMemory<byte> utf8, out JsonDocument? document, out string? error)
    {
        try
        {
            // JsonDocument accepts invalid UTF-8 and lone surrogate escapes inside strings and only fails when
            // a string is read; check it all here so the walk that publishes fields cannot throw halfway.
            if (!System.Text.Unicode.Utf8.IsValid(utf8.Span))
            {
                document = null;
                error = "the body is not valid UTF-8";
                return false;
            }
            document = JsonDocument.Parse(utf8, new JsonDocumentOptions { MaxDepth = 64 });
            if (!TextDecodes(document.RootElement))
            {
                document.Dispose();
                document = null;
                error = "a string holds an invalid escape (a lone surrogate)";
                return false;
            }
            error = null;
            return true;
        }
        catch (JsonException e)
        {
            document = null;
            error = e.Message;
            return false;
        }
    }

    /// <summary>True when every property name and string of the document reads as text.</summary>
    private static bool TextDecodes(JsonElement e)
    {
        try
        {
            return Walk(e);
        }
        catch (InvalidOperationException)
        {
            return false;
        }

        static bool Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Object:
                    foreach (var p in e.EnumerateObject())
                    {
                        _ = p.Name;
                        if (!Walk(p.Value)) return false;
                    }
                    return true;
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                        if (!Walk(item)) return false;
                    return true;
                case JsonValueKind.String:
                    _ = e.GetString();
                    return true;
                default:
                    return true;
            }
        }
    }

    public static string Describe(ReadOnlySpan<byte> bytes) =>
        string.Create(CultureInfo.InvariantCulture, $"{bytes.Length} bytes, starting {Convert.ToHexStringLower(bytes[..Math.Min(16, bytes.Length)])}");

    public static string? Utf8Text(ReadOnlySpan<byte> bytes)
    {
        try { return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes); }
        catch (DecoderFallbackException) { return null; }
    }
}
