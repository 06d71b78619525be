using ResearchPipeline.Captures;
using ResearchPipeline.Cluster;

namespace ResearchPipeline.Run;

/// <summary>
/// Captures to read, handed out in order, one at a time, to one worker or to several that share them, with their ids,
/// each hashed a few captures ahead of the last one handed out, on the thread pool. The hashing then runs beside the
/// reading (on the core a run of one job leaves idle) rather than before the whole study's first capture is read.
/// </summary>
public sealed class CaptureQueue : IDisposable
{
    /// <summary>Captures hashed ahead of those being read, per worker: enough to keep the hashing ahead of small captures.</summary>
    private const int LeadPerWorker = 4;

    private readonly object _gate = new();
    private readonly string _rawFolder;
    private readonly int _lead;
    private readonly Task<string>?[] _hashing;
    private int _started;
    private int _taken = -1;

    /// <param name="workers">Workers taking captures from the queue at once.</param>
    public CaptureQueue(string rawFolder, IReadOnlyList<PlannedCapture> planned, int workers = 1)
    {
        _rawFolder = rawFolder;
        Planned = planned;
        _lead = LeadPerWorker * Math.Max(1, workers);
        _hashing = new Task<string>?[planned.Count];
        StartUpTo(_lead);
    }

    /// <summary>The captures, in the order they are handed out.</summary>
    public IReadOnlyList<PlannedCapture> Planned { get; }

    /// <summary>The next capture not yet handed out, by its place in <see cref="Planned"/>; false once every one has been.</summary>
    public bool TryTake(out int index)
    {
        index = Interlocked.Increment(ref _taken);
        if (index >= Planned.Count) return false;
        StartUpTo(index + 1 + _lead);
        return true;
    }

    /// <summary>The id of a capture handed out; a failure to hash it surfaces here.</summary>
    public string IdOf(int index)
    {
        Task<string> hashing;
        lock (_gate) hashing = _hashing[index]!;
        var id = hashing.GetAwaiter().GetResult();
        // Let go once read: a study of tens of thousands of captures would otherwise hold a task for each to the end.
        lock (_gate) _hashing[index] = null;
        return id;
    }

    private void StartUpTo(int end)
    {
        lock (_gate)
        {
            for (; _started < Math.Min(end, Planned.Count); _started++)
            {
                var path = Path.Combine(_rawFolder, Planned[_started].RelativeName);
                _hashing[_started] = Task.Run(() => FileHash.Sha256Hex(path));
            }
        }
    }

    /// <summary>A run that failed leaves no hashing running behind it.</summary>
    public void Dispose()
    {
        Task<string>?[] started;
        lock (_gate) started = [.. _hashing];
        foreach (var hashing in started)
        {
            try { hashing?.Wait(); }
            catch (AggregateException) { }
        }
    }
}
