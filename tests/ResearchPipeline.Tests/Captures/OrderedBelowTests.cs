using ResearchPipeline.Captures;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Captures;

/// <summary>
/// A packet capture gives its exchanges when they end, numbered by their first packet, and says as it goes which
/// ordinals are all given out, so that the rows held to be sorted are only those after it.
/// </summary>
public class OrderedBelowTests
{
    private static IEnumerable<string> PacketCaptures() =>
        new[] { Path.Combine(TestFiles.Fixtures, "captures", "pcap"), DemonstrationCorpus.Raw }
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".pcap", StringComparison.Ordinal) || f.EndsWith(".pcapng", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);

    [TestCaseSource(nameof(PacketCaptures))]
    public void No_exchange_comes_after_the_reader_said_its_ordinal_was_given_out(string path)
    {
        var records = PcapReaderTests.ReadAll(path);
        var said = -1;
        var late = new List<string>();
        foreach (var record in records)
        {
            switch (record)
            {
                case OrderedBelow o:
                    Assert.That(o.Ordinal, Is.GreaterThan(said), "said only when it moves on");
                    said = o.Ordinal;
                    break;
                case ExchangeRead { Exchange.Ordinal: var ordinal } when ordinal < said:
                    late.Add($"exchange {ordinal} after ordinals below {said} were said to be given out");
                    break;
                case RecordQuarantined { Ordinal: var ordinal } when ordinal < said:
                    late.Add($"quarantined record {ordinal} after ordinals below {said} were said to be given out");
                    break;
            }
        }
        Assert.That(late, Is.Empty);
    }

    [Test]
    public void A_long_capture_of_short_connections_says_it_as_it_goes()
    {
        // One demonstration session's pcapng 40 times over, as sections of one file (a long capture whose every
        // connection ends): the rows held to be sorted are a few sessions' worth, not the capture's.
        var session = File.ReadAllBytes(Path.Combine(DemonstrationCorpus.Raw, "calmnest-ios-2026", "session.pcapng"));
        var records = PcapReaderTests.ReadAll([.. Enumerable.Repeat(session, 40).SelectMany(b => b)]);
        var exchanges = records.OfType<ExchangeRead>().Count();
        // Exchanges read but not yet said to be in order: what a taker that sorts them holds.
        var held = new List<int>();
        var mostHeld = 0;
        foreach (var record in records)
        {
            if (record is OrderedBelow o) held.RemoveAll(ordinal => ordinal < o.Ordinal);
            if (record is not ExchangeRead e) continue;
            held.Add(e.Exchange.Ordinal);
            mostHeld = Math.Max(mostHeld, held.Count);
        }
        Assert.Multiple(() =>
        {
            Assert.That(exchanges, Is.EqualTo(40 * PcapReaderTests.ReadAll(session).OfType<ExchangeRead>().Count()), "every copy read");
            Assert.That(records.OfType<OrderedBelow>().Count(), Is.GreaterThan(3));
            Assert.That(mostHeld, Is.LessThan(exchanges / 4), "exchanges waiting for an earlier one at most");
        });
    }
}
