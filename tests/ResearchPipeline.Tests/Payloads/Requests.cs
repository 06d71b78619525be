using System.IO.Compression;
using System.Text;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Tests.Payloads;

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
