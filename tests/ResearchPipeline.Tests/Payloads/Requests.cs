using System.IO.Compression;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Identity;
using ResearchPipeline.Payloads;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Tests.Payloads;

/// <summary>One request read the way a run reads it: one view, handed to each stage.</summary>
internal static class OneReading
{
    public static DecodedExchange Decode(this TrackerDecoders decoders, Exchange exchange, DecodeLimits limits)
    {
        using var view = RequestView.Of(exchange, limits);
        return decoders.Decode(view, limits);
    }

    public static DecodedRequest Decode(Exchange exchange, DecodeLimits limits)
    {
        using var view = RequestView.Of(exchange, limits);
        return RequestDecoder.Decode(view, limits);
    }

    /// <summary>What identify finds in a request that decode read with every adapter, as CaptureParse runs them.</summary>
    public static IReadOnlyList<IdentifierMatch> Find(this IdentifierMatcher matcher, Exchange exchange)
    {
        var limits = DecodeLimits.From(ReadLimits.Default);
        using var view = RequestView.Of(exchange, limits);
        return matcher.Find(view, [.. TrackerDecoders.All.Decode(view, limits).Fields.Select(a => a.Field)]);
    }

    public static List<SensitiveValue> Sensitive(Exchange exchange)
    {
        var limits = DecodeLimits.From(ReadLimits.Default);
        using var view = RequestView.Of(exchange, limits);
        var found = new List<SensitiveValue>();
        SensitiveValues.AddIn(view, [.. TrackerDecoders.All.Decode(view, limits).Fields.Select(a => a.Field)], found);
        return found;
    }
}

/// <summary>Builds requests as an SDK would send them, for decoder tests.</summary>
internal static class Requests
{
    public static Exchange Make(string method, string url, byte[]? body = null, params (string Name, string Value)[] headers) => new()
    {
        Ordinal = 0,
        Method = method,
        Target = RequestTarget.TryParse(url)!,
        RequestHeaders = [.. headers.Select(h => new HttpHeader(h.Name, h.Value))],
        RequestBody = body ?? [],
    };

    public static byte[] Gzip(string text) => Gzip(Encoding.UTF8.GetBytes(text));

    public static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Optimal)) gz.Write(bytes);
        return output.ToArray();
    }

    public static byte[] Zlib(string text)
    {
        using var output = new MemoryStream();
        using (var z = new ZLibStream(output, CompressionLevel.Optimal)) z.Write(Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }

    public static byte[] Brotli(string text)
    {
        using var output = new MemoryStream();
        using (var b = new BrotliStream(output, CompressionLevel.Optimal)) b.Write(Encoding.UTF8.GetBytes(text));
        return output.ToArray();
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
