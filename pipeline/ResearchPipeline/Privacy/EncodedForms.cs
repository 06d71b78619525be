using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ResearchPipeline.Privacy;

/// <summary>One way a value can stand in a published string: its name (for the leak report) and its text.</summary>
public sealed record EncodedForm(string Encoding, string Text);

/// <summary>
/// The forms a sensitive value takes when a request carries it inside another value, in every encoding the
/// decoder undoes: percent-encoded (upper and lower hex digits), form-encoded (space as '+'), JSON-escaped
/// (strictly, as System.Text.Json writes it, and relaxed, as JSON.stringify does), and base64 and
/// base64url of its UTF-8 bytes. A session cookie sent again in another request's query is published there
/// percent-encoded; searching for the value as sent would miss it.
/// </summary>
public static class EncodedForms
{
    /// <summary>The value itself first, then each encoded form that differs from every earlier one.</summary>
    public static IEnumerable<EncodedForm> Of(string value)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        EncodedForm? Form(string encoding, string text) => seen.Add(text) ? new EncodedForm(encoding, text) : null;
        var percent = Uri.EscapeDataString(value);
        var bytes = Encoding.UTF8.GetBytes(value);
        var base64 = Convert.ToBase64String(bytes).TrimEnd('=');
        // Upper and lower hex digits share their path through the search's table (it folds letter case), so
        // the second costs no memory; every other form is one more needle the length of the value.
        var forms = new[]
        {
            Form("as sent", value),
            Form("percent-encoded", percent),
            Form("percent-encoded", LowerHex(percent)),
            Form("form-encoded", percent.Replace("%20", "+", StringComparison.Ordinal)),
            // Strict as System.Text.Json and Gson write it (&, <, >, + as \u escapes), relaxed as JSON.stringify does.
            Form("JSON-escaped", JsonEscaped(value, JavaScriptEncoder.Default)),
            Form("JSON-escaped", JsonEscaped(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping)),
            // Without padding: the unpadded form also matches the padded one, and base64url is usually sent unpadded.
            Form("base64", base64),
            Form("base64url", base64.Replace('+', '-').Replace('/', '_')),
        };
        foreach (var f in forms) if (f is not null) yield return f;
    }

    /// <summary>
    /// The value as a JSON writer writes a string, without its quotes. Written as the serialiser writes it (an
    /// unpaired surrogate becomes \uFFFD, where JsonEncodedText would refuse the value), without its reflection.
    /// </summary>
    private static string JsonEscaped(string value, JavaScriptEncoder encoder)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(value.Length + 16);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = encoder, SkipValidation = true }))
            writer.WriteStringValue(value);
        return Encoding.UTF8.GetString(buffer.WrittenSpan[1..^1]);
    }

    private static string LowerHex(string percent)
    {
        var chars = percent.ToCharArray();
        for (var i = 0; i + 2 < chars.Length; i++)
        {
            if (chars[i] != '%') continue;
            chars[i + 1] = char.ToLowerInvariant(chars[i + 1]);
            chars[i + 2] = char.ToLowerInvariant(chars[i + 2]);
        }
        return new string(chars);
    }
}
