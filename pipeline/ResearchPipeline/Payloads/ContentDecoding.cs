using System.Buffers;
using System.IO.Compression;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Undoes a body's Content-Encoding. The header is a hint, not the truth: capture tools often store the
/// body already decompressed but keep <c>Content-Encoding: gzip</c> (cyanoacrylate, mitmproxy HAR export),
/// and some senders compress without saying so. gzip and zlib are recognised by their magic bytes; brotli
/// has none, so it is tried only when the header names it and the bytes are not already text.
/// </summary>
public static class ContentDecoding
{
    public sealed record Result(ReadOnlyMemory<byte> Body, IReadOnlyList<string> Steps, string? Problem);

    public static Result Decode(ReadOnlyMemory<byte> body, string? contentEncoding, DecodeLimits limits)
    {
        var steps = new List<string>();
        var declared = (contentEncoding ?? "").ToLowerInvariant();
        // Layers are undone while magic bytes say so; three layers is already more than any real sender uses.
        for (var layer = 0; layer < 3; layer++)
        {
            var span = body.Span;
            string? step = null;
            Func<Stream, Stream>? open = null;
            if (IsGzip(span)) (step, open) = ("gzip", s => new GZipStream(s, CompressionMode.Decompress));
            else if (IsZlib(span)) (step, open) = ("deflate", s => new ZLibStream(s, CompressionMode.Decompress));
            else if (layer == 0 && declared.Contains("deflate") && !LooksLikeText(span)) (step, open) = ("deflate", s => new DeflateStream(s, CompressionMode.Decompress));
            else if (layer == 0 && declared.Contains("br") && !LooksLikeText(span)) (step, open) = ("br", s => new BrotliStream(s, CompressionMode.Decompress));
            if (step is null || open is null) break;

            var cap = limits.MaxDecompressedBytes(body.Length);
            var (output, error) = Inflate(body, open, cap);
            // .NET inflates a cut-off stream without complaint; gzip's trailer says how long the data was (mod 2^32).
            if (error is null && step == "gzip" && body.Length >= 18 && BitConverter.ToUInt32(body.Span[^4..]) != (uint)output.Length)
                error = $"truncated or corrupt: the gzip trailer says {BitConverter.ToUInt32(body.Span[^4..])} bytes, {output.Length} were inflated";
            if (error is not null) return new Result(body, steps, $"{step} body could not be decompressed: {error}");
            steps.Add(step);
            body = output;
        }
        return new Result(body, steps, null);
    }

    public static bool IsGzip(ReadOnlySpan<byte> b) => b.Length >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 0x08;

    /// <summary>RFC 1950 header: CM=8 in the low nibble, window size at most 32K, and the check bits.</summary>
    public static bool IsZlib(ReadOnlySpan<byte> b) => b.Length >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 && ((b[0] << 8) | b[1]) % 31 == 0;

    /// <summary>True when the first bytes are printable text, as an already-decompressed body would be.</summary>
    public static bool LooksLikeText(ReadOnlySpan<byte> b)
    {
        var n = Math.Min(b.Length, 64);
        if (n == 0) return true;
        for (var i = 0; i < n; i++)
        {
            var c = b[i];
            if (c < 0x09 || (c > 0x0d && c < 0x20) || c == 0x7f) return false;
        }
        return true;
    }

    private static (ReadOnlyMemory<byte> Output, string? Error) Inflate(ReadOnlyMemory<byte> body, Func<Stream, Stream> open, long cap)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(81920);
        try
        {
            // Read in place: the compressed bytes are not copied first.
            using var input = System.Runtime.InteropServices.MemoryMarshal.TryGetArray(body, out var segment)
                ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
                : new MemoryStream(body.ToArray(), writable: false);
            using var decompressor = open(input);
            using var output = new MemoryStream();
            while (true)
            {
                var n = decompressor.Read(buffer, 0, buffer.Length);
                if (n == 0) break;
                if (output.Length + n > cap)
                    return (default, $"decompressed size exceeds the cap of {cap} bytes ({body.Length} bytes compressed; limits: body {cap} bytes, ratio)");
                output.Write(buffer, 0, n);
            }
            // The stream's own buffer, not a copy of it: nothing writes to it once returned.
            return (output.GetBuffer().AsMemory(0, (int)output.Length), null);
        }
        // BrotliStream reports corrupt input as InvalidOperationException, the others as InvalidDataException.
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or InvalidOperationException)
        {
            return (default, e.Message);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
