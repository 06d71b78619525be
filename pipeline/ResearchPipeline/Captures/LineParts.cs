namespace ResearchPipeline.Captures;

/// <summary>
/// Text read from a stream a buffer at a time, in parts that end at a line's end, so that it is never held whole
/// and no line is cut: a long recording's TLS key log, a study's manifest.
/// </summary>
public static class LineParts
{
    /// <summary>
    /// The next <paramref name="length"/> bytes of <paramref name="stream"/> in parts read into <paramref name="buffer"/>:
    /// each ends after a line break, the last (<c>Last</c>) at the text's end. A line longer than the buffer is read into
    /// a larger array. A part is valid until the next is asked for; a stream that ends early gives no last part.
    /// </summary>
    public static IEnumerable<(ReadOnlyMemory<byte> Text, bool Last)> Read(Stream stream, long length, byte[] buffer)
    {
        var remaining = length;
        var held = 0;
        while (true)
        {
            if (remaining > 0)
            {
                var want = (int)Math.Min(buffer.Length - held, remaining);
                var got = stream.ReadAtLeast(buffer.AsSpan(held, want), want, throwOnEndOfStream: false);
                if (got < want) yield break;
                held += got;
                remaining -= got;
            }
            if (remaining == 0)
            {
                yield return (buffer.AsMemory(0, held), true);
                yield break;
            }
            var lineEnd = buffer.AsSpan(0, held).LastIndexOf((byte)'\n') + 1;
            if (lineEnd == 0)
            {
                var larger = new byte[2 * (long)buffer.Length > Array.MaxLength ? Array.MaxLength : 2 * buffer.Length];
                buffer.AsSpan(0, held).CopyTo(larger);
                buffer = larger;
                continue;
            }
            yield return (buffer.AsMemory(0, lineEnd), false);
            buffer.AsSpan(lineEnd, held - lineEnd).CopyTo(buffer);
            held -= lineEnd;
        }
    }
}
