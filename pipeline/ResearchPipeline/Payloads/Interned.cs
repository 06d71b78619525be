using System.Collections.Concurrent;

namespace ResearchPipeline.Payloads;

/// <summary>
/// One string per distinct short text that requests repeat (parameter names, key paths, header names): looked up
/// by its characters, so that a name seen before costs no allocation. A string is the same whether it comes from
/// here or not; only how often it is allocated differs. Bounded: past the bound, texts are simply allocated.
/// </summary>
public static class Interned
{
    public const int MaxEntries = 1 << 17;

    /// <summary>Longer texts (values, documents) rarely repeat: never kept.</summary>
    public const int MaxLength = 128;

    private static readonly BoundedCache<string, string> Pool = new(MaxEntries, StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup = Pool.Known.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Of(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty) return "";
        if (text.Length > MaxLength) return new string(text);
        if (Lookup.TryGetValue(text, out var known)) return known;
        var made = new string(text);
        Pool.Remember(made, made);
        return made;
    }
}
