using ResearchPipeline.Dataset;

namespace ResearchPipeline.Tests.Dataset;

public class EncodingThreadsTests
{
    [Test]
    public async Task Work_from_any_thread_runs_on_the_few_encoding_threads_and_resumes_there_after_an_await()
    {
        var threads = new System.Collections.Concurrent.ConcurrentBag<(int Id, string? Name, bool Pool)>();
        void Note() => threads.Add((Environment.CurrentManagedThreadId, Thread.CurrentThread.Name, Thread.CurrentThread.IsThreadPoolThread));
        // Many callers at once, each from a pool thread, as emit's tables and payload_fields' overlap call it.
        await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(() => EncodingThreads.Run(async () =>
        {
            Note();
            await Task.Delay(1);
            Note();
        }, CancellationToken.None))));
        Assert.That(threads, Has.Count.EqualTo(128));
        Assert.That(threads.Select(t => t.Name).Distinct(), Is.EqualTo(new[] { "parquet-encoding" }));
        Assert.That(threads.Any(t => t.Pool), Is.False);
        Assert.That(threads.Select(t => t.Id).Distinct().Count(), Is.LessThanOrEqualTo(Environment.ProcessorCount + 1));
    }

    [Test]
    public void A_failure_in_the_work_reaches_its_caller()
    {
        var failed = Assert.ThrowsAsync<InvalidDataException>(() => EncodingThreads.Run(async () =>
        {
            await Task.Yield();
            throw new InvalidDataException("page too large");
        }, CancellationToken.None));
        Assert.That(failed!.Message, Is.EqualTo("page too large"));
    }
}
