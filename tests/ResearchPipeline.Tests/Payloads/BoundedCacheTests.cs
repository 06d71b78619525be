using ResearchPipeline.Payloads;

namespace ResearchPipeline.Tests.Payloads;

public class BoundedCacheTests
{
    [Test]
    public void Keeps_answers_up_to_its_capacity_and_no_more_however_many_threads_add([Range(1, 20)] int run)
    {
        var cache = new BoundedCache<int, string>(1000);
        Parallel.For(0, 20_000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i => cache.Remember(i % 5000, $"answer {i % 5000}"));

        Assert.That(cache.Known, Has.Count.EqualTo(1000));
        foreach (var (key, value) in cache.Known) Assert.That(value, Is.EqualTo($"answer {key}"));
        var kept = cache.Known.Keys.First();
        Assert.That(cache.TryGetValue(kept, out var answer), Is.True);
        Assert.That(answer, Is.EqualTo($"answer {kept}"));
    }

    [Test]
    public void A_key_seen_twice_is_counted_once()
    {
        var cache = new BoundedCache<string, bool>(2, StringComparer.Ordinal);
        cache.Remember("authorization", true);
        cache.Remember("authorization", true);
        cache.Remember("accept", false);
        cache.Remember("cookie", true);

        Assert.That(cache.Known.Keys.Order(StringComparer.Ordinal), Is.EqualTo(new[] { "accept", "authorization" }));
        Assert.That(cache.TryGetValue("cookie", out _), Is.False);
    }
}
