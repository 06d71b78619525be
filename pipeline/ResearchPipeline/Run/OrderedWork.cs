using System.Runtime.ExceptionServices;

namespace ResearchPipeline.Run;

/// <summary>
/// A function mapped over a sequence by several threads, its results handed out in the sequence's order, so
/// that what is done with them cannot depend on which thread finished first. The sequence is taken on the
/// caller's thread, in batches, and only a few batches run ahead of the one being handed out, so memory stays
/// bounded whatever the length of the sequence. A failure (of the sequence or of the function) surfaces where
/// it would have in a plain loop: after every result before it, and nothing after it.
/// </summary>
public static class OrderedWork
{
    /// <summary>Items a batch takes at most (a batch is the unit of work a thread takes).</summary>
    public const int BatchItems = 64;

    /// <summary>Bytes a batch takes at most, as the items' <c>size</c> counts them.</summary>
    public const long BatchBytes = 1 << 20;

    /// <param name="workers">Threads mapping at once; one maps on the caller's thread, as a plain loop would.</param>
    /// <param name="size">What an item weighs in memory until it is mapped.</param>
    public static IEnumerable<TOut> Map<TIn, TOut>(IEnumerable<TIn> source, Func<TIn, TOut> map, int workers, Func<TIn, long> size)
    {
        if (workers <= 1)
        {
            foreach (var item in source) yield return map(item);
            yield break;
        }

        var ahead = new Queue<Task<Outcome<TOut>[]>>();
        using var items = source.GetEnumerator();
        try
        {
            var more = true;
            while (more || ahead.Count > 0)
            {
                if (more)
                {
                    var batch = new List<TIn>();
                    long bytes = 0;
                    Exception? failure = null;
                    while (batch.Count < BatchItems && bytes < BatchBytes)
                    {
                        if (!TryMoveNext(items, out var next, out failure))
                        {
                            more = false;
                            break;
                        }
                        batch.Add(next!);
                        bytes += size(next!);
                    }
                    if (batch.Count > 0 || failure is not null) ahead.Enqueue(Task.Run(() => MapBatch(batch, map, failure)));
                    // Room for every worker's batch and one more each, queued, before the oldest must be handed out.
                    if (more && ahead.Count < 2 * workers) continue;
                }
                if (ahead.Count == 0) break;
                foreach (var outcome in ahead.Dequeue().GetAwaiter().GetResult())
                {
                    outcome.Failure?.Throw();
                    yield return outcome.Result!;
                }
            }
        }
        finally
        {
            // Abandoned (a failure, or the caller stopped early): let the batches still running finish, unread.
            foreach (var task in ahead)
            {
                try { task.Wait(); }
                catch (AggregateException) { }
            }
        }
    }

    private readonly record struct Outcome<T>(T? Result, ExceptionDispatchInfo? Failure);

    private static Outcome<TOut>[] MapBatch<TIn, TOut>(List<TIn> batch, Func<TIn, TOut> map, Exception? failure)
    {
        var outcomes = new List<Outcome<TOut>>(batch.Count + 1);
        foreach (var item in batch)
        {
            try
            {
                outcomes.Add(new Outcome<TOut>(map(item), null));
            }
            catch (Exception e)
            {
                // Nothing after a failure is handed out, so nothing after it need be mapped.
                outcomes.Add(new Outcome<TOut>(default, ExceptionDispatchInfo.Capture(e)));
                return [.. outcomes];
            }
        }
        if (failure is not null) outcomes.Add(new Outcome<TOut>(default, ExceptionDispatchInfo.Capture(failure)));
        return [.. outcomes];
    }

    private static bool TryMoveNext<T>(IEnumerator<T> items, out T? current, out Exception? failure)
    {
        current = default;
        failure = null;
        try
        {
            if (!items.MoveNext()) return false;
            current = items.Current;
            return true;
        }
        catch (Exception e)
        {
            failure = e;
            return false;
        }
    }
}
