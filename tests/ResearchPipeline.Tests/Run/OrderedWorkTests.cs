using ResearchPipeline.Run;

namespace ResearchPipeline.Tests.Run;

public class OrderedWorkTests
{
    [Test]
    public void Results_come_in_the_order_of_the_items_whichever_thread_finishes_first()
    {
        // Early items take longest, so later batches finish first.
        var items = Enumerable.Range(0, 3_000).ToList();
        var mapped = OrderedWork.Map(items, i =>
        {
            if (i % OrderedWork.BatchItems == 0 && i < 1_000) Thread.Sleep(30);
            return i * 2;
        }, workers: 3, size: _ => 1).ToList();
        Assert.That(mapped, Is.EqualTo(items.Select(i => i * 2)));
    }

    [Test]
    public void A_failure_of_the_function_comes_after_every_result_before_it_and_nothing_after()
    {
        var taken = new List<int>();
        var e = Assert.Throws<InvalidDataException>(() =>
        {
            foreach (var r in OrderedWork.Map(Enumerable.Range(0, 5_000), i => i == 1_234 ? throw new InvalidDataException("item 1234") : i, workers: 2, size: _ => 1))
                taken.Add(r);
        });
        Assert.That(e!.Message, Is.EqualTo("item 1234"));
        Assert.That(taken, Is.EqualTo(Enumerable.Range(0, 1_234)));
    }

    [Test]
    public void A_failure_of_the_sequence_comes_after_every_item_read_before_it()
    {
        static IEnumerable<int> Items()
        {
            for (var i = 0; i < 700; i++) yield return i;
            throw new IOException("read failed after 700 items");
        }
        var taken = new List<int>();
        var e = Assert.Throws<IOException>(() =>
        {
            foreach (var r in OrderedWork.Map(Items(), i => i + 1, workers: 2, size: _ => 1)) taken.Add(r);
        });
        Assert.That(e!.Message, Does.Contain("700 items"));
        Assert.That(taken, Is.EqualTo(Enumerable.Range(1, 700)));
    }

    [Test]
    public void Batches_are_cut_by_bytes_so_large_items_are_not_held_many_at_a_time()
    {
        var alive = 0;
        var most = 0;
        var items = Enumerable.Range(0, 200).Select(i =>
        {
            var now = Interlocked.Increment(ref alive);
            lock (this) most = Math.Max(most, now);
            return i;
        });
        foreach (var _ in OrderedWork.Map(items, i => i, workers: 2, size: _ => OrderedWork.BatchBytes / 2)) Interlocked.Decrement(ref alive);
        // Two items a batch, at most twice the workers' batches ahead, the batch being handed out, and the items
        // read ahead of the batches (two batches' bytes) with the one being read.
        Assert.That(most, Is.LessThanOrEqualTo(2 * (2 * 2 + 1) + 4 + 1));
    }

    [Test]
    public void A_map_left_early_stops_reading_its_sequence_and_lets_it_go_before_it_returns()
    {
        var read = 0;
        var disposed = false;
        IEnumerable<int> Items()
        {
            try
            {
                for (var i = 0; ; i++)
                {
                    Interlocked.Increment(ref read);
                    yield return i;
                }
            }
            finally
            {
                disposed = true;
            }
        }
        var taken = OrderedWork.Map(Items(), i => i, workers: 2, size: _ => 1).Take(1_000).ToList();
        Assert.That(taken, Is.EqualTo(Enumerable.Range(0, 1_000)));
        Assert.That(disposed, Is.True, "the sequence is let go before the map returns: what it reads from (a capture's file) is closed after");
        var after = read;
        Thread.Sleep(50);
        Assert.That(read, Is.EqualTo(after), "nothing more is read");
        Assert.That(after, Is.LessThan(1_000 + 4 * 2 * OrderedWork.BatchItems + 2 * OrderedWork.BatchItems + 2), "read ahead by the batches and the queue at most");
    }
}
