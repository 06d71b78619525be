using System.Text;
using System.Text.RegularExpressions;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Tests.Privacy;

/// <summary>
/// The value shapes the privacy stage reads character by character answer as the anchored patterns they replaced
/// (kept here as the reference): over values cut to each shape, each with a line break after it, a brace, padding or
/// a character changed, and over random texts of the characters the shapes turn on, other scripts' digits among them.
/// </summary>
public class ValueShapesTests
{
    private static readonly Regex Uuid = new(@"^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$", RegexOptions.CultureInvariant);
    private static readonly Regex Hex = new(@"^[0-9a-fA-F]+$", RegexOptions.CultureInvariant);
    private static readonly Regex Base64 = new(@"^(?:[A-Za-z0-9+/]+|[A-Za-z0-9_-]+)={0,2}$", RegexOptions.CultureInvariant);
    private static readonly Regex EpochTimestamp = new(@"^[12]\d{9}(\d{3})?$", RegexOptions.CultureInvariant);
    private static readonly Regex IsoTimestamp = new(@"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$", RegexOptions.CultureInvariant);
    private static readonly Regex Decimal = new(@"^-?\d+[.,]\d+$", RegexOptions.CultureInvariant);
    private static readonly Regex Integer = new(@"^-?\d+$", RegexOptions.CultureInvariant);
    private static readonly Regex GraphToken = new(@"^((GG\|)?\d{5,}\|[0-9a-fA-F]{32}|EAA[A-Za-z0-9]{30,})$", RegexOptions.CultureInvariant);

    /// <summary>The characters the shapes turn on, and some they do not (a space, a dot, Arabic-Indic three, é).</summary>
    private const string Alphabet = "0123456789abcdefABCDEFGxyzXYZ{}-=+/_|\n.,:TZ \u0663\u00e9";

    [Test]
    public void Uuid_hex_and_base64_answer_as_their_patterns()
    {
        var wrong = Values().Where(v => IdentifierShapes.IsUuid(v) != Uuid.IsMatch(v) || IdentifierShapes.IsHex(v) != Hex.IsMatch(v)
            || IdentifierShapes.IsBase64(v) != Base64.IsMatch(v)).Take(5).Select(Shown).ToList();
        Assert.That(wrong, Is.Empty);
        Assert.That(Values().Count(v => Uuid.IsMatch(v)), Is.GreaterThan(100), "values of each shape are among those tried");
        Assert.That(Values().Count(v => Base64.IsMatch(v) && v.EndsWith('\n')), Is.GreaterThan(100));
    }

    [Test]
    public void Common_values_are_those_the_patterns_named()
    {
        static bool Reference(string v) => v is "true" or "false" or "True" or "False" or "null" or "undefined"
            || EpochTimestamp.IsMatch(v) || IsoTimestamp.IsMatch(v) || Decimal.IsMatch(v)
            || (Integer.IsMatch(v) && v.TrimStart('-').Length < SensitiveValues.LongNumber);
        var wrong = Values().Where(v => SensitiveValues.IsCommon(v) != Reference(v)).Take(5).Select(Shown).ToList();
        Assert.That(wrong, Is.Empty);
        Assert.That(Values().Count(Reference), Is.GreaterThan(100), "common values are among those tried");
    }

    [Test]
    public void A_Graph_API_token_is_redacted_as_its_pattern_named_it()
    {
        static string Reference(string v) => v.Length >= 33 && GraphToken.IsMatch(v) ? SecretRedaction.Marker("access_token") : SecretRedaction.RedactTokens(v);
        var wrong = Values().Where(v => SecretRedaction.RedactValue("value", v) != Reference(v)).Take(5).Select(Shown).ToList();
        Assert.That(wrong, Is.Empty);
        Assert.That(Values().Count(v => v.Length >= 33 && GraphToken.IsMatch(v)), Is.GreaterThan(100), "tokens are among those tried");
    }

    private static string Shown(string value) => value.Replace("\n", "\\n");

    private static List<string>? s_values;

    private static List<string> Values() => s_values ??= MakeValues();

    private static List<string> MakeValues()
    {
        var random = new Random(20261205);
        string Of(string characters, int length) => new(Enumerable.Range(0, length).Select(_ => characters[random.Next(characters.Length)]).ToArray());
        const string hex = "0123456789abcdefABCDEF";
        const string standard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const string urlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
        const string alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        const string digits = "0123456789";
        var shaped = new List<string>();
        for (var i = 0; i < 300; i++)
        {
            var uuid = $"{Of(hex, 8)}-{Of(hex, 4)}-{Of(hex, 4)}-{Of(hex, 4)}-{Of(hex, 12)}";
            shaped.AddRange([uuid, "{" + uuid, uuid + "}", "{" + uuid + "}"]);
            shaped.Add(Of(hex, random.Next(1, 70)));
            shaped.Add(Of(random.Next(2) == 0 ? standard : urlSafe, random.Next(1, 70)) + new string('=', random.Next(4)));
            shaped.Add(Of(standard + "_-", random.Next(1, 70)));
            shaped.Add((random.Next(2) == 0 ? "1" : "2") + Of(digits, random.Next(2) == 0 ? 9 : 12));
            shaped.Add($"{Of(digits, 4)}-{Of(digits, 2)}-{Of(digits, 2)}" + (random.Next(3) switch
            {
                0 => "",
                1 => $"T{Of(digits, 2)}:{Of(digits, 2)}",
                _ => $" {Of(digits, 2)}:{Of(digits, 2)}:{Of(digits, 2)}.{Of(digits, random.Next(1, 7))}" + (random.Next(3) switch { 0 => "Z", 1 => $"+{Of(digits, 2)}:{Of(digits, 2)}", _ => $"-{Of(digits, 4)}" }),
            }));
            shaped.Add((random.Next(2) == 0 ? "-" : "") + Of(digits, random.Next(1, 20)) + (random.Next(2) == 0 ? "" : (random.Next(2) == 0 ? "." : ",") + Of(digits, random.Next(1, 8))));
            shaped.Add((random.Next(2) == 0 ? "GG|" : "") + Of(digits, random.Next(4, 17)) + "|" + Of(hex, random.Next(31, 34)));
            shaped.Add("EAA" + Of(alphanumeric, random.Next(28, 200)));
        }
        var values = new List<string>();
        foreach (var value in shaped)
        {
            values.Add(value);
            values.Add(value + "\n");
            values.Add(value + "\n\n");
            values.Add("\n" + value);
            var changed = value.ToCharArray();
            changed[random.Next(changed.Length)] = Alphabet[random.Next(Alphabet.Length)];
            values.Add(new string(changed));
            values.Add(value.Replace('5', '\u0663'));
        }
        for (var i = 0; i < 5000; i++) values.Add(Of(Alphabet, random.Next(0, 50)));
        values.AddRange(["", "\n", "{", "}", "{}", "=", "==", "===", "-", "true", "null"]);
        return values;
    }
}
