using System.Collections.Concurrent;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Answers worked out once per key and shared by every thread (a pure function's, so whether a key is kept changes
/// how often it is worked out, never the answer). Bounded: past <c>capacity</c> keys, new ones are not kept. It
/// counts its own entries: a concurrent dictionary's Count takes every one of its locks, and once the cache is full
/// every key not in it would pay that.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity, IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    private int _count;

    /// <summary>What is kept, for lookups by another form of the key (<see cref="ConcurrentDictionary{TKey,TValue}.GetAlternateLookup{TAlternateKey}"/>).</summary>
    public ConcurrentDictionary<TKey, TValue> Known { get; } = new(comparer);

    public bool TryGetValue(TKey key, out TValue value) => Known.TryGetValue(key, out value!);

    public void Remember(TKey key, TValue value)
    {
        if (Volatile.Read(ref _count) >= capacity) return;
        // A slot is taken before the key is added, so that threads adding at once cannot pass the bound together.
        if (Interlocked.Increment(ref _count) > capacity || !Known.TryAdd(key, value)) Interlocked.Decrement(ref _count);
    }
}
