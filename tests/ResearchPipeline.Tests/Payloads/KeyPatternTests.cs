using ResearchPipeline.Payloads;

namespace ResearchPipeline.Tests.Payloads;

public class KeyPatternTests
{
    // Patterns as the adapters write them (Decoders/), against key paths as decode flattens them.
    [TestCase("advertiser_id", "advertiser_id", true)]
    [TestCase("advertiser_id", "Advertiser_id", false)]
    [TestCase("advertiser_id", "advertiser_id2", false)]
    [TestCase("ud.em", "ud.em", true)]
    [TestCase("ud.em", "udxem", false)]
    [TestCase("extinfo[5]", "extinfo[5]", true)]
    [TestCase("extinfo[5]", "extinfo[6]", false)]
    [TestCase("custom_events[*]._logTime", "custom_events[12]._logTime", true)]
    [TestCase("custom_events[*]._logTime", "custom_events[x]._logTime", false)]
    [TestCase("ud.*", "ud.ph", true)]
    [TestCase("ud.*", "ud.ph.x", false)]
    [TestCase("crash_reports**", "crash_reports[0].stack", true)]
    [TestCase("events{*}.user.id", "events[3].user.id", true)]
    [TestCase("events{*}.user.id", "events.first.user.id", true)]
    [TestCase("1{*}{14}", "1.2.14", true)]
    [TestCase("1{*}{14}", "1[0][14]", true)]
    [TestCase("1{*}{14}", "1[0][15]", false)]
    public void A_pattern_matches_the_key_paths_it_names(string pattern, string keyPath, bool matches)
    {
        Assert.That(new KeyPattern(pattern).Matches(keyPath), Is.EqualTo(matches));
    }

    /// <summary>A key that ends in a line feed is another key: the pattern of the key without it does not name it.</summary>
    [TestCase("advertiser_id")]
    [TestCase("extinfo[5]")]
    [TestCase("custom_events[*]._logTime")]
    public void A_pattern_does_not_match_its_key_path_with_a_line_feed_after_it(string pattern)
    {
        var keyPath = pattern.Replace("[*]", "[0]");
        Assert.That(new KeyPattern(pattern).Matches(keyPath), Is.True);
        Assert.That(new KeyPattern(pattern).Matches(keyPath + "\n"), Is.False);
    }
}
