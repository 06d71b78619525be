using System.Runtime.ExceptionServices;

namespace ResearchPipeline.Enrichment;

/// <summary>
/// Work on the reference data (hashing the pinned files, reading the range table, the suffix list and the taxonomy)
/// done side by side, the calling thread taking its share: it waits for no other thread, which the parse may be
/// keeping busy. A failure comes out as itself (a missing file as the FileNotFoundException it is; when several
/// fail, the one that failed first), rather than wrapped in an AggregateException.
/// </summary>
public static class SideBySide
{
    public static void For(int count, Action<int> body) => Unwrapped(() => Parallel.For(0, count, body));

    public static void Invoke(params Action[] actions) => Unwrapped(() => Parallel.Invoke(actions));

    private static void Unwrapped(Action run)
    {
        try
        {
            run();
        }
        catch (AggregateException e)
        {
            ExceptionDispatchInfo.Throw(e.Flatten().InnerExceptions[0]);
        }
    }
}
