using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace ResearchPipeline.Captures.Har;

/// <summary>Turns a HAR <c>text</c> field back into the bytes that were on the wire.</summary>
internal static class HarText
{
    public static byte[] ToBytes(string text, string? encoding, out string? error)
    {
        error = null;
        if (string.Equals(encoding, "base64", StringComparison.OrdinalIgnoreCase))
        {
            var buffer = new byte[text.Length / 4 * 3 + 3];
            if (Convert.TryFromBase64String(text, buffer, out var written)) return buffer.AsSpan(0, written).ToArray();
            error = "content.encoding is base64 but the text is not valid base64; kept as text";
        }
        return LooksLikeLatin1MappedBinary(text) ? Latin1(text) : Encoding.UTF8.GetBytes(text);
    }

    /// <summary>
    /// The common cases of <see cref="ToBytes"/> straight from the text's UTF-8 bytes, without a string: canonical
    /// base64 (alphabet only, padded to a multiple of four), and text that cannot be Latin-1-mapped binary (no C1
    /// control, U+0080-U+009F, which UTF-8 writes as C2 80-C2 9F), which is its own UTF-8. False where
    /// <see cref="ToBytes"/> must decide.
    /// </summary>
    public static bool TryToBytes(ReadOnlySpan<byte> utf8, bool base64, out byte[] bytes) => TryDecode(utf8, base64, keep: true, out bytes, out _);

    /// <summary>The length of what <see cref="TryToBytes"/> would give, found without keeping the bytes; false where it would be.</summary>
    public static bool TryMeasure(ReadOnlySpan<byte> utf8, bool base64, out int length) => TryDecode(utf8, base64, keep: false, out _, out length);

    private static bool TryDecode(ReadOnlySpan<byte> utf8, bool base64, bool keep, out byte[] bytes, out int length)
    {
        bytes = [];
        length = 0;
        if (base64)
        {
            var padding = utf8.Length - utf8.TrimEnd((byte)'=').Length;
            if (utf8.Length % 4 != 0 || padding > 2 || utf8[..^padding].ContainsAnyExcept(Base64Alphabet)) return false;
            length = utf8.Length / 4 * 3 - padding;
            // Decoded whether kept or not: what decodes is what counts.
            var into = keep ? bytes = new byte[length] : ArrayPool<byte>.Shared.Rent(length);
            try
            {
                return Base64.DecodeFromUtf8(utf8, into.AsSpan(0, length), out var consumed, out var written) == OperationStatus.Done
                    && consumed == utf8.Length && written == length;
            }
            finally
            {
                if (!keep) ArrayPool<byte>.Shared.Return(into);
            }
        }
        for (var i = utf8.IndexOf((byte)0xC2); i >= 0; )
        {
            if (i + 1 < utf8.Length && utf8[i + 1] is >= 0x80 and <= 0x9F) return false;
            var next = utf8[(i + 1)..].IndexOf((byte)0xC2);
            i = next < 0 ? -1 : i + 1 + next;
        }
        length = utf8.Length;
        if (keep) bytes = utf8.ToArray();
        return true;
    }

    private static readonly SearchValues<byte> Base64Alphabet =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"u8);

    /// <summary>
    /// Some tools store binary bodies as a string with one character per byte (U+0000-U+00FF). Real text
    /// almost never contains C1 control characters (U+0080-U+009F), while such binary nearly always does
    /// (the gzip magic is 1F 8B); so: every character fits a byte, and one is a C1 control or the text opens
    /// with the gzip magic.
    /// </summary>
    private static bool LooksLikeLatin1MappedBinary(string text)
    {
        var sawC1 = false;
        foreach (var c in text)
        {
            if (c > '\u00FF') return false;
            if (c is >= '\u0080' and <= '\u009F') sawC1 = true;
        }
        return sawC1 || (text.Length >= 2 && text[0] == '\u001F' && text[1] == '\u008B');
    }

    private static byte[] Latin1(string text)
    {
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++) bytes[i] = (byte)text[i];
        return bytes;
    }
}
