using System.IO.Compression;
using System.Net;
using System.Text;
using CaptureLab.Sdk;

namespace CaptureLab.Wire;

/// <summary>How a request's body is written.</summary>
public abstract record Body;

/// <summary>iOS: a JSON object whose values are all strings, gzip-compressed (wire-format doc 1.1).</summary>
public sealed record IosJsonBody(IReadOnlyList<Param> Params) : Body;

/// <summary>Android: key=URLEncoded(value)&amp;… with a trailing '&amp;', gzip-compressed (wire-format doc 1.2).</summary>
public sealed record AndroidFormBody(IReadOnlyList<Param> Params) : Body;

/// <summary>A third party's body, sent as given (no ground truth is kept for it).</summary>
public sealed record RawBody(byte[] Bytes, string ContentType) : Body;

/// <summary>
/// One request of a demonstration session. <paramref name="Truthful"/> requests (those to Meta hosts) have every
/// field they carry written to the ground truth; <paramref name="Note"/> says in words why the app sends it.
/// </summary>
public sealed record LabRequest(
    Platform Platform,
    string Method,
    string BaseUrl,
    IReadOnlyList<Param> Query,
    Body? Body,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    bool Chunked,
    bool Truthful,
    string Note)
{
    public string QueryString => string.Join('&', Query.Select(p =>
        $"{Encode(p.Name)}={Encode(p.WireValue(Platform))}"));

    public string Url => Query.Count == 0 ? BaseUrl : $"{BaseUrl}?{QueryString}";

    private string Encode(string s) => Platform == Platform.Ios ? Percent.Ios(s) : Percent.AndroidUri(s);

    public IEnumerable<TruthField> TruthFields()
    {
        if (!Truthful) return [];
        var bodyParams = Body switch
        {
            IosJsonBody ios => ios.Params,
            AndroidFormBody android => android.Params,
            _ => [],
        };
        var fields = Query.SelectMany(p => Truth.Flatten(p, Platform, "query")).Concat(bodyParams.SelectMany(BatchAware)).ToList();
        // Every field sent to Meta is named: a field without a name would silently drop out of the truth's scoring.
        if (fields.FirstOrDefault(f => f.Semantic.Length == 0) is { } unnamed)
            throw new InvalidOperationException($"{Method} {BaseUrl}: {unnamed.Location} {unnamed.KeyPath} has no semantic in the lab's script");
        return fields;
    }

    /// <summary>
    /// A batch's items are requests of their own: relative_url is the item's Graph path, then '?' and its
    /// parameters (iOS, wire-format doc 1.3), so the truth names the path and each parameter of the query.
    /// </summary>
    private IEnumerable<TruthField> BatchAware(Param p)
    {
        if (p is not { Name: "batch", Value: BatchItems items })
        {
            foreach (var f in Truth.Flatten(p, Platform, "body")) yield return f;
            yield break;
        }
        for (var i = 0; i < items.Requests.Count; i++)
        {
            var item = items.Requests[i];
            var prefix = $"batch[{i}]";
            yield return new TruthField("body", $"{prefix}.relative_url.path", S.BatchItemPath, item.Path);
            yield return new TruthField("body", $"{prefix}.method", S.BatchItemMethod, item.Method);
            foreach (var q in item.Params)
            {
                foreach (var f in Truth.Flatten(q, Platform, "body", $"{prefix}.relative_url.query.")) yield return f;
            }
        }
    }

    public byte[]? BodyBytes() => Body switch
    {
        IosJsonBody ios => Gzip(IosJson(ios.Params)),
        AndroidFormBody android => Gzip(string.Concat(android.Params.Select(p => $"{Percent.JavaForm(p.Name)}={Percent.JavaForm(p.WireValue(Platform.Android))}&"))),
        RawBody raw => raw.Bytes,
        _ => null,
    };

    private string IosJson(IReadOnlyList<Param> ps) =>
        JsonText.Write(new JsonObject(ps.Select(p => new KeyValuePair<string, Node>(p.Name, new Leaf(p.WireValue(Platform.Ios), ""))).ToList()));

    private static byte[] Gzip(string text)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(Encoding.UTF8.GetBytes(text));
        }
        return buffer.ToArray();
    }

    public HttpRequestMessage ToHttp(Version httpVersion)
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), new Uri(Url))
        {
            Version = httpVersion,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        foreach (var (name, value) in Headers) message.Headers.TryAddWithoutValidation(name, value);
        var bytes = BodyBytes();
        if (bytes is not null)
        {
            message.Content = new ByteArrayContent(bytes);
            var contentType = Body is RawBody raw ? raw.ContentType : Body is IosJsonBody ? "application/json" : "application/x-www-form-urlencoded";
            message.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            if (Body is not RawBody) message.Content.Headers.TryAddWithoutValidation("Content-Encoding", "gzip");
        }
        // HTTP/2 frames its bodies itself: chunked transfer coding exists only in HTTP/1.1.
        if (Chunked && httpVersion == HttpVersion.Version11) message.Headers.TransferEncodingChunked = true;
        return message;
    }
}

/// <summary>The items of an iOS batch request; written as the JSON-string value of <c>batch</c>.</summary>
public sealed record BatchItems(IReadOnlyList<BatchItem> Requests) : Node;

/// <summary>One batch item: POST parameters go into <c>relative_url</c>'s query, not a body (wire-format doc 1.3).</summary>
public sealed record BatchItem(string Method, string Path, IReadOnlyList<Param> Params)
{
    public string RelativeUrl => Params.Count == 0 ? Path : $"{Path}?{string.Join('&', Params.Select(p => $"{Percent.Ios(p.Name)}={Percent.Ios(p.WireValue(Platform.Ios))}"))}";
}
