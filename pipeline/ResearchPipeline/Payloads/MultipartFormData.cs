using System.Text;

namespace ResearchPipeline.Payloads;

/// <summary>
/// <c>multipart/form-data</c> (RFC 7578), as the iOS SDK (&lt;= 4.30, or with attachments) and the Android
/// SDK (with attachments) send it. Parts read whole are kept even when the body ends early; what follows
/// the last complete part is reported as truncated.
/// </summary>
public static class MultipartFormData
{
    public sealed record Part(string Name, string? FileName, string? ContentType, ReadOnlyMemory<byte> Content);

    public sealed record Result(List<Part> Parts, bool Truncated, int TruncatedAtByte);

    public static string? Boundary(string? contentType)
    {
        if (contentType is null) return null;
        foreach (var piece in contentType.Split(';'))
        {
            var p = piece.Trim();
            if (p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase)) return p[9..].Trim('"');
        }
        return null;
    }

    /// <summary>The boundary of a body whose first line is a delimiter (<c>--xyz</c>), for a missing Content-Type.</summary>
    public static string? SniffBoundary(ReadOnlySpan<byte> body)
    {
        if (body.Length < 4 || body[0] != '-' || body[1] != '-') return null;
        var eol = body.IndexOf("\r\n"u8);
        if (eol < 3 || eol > 72) return null;
        var boundary = Encoding.ASCII.GetString(body[2..eol]);
        return body.IndexOf(Encoding.ASCII.GetBytes("Content-Disposition")) > 0 ? boundary : null;
    }

    public static Result Parse(ReadOnlyMemory<byte> body, string boundary)
    {
        var parts = new List<Part>();
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var span = body.Span;
        var at = span.IndexOf(delimiter);
        if (at < 0) return new Result(parts, true, 0);
        while (true)
        {
            var afterDelimiter = at + delimiter.Length;
            if (span.Length >= afterDelimiter + 2 && span[afterDelimiter] == '-' && span[afterDelimiter + 1] == '-')
                return new Result(parts, false, 0);
            var headersStart = SkipLineEnd(span, afterDelimiter);
            var headersEnd = span[headersStart..].IndexOf("\r\n\r\n"u8);
            if (headersEnd < 0) return new Result(parts, true, at);
            var contentStart = headersStart + headersEnd + 4;
            var next = span[contentStart..].IndexOf(Concat("\r\n"u8, delimiter));
            if (next < 0) return new Result(parts, true, at);
            var headers = Encoding.UTF8.GetString(span[headersStart..(headersStart + headersEnd)]);
            var (name, fileName, contentType) = ReadHeaders(headers);
            parts.Add(new Part(name ?? $"part{parts.Count}", fileName, contentType, body.Slice(contentStart, next)));
            at = contentStart + next + 2;
        }
    }

    private static int SkipLineEnd(ReadOnlySpan<byte> span, int i)
    {
        while (i < span.Length && (span[i] == ' ' || span[i] == '\t')) i++;
        if (i + 1 < span.Length && span[i] == '\r' && span[i + 1] == '\n') return i + 2;
        return i;
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, byte[] b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r, a.Length);
        return r;
    }

    private static (string? Name, string? FileName, string? ContentType) ReadHeaders(string headers)
    {
        string? name = null, fileName = null, contentType = null;
        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':');
            if (colon < 0) continue;
            var header = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (header.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)) contentType = value;
            if (!header.Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase)) continue;
            foreach (var piece in value.Split(';'))
            {
                var p = piece.Trim();
                if (p.StartsWith("name=", StringComparison.OrdinalIgnoreCase)) name = p[5..].Trim('"');
                else if (p.StartsWith("filename=", StringComparison.OrdinalIgnoreCase)) fileName = p[9..].Trim('"');
            }
        }
        return (name, fileName, contentType);
    }
}
