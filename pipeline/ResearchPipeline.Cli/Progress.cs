using Spectre.Console;
using ResearchPipeline.Run;

namespace ResearchPipeline.Cli;

/// <summary>
/// Plain lines on stderr, for logs and CI: one line per stage start and end, and one every tenth of the way,
/// so a long run shows it is alive without flooding the log.
/// </summary>
public sealed class LineProgress(TextWriter output) : IProgressSink
{
    private readonly Dictionary<string, (int Total, int Done)> _stages = new();
    // Elapsed time goes to the log only, never into a published file (bench/run.sh reads it).
    private readonly Dictionary<string, System.Diagnostics.Stopwatch> _clocks = new();
    private readonly Lock _lock = new();

    public void StageStarted(string stage, int total)
    {
        lock (_lock)
        {
            _stages[stage] = (total, 0);
            _clocks[stage] = System.Diagnostics.Stopwatch.StartNew();
        }
        output.WriteLine($"{stage}: {total} to do");
    }

    public void Advanced(string stage, string item)
    {
        lock (_lock)
        {
            var (total, done) = _stages[stage];
            done++;
            _stages[stage] = (total, done);
            var step = Math.Max(1, total / 10);
            if (done % step == 0 || done == total) output.WriteLine($"{stage}: {done}/{total} ({item})");
        }
    }

    public void StageFinished(string stage)
    {
        double seconds;
        lock (_lock) seconds = _clocks[stage].Elapsed.TotalSeconds;
        output.WriteLine(FormattableString.Invariant($"{stage}: done in {seconds:F3} s"));
    }
}

/// <summary>Live progress bars when stderr is a terminal.</summary>
public sealed class BarProgress : IProgressSink, IDisposable
{
    private readonly Dictionary<string, ProgressTask> _tasks = new();
    private readonly Lock _lock = new();
    private readonly TaskCompletionSource _finished = new();
    private readonly TaskCompletionSource<ProgressContext> _context = new();
    private readonly Task _display;

    public BarProgress(IAnsiConsole console)
    {
        _display = console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async ctx =>
            {
                _context.SetResult(ctx);
                await _finished.Task;
            });
    }

    public void StageStarted(string stage, int total)
    {
        var ctx = _context.Task.GetAwaiter().GetResult();
        lock (_lock) _tasks[stage] = ctx.AddTask(stage, maxValue: Math.Max(1, total));
    }

    public void Advanced(string stage, string item)
    {
        lock (_lock) _tasks[stage].Increment(1);
    }

    public void StageFinished(string stage)
    {
        lock (_lock) _tasks[stage].Value = _tasks[stage].MaxValue;
    }

    public void Dispose()
    {
        _finished.TrySetResult();
        _display.GetAwaiter().GetResult();
    }
}
