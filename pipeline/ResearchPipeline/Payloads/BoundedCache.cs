using System.Collections.Concurrent;

namespace ResearchPipeline.Payloads;

/// <summary>
/// Answers worked out once per key and shared by every thread (a pure function's, so whether a key is kept changes
/// how often it is worked out, never the answer). Bounded: past <c>capacity</c> keys, new ones are not kept. It
/// counts its own entries: a concurrent dictionary's Count takes every one of its locks, and once the cache is full
/// every key not in it would pay that. Once no thread is adding, it holds exactly <c>capacity</c> keys if it was offered as many.
/// </summary>
public sealed class BoundedCache<TKey, TValue>(int capacity, IEqualityComparer<TKey>? comparer = null) where TKey : notnull
{
    private int _count;

    /// <summary>What is kept, for lookups by another form of the key (<see cref="ConcurrentDictionary{TKey,TValue}.GetAlternateLookup{TAlternateKey}"/>).</summary>
    public ConcurrentDictionary<TKey, TValue> Known { get; } = new(comparer);

    public bool TryGetValue(TKey key, out TValue value) => Known.TryGetValue(key, out value!);

    public void Remember(TKey key, TValue value)
    {
        if (Volatile.Read(ref _count) >= capacity || !Known.TryAdd(key, value)) return;
        // Counted once added, so that a key another thread added first holds no slot that would turn other keys
        // away: the first adds up to the bound are kept for good, and an add past it (threads adding at once) is
        // taken back by its own thread.
        if (Interlocked.Increment(ref _count) <= capacity) return;
        Known.TryRemove(key, out _);
        Interlocked.Decrement(ref _count);
    }
}
