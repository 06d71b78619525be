using System.Runtime.ExceptionServices;

namespace ResearchPipeline.Run;

/// <summary>
/// A function mapped over a sequence by several threads, its results handed out in the sequence's order, so
/// that what is done with them cannot depend on which thread finished first. The sequence is read on a thread
/// of its own, a little ahead of the caller, who cuts it into batches and takes the results in order: reading
/// a capture and taking its rows are both serial, and one thread doing both was what a large capture waited on.
/// Only a few batches run ahead of the one being handed out, so memory stays bounded whatever the length of the
/// sequence. A failure (of the sequence or of the function) surfaces where it would have in a plain loop: after
/// every result before it, and nothing after it.
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
        using var items = new ReadAhead<TIn>(source, size, 2 * BatchItems, 2 * BatchBytes);
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

    /// <summary>
    /// A sequence read on a thread of its own into a queue bounded by items and bytes (an item larger than the
    /// bound still passes, alone); its failure is thrown after the items read before it. Disposing stops the
    /// reading and waits for the sequence to be let go on its thread, so nothing it reads from is used after.
    /// </summary>
    private sealed class ReadAhead<T> : IEnumerator<T>
    {
        private readonly IEnumerable<T> _source;
        private readonly Func<T, long> _size;
        private readonly int _maxItems;
        private readonly long _maxBytes;
        private readonly Queue<(T Item, long Bytes)> _queue = new();
        private readonly object _gate = new();
        private readonly Thread _thread;
        private long _bytes;
        private bool _ended;
        private bool _stopped;
        private ExceptionDispatchInfo? _failure;

        public ReadAhead(IEnumerable<T> source, Func<T, long> size, int maxItems, long maxBytes)
        {
            (_source, _size, _maxItems, _maxBytes) = (source, size, maxItems, maxBytes);
            // A thread, not the pool's: the pool's threads map the batches, and this one mostly waits for room.
            _thread = new Thread(Read) { IsBackground = true, Name = "read ahead" };
            _thread.Start();
        }

        public T Current { get; private set; } = default!;

        object? System.Collections.IEnumerator.Current => Current;

        private void Read()
        {
            try
            {
                using var items = _source.GetEnumerator();
                while (true)
                {
                    lock (_gate)
                    {
                        while (!_stopped && _queue.Count > 0 && (_queue.Count >= _maxItems || _bytes >= _maxBytes)) Monitor.Wait(_gate);
                        if (_stopped) return;
                    }
                    if (!items.MoveNext()) return;
                    var item = items.Current;
                    var bytes = _size(item);
                    lock (_gate)
                    {
                        _queue.Enqueue((item, bytes));
                        _bytes += bytes;
                        Monitor.PulseAll(_gate);
                    }
                }
            }
            catch (Exception e)
            {
                _failure = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                lock (_gate)
                {
                    _ended = true;
                    Monitor.PulseAll(_gate);
                }
            }
        }

        public bool MoveNext()
        {
            lock (_gate)
            {
                while (_queue.Count == 0 && !_ended) Monitor.Wait(_gate);
                if (_queue.TryDequeue(out var next))
                {
                    _bytes -= next.Bytes;
                    Current = next.Item;
                    Monitor.PulseAll(_gate);
                    return true;
                }
            }
            _failure?.Throw();
            return false;
        }

        public void Reset() => throw new NotSupportedException();

        public void Dispose()
        {
            lock (_gate)
            {
                _stopped = true;
                Monitor.PulseAll(_gate);
            }
            _thread.Join();
        }
    }

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
