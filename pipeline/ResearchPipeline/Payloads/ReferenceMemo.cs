namespace ResearchPipeline.Payloads;

/// <summary>
/// A small table of answers on each thread, found by the string asked about itself (not its text): a reader or
/// builder that hands back the same string for a repeated text makes the answer one lookup. A string the slot does
/// not hold is answered afresh and takes the slot, so the answer is the same whichever string is asked.
/// </summary>
internal static class ReferenceMemo
{
    /// <param name="slots">The caller's [ThreadStatic] table, made on first use.</param>
    /// <param name="size">Slots in the table, a power of two.</param>
    public static T Get<T>(ref (string? Key, T Value)[]? slots, int size, string key, Func<string, T> answer)
    {
        slots ??= New<T>(size);
        ref var slot = ref slots[System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(key) & (slots.Length - 1)];
        if (ReferenceEquals(slot.Key, key)) return slot.Value;
        var value = answer(key);
        slot = (key, value);
        return value;
    }

    // The slot is found by masking the hash, which with a size not a power of two would leave slots that no key
    // can reach; a caller's wrong constant is told when its table is made, not found in a profile.
    private static (string?, T)[] New<T>(int size) =>
        System.Numerics.BitOperations.IsPow2(size) ? new (string?, T)[size] : throw new ArgumentOutOfRangeException(nameof(size), size, "a power of two");
}
