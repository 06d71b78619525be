using System.Buffers.Binary;
using System.Numerics;
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
    private const int SlotBits = 12;
    private const int Slots = 1 << SlotBits;

    [ThreadStatic] private static string?[]? t_slots;

    /// <summary>The string of ASCII bytes (at most <see cref="MaxBytes"/>).</summary>
    public static string Of(ReadOnlySpan<byte> ascii)
    {
        if (ascii.IsEmpty) return "";
        var slots = t_slots ??= new string?[Slots];
        var slot = SlotOf(ascii);
        if (slots[slot] is { } known && known.Length == ascii.Length && Ascii.Equals(ascii, known)) return known;
        return slots[slot] = Encoding.ASCII.GetString(ascii);
    }

    /// <summary>
    /// A slot from the text eight bytes at a time: this runs for every header name and value of a HAR, where a hash
    /// taking four bytes a round was about a twentieth of the parse's time (bench/NOTES.md). A text's last bytes,
    /// short of eight, are read as the last eight.
    /// </summary>
    internal static int SlotOf(ReadOnlySpan<byte> ascii)
    {
        var mixed = (ulong)ascii.Length * 0x9E3779B97F4A7C15UL;
        var at = 0;
        for (; at + 8 <= ascii.Length; at += 8)
            mixed = BitOperations.RotateLeft((mixed ^ BinaryPrimitives.ReadUInt64LittleEndian(ascii[at..])) * 0xC2B2AE3D27D4EB4FUL, 31);
        if (at < ascii.Length)
        {
            ulong last = 0;
            if (ascii.Length >= 8) last = BinaryPrimitives.ReadUInt64LittleEndian(ascii[^8..]);
            else foreach (var b in ascii) last = last << 8 | b;
            mixed = BitOperations.RotateLeft((mixed ^ last) * 0xC2B2AE3D27D4EB4FUL, 31);
        }
        mixed = (mixed ^ mixed >> 29) * 0xD6E8FEB86659FD93UL;
        return (int)(mixed >> (64 - SlotBits));
    }
}
