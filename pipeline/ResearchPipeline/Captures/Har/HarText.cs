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
