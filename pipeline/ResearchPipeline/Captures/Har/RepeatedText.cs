using System.Text;

namespace ResearchPipeline.Captures.Har;

/// <summary>
/// Strings for the short texts that HAR entries repeat one after another (header names and most header values):
/// a small table per thread, indexed by a hash of the bytes, hands back the string made for the same bytes before.
/// A miss takes the slot, so one-off texts (dates, request ids) cost what a new string costs and are soon
/// replaced; the strings are the same either way, only how often they are allocated changes.
/// </summary>
internal static class RepeatedText
{
    public const int MaxBytes = 128;
    private const int Slots = 4096;

    [ThreadStatic] private static string?[]? t_slots;

    /// <summary>The string of ASCII bytes (at most <see cref="MaxBytes"/>).</summary>
    public static string Of(ReadOnlySpan<byte> ascii)
    {
        if (ascii.IsEmpty) return "";
        var slots = t_slots ??= new string?[Slots];
        var hash = new HashCode();
        hash.AddBytes(ascii);
        var slot = hash.ToHashCode() & (Slots - 1);
        if (slots[slot] is { } known && known.Length == ascii.Length && Ascii.Equals(ascii, known)) return known;
        return slots[slot] = Encoding.ASCII.GetString(ascii);
    }
}
