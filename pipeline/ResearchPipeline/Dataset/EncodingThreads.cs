using System.Collections.Concurrent;

namespace ResearchPipeline.Dataset;

/// <summary>
/// The few threads Parquet row groups are encoded on. Parquet.Net compresses each column's page into a buffer it
/// rents from the shared array pool, which keeps a buffer of each size per thread that gave one back: encoded on
/// whichever pool thread an await resumed on, emit rented its largest buffers on most of the pool's threads and the
/// pool held a set on each (bench/NOTES.md, the ten-times TLS study). Encoded here, it holds a set per thread of these.
/// </summary>
internal sealed class EncodingThreads : TaskScheduler
{
    /// <summary>One per core and one more: emit writes up to a table per job, and payload_fields encodes beside its filling.</summary>
    public static EncodingThreads Shared { get; } = new(Environment.ProcessorCount + 1);

    private readonly BlockingCollection<Task> _queue = [];
    private readonly int _threads;
    private int _started;

    [ThreadStatic]
    private static bool t_encoding;

    private EncodingThreads(int threads) => _threads = threads;

    public override int MaximumConcurrencyLevel => _threads;

    /// <summary>Runs the work on these threads; the awaits inside it that do not complete at once resume here too.</summary>
    public static Task Run(Func<Task> work, CancellationToken cancel) =>
        Task.Factory.StartNew(work, cancel, TaskCreationOptions.DenyChildAttach, Shared).Unwrap();

    protected override void QueueTask(Task task)
    {
        _queue.Add(task);
        // Started as work first arrives, up to the limit: a run that never writes a table starts none.
        if (Volatile.Read(ref _started) < _threads && Interlocked.Increment(ref _started) <= _threads)
        {
            new Thread(() =>
            {
                t_encoding = true;
                foreach (var queued in _queue.GetConsumingEnumerable()) TryExecuteTask(queued);
            }) { IsBackground = true, Name = "parquet-encoding" }.Start();
        }
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => t_encoding && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();
}
