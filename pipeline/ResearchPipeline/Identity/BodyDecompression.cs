using System.IO.Compression;

namespace ResearchPipeline.Identity;

/// <summary>
/// Undoes a request body's content coding (gzip, deflate, br) so identifiers inside it can be found, never
/// producing more than a given number of bytes (a small compressed body can expand without bound).
/// Capture tools disagree on whether they store bodies decoded: the quizduel HAR keeps the
/// <c>Content-Encoding: gzip</c> header beside an already-decoded form text, so the bytes decide, not the header.
/// </summary>
public static class BodyDecompression
{
    /// <summary>The coding undone ("gzip", "deflate", "br") and the bytes; null when the body is not compressed or does not decode.</summary>
    public static (string Coding, byte[] Bytes)? TryDecode(ReadOnlyMemory<byte> body, string? contentEncoding, long maxBytes)
    {
        var span = body.Span;
        if (span.Length < 2) return null;
        if (span[0] == 0x1f && span[1] == 0x8b) return Run("gzip", body, s => new GZipStream(s, CompressionMode.Decompress), maxBytes);
        var coding = contentEncoding?.Trim().ToLowerInvariant();
        // zlib-wrapped deflate (RFC 1950) starts with CMF 0x78; raw deflate has no signature, so the header must say so.
        var zlib = span[0] == 0x78 && (span[0] * 256 + span[1]) % 31 == 0;
        if (zlib) return Run("deflate", body, s => new ZLibStream(s, CompressionMode.Decompress), maxBytes);
        if (coding == "deflate") return Run("deflate", body, s => new DeflateStream(s, CompressionMode.Decompress), maxBytes);
        if (coding == "br") return Run("br", body, s => new BrotliStream(s, CompressionMode.Decompress), maxBytes);
        return null;
    }

    private static (string, byte[])? Run(string coding, ReadOnlyMemory<byte> body, Func<Stream, Stream> open, long maxBytes)
    {
        try
        {
            using var input = open(new ReadOnlyMemoryStream(body));
            using var output = new MemoryStream();
            var buffer = new byte[81920];
            int n;
            while ((n = input.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (output.Length + n > maxBytes) return null;
                output.Write(buffer, 0, n);
            }
            return output.Length == 0 ? null : (coding, output.ToArray());
        }
        // BrotliStream reports corrupt input as InvalidOperationException, the others as InvalidDataException.
        catch (Exception e) when (e is InvalidDataException or IOException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>A read-only stream over memory the caller keeps, without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => memory.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
