using System.Text;
using System.Text.Json;
using CsCheck;
using ResearchPipeline.Captures.Har;

namespace ResearchPipeline.Tests.Captures;

/// <summary>
/// The HAR reader's own undoing of a string's escapes gives the bytes the JSON reader's copy gives, and declines
/// where the reader's copy refuses (half a surrogate pair), so the bodies read are the same bytes.
/// </summary>
public class HarUnescapeTests
{
    [Test]
    public void Every_escaped_string_of_the_shared_hars_unescapes_to_the_readers_copy()
    {
        var strings = 0;
        var escapes = 0;
        foreach (var file in Directory.GetFiles(Path.Combine(TestFiles.Captures, "har"), "*.har").Order(StringComparer.Ordinal))
        {
            var json = File.ReadAllBytes(file);
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            while (reader.Read())
            {
                if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName) || !reader.ValueIsEscaped) continue;
                strings++;
                escapes += reader.ValueSpan.Count((byte)'\\');
                AssertSameAsReader(reader.ValueSpan.ToArray(), $"{Path.GetFileName(file)} at byte {reader.TokenStartIndex}");
            }
        }
        // The shared HARs hold JSON and form bodies as text, with their quotes and slashes escaped.
        Assert.That(strings, Is.GreaterThan(100));
        Assert.That(escapes, Is.GreaterThan(10_000));
    }

    [Test]
    public void Generated_strings_with_every_escape_and_half_surrogates_unescape_as_the_reader_copies()
    {
        // Pieces a JSON string is written in: plain ASCII and UTF-8, every short escape, \u escapes of every range
        // (control, ASCII, two- and three-byte, surrogate pairs in either case), and surrogates standing alone.
        var pieces = Gen.OneOf(
            Gen.String[Gen.Char['a', 'z'], 0, 6],
            Pick("é", "日本", "😀", " ", "<", "{"),
            Pick("\\\"", "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t"),
            Gen.Int[0, 0xFFFF].Where(u => u is < 0xD800 or > 0xDFFF).Select(Gen.Bool).Select((u, upper) => "\\u" + u.ToString(upper ? "X4" : "x4")),
            Gen.Int[0x10000, 0x10FFFF].Select(cp =>
            {
                var pair = char.ConvertFromUtf32(cp);
                return $"\\u{(int)pair[0]:X4}\\u{(int)pair[1]:x4}";
            }),
            Gen.Int[0xD800, 0xDFFF].Select(u => $"\\u{u:X4}"));
        pieces.Array[0, 12].Select(p => string.Concat(p)).Sample(text =>
        {
            AssertSameAsReader(Encoding.UTF8.GetBytes(text), text);
        }, iter: 20_000);
    }

    private static Gen<string> Pick(params string[] texts) => Gen.Int[0, texts.Length - 1].Select(i => texts[i]);

    private static void AssertSameAsReader(byte[] raw, string where)
    {
        var quoted = new byte[raw.Length + 2];
        quoted[0] = quoted[^1] = (byte)'"';
        raw.CopyTo(quoted, 1);
        var reader = new Utf8JsonReader(quoted);
        reader.Read();
        byte[]? expected;
        try
        {
            var copy = new byte[raw.Length];
            expected = copy.AsSpan(0, reader.CopyString(copy)).ToArray();
        }
        catch (InvalidOperationException)
        {
            expected = null;
        }
        var into = new byte[raw.Length];
        var done = HarValue.TryUnescape(raw, into, out var written);
        if (expected is null) Assert.That(done, Is.False, $"{where}: the reader refuses it, so the unescape must leave it to the reader");
        else if (done) Assert.That(into.AsSpan(0, written).ToArray(), Is.EqualTo(expected), where);
        else Assert.Fail($"{where}: the reader copies it but the unescape declined");
    }
}
