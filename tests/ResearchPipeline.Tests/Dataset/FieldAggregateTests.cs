using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Decoders;
using ResearchPipeline.Identity;
using ResearchPipeline.Run;
using ResearchPipeline.Study;
using ResearchPipeline.Taxonomy;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>
/// app_facebook_fields and app_tracker_fields as emit builds them: app by app, each app's tallies made into rows
/// once its last capture is read.
/// </summary>
public class FieldAggregateTests
{
    /// <summary>The demonstration study's HARs, parsed: six apps, one capture each, in the captures table's order.</summary>
    private static List<CaptureOutcome> Parsed()
    {
        var apps = AppsCatalog.Load(DemonstrationCorpus.Raw);
        var identify = new IdentifierMatchers(DevicesCatalog.Load(DemonstrationCorpus.Raw), ReadLimits.Default);
        return CaptureFile.Discover(DemonstrationCorpus.Raw).Where(f => f.RelativeName.EndsWith(".har", StringComparison.Ordinal))
            .Select(f => CaptureParse.Run(f, apps, CaptureFormats.All, ReadLimits.Default, identify))
            .OrderBy(o => o.Capture.CaptureId, StringComparer.Ordinal).ToList();
    }

    private static void Add(FacebookFieldsAggregate facebook, TrackerFieldsAggregate trackers, CaptureOutcome capture)
    {
        var exchanges = capture.Exchanges.ToDictionary(e => e.ExchangeId, StringComparer.Ordinal);
        foreach (var p in capture.Payloads)
        {
            var e = exchanges[p.ExchangeId];
            facebook.Add(p.AppId, p.Semantic, p.Decoder, p.ValueType, p.Category, p.PersonalData, p.ExchangeId, p.Endpoint, p.Value, p.KeyPath,
                new ExchangeFacts(e.Sdk, e.SecondsSinceStart, capture.Capture.Platform));
            trackers.Add(p.AppId, p.Semantic, p.Decoder, p.ValueType, p.Category, p.PersonalData, p.ExchangeId, p.Endpoint, p.Value, p.KeyPath,
                new ExchangeFacts(e.Sdk, e.SecondsSinceStart, null) { Host = e.Host });
        }
    }

    private static Dictionary<string, TrackerAttribution> Attribution(IEnumerable<CaptureOutcome> captures) =>
        captures.SelectMany(o => o.Exchanges).Select(e => e.Host).OfType<string>().Distinct()
            .Where(h => TrackerDecoders.All.AdapterForHost(h) is not null)
            .ToDictionary(h => h, h => new TrackerAttribution { Host = h, Tracker = TrackerDecoders.All.AdapterForHost(h)!.Name, Organisation = "org-" + h, ParentOrganisation = "parent" });

    [Test]
    public void Apps_finished_as_their_captures_end_give_the_rows_of_apps_finished_together_at_the_end()
    {
        var captures = Parsed();
        var attribution = Attribution(captures);
        var (facebookEarly, trackersEarly) = (new FacebookFieldsAggregate(), new TrackerFieldsAggregate(attribution));
        var (facebookLate, trackersLate) = (new FacebookFieldsAggregate(), new TrackerFieldsAggregate(attribution));
        foreach (var capture in captures)
        {
            Add(facebookEarly, trackersEarly, capture);
            facebookEarly.Finish(capture.Capture.AppId);
            trackersEarly.Finish(capture.Capture.AppId);
            Add(facebookLate, trackersLate, capture);
        }

        var facebook = facebookEarly.TakeRows().Order(Comparer<AppFacebookFieldRow>.Create(Tables.AppFacebookFields.Order)).ToList();
        var trackers = trackersEarly.TakeRows().Order(Comparer<AppTrackerFieldRow>.Create(Tables.AppTrackerFields.Order)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(captures.Select(c => c.Capture.AppId).Distinct().Count(), Is.EqualTo(captures.Count).And.GreaterThan(3));
            Assert.That(facebook.Select(r => r.AppId).Distinct().Count(), Is.GreaterThan(3), "several apps sent Meta fields");
            Assert.That(trackers.Select(r => r.Adapter).Distinct().Count(), Is.GreaterThan(1), "several trackers' fields");
            Assert.That(facebook, Is.EqualTo(facebookLate.TakeRows().Order(Comparer<AppFacebookFieldRow>.Create(Tables.AppFacebookFields.Order))));
            Assert.That(trackers, Is.EqualTo(trackersLate.TakeRows().Order(Comparer<AppTrackerFieldRow>.Create(Tables.AppTrackerFields.Order))));
            Assert.That(facebookEarly.TakeRows(), Is.Empty, "rows are taken once");
            Assert.That((facebookEarly.MostAppsHeld, trackersEarly.MostAppsHeld), Is.EqualTo((1, 1)), "apps held at once, finished as they end");
            Assert.That(trackersLate.MostAppsHeld, Is.EqualTo(captures.Count), "apps held at once, finished together at the end");
        });
    }

    [Test]
    public void Rows_of_an_app_after_it_was_finished_are_refused_rather_than_published_as_a_second_row()
    {
        var capture = Parsed().First(c => c.Payloads.Any(p => FacebookFieldsAggregate.Counts(p.Decoder, p.Semantic, p.ValueType)));
        var facebook = new FacebookFieldsAggregate();
        var trackers = new TrackerFieldsAggregate(Attribution([capture]));
        Add(facebook, trackers, capture);
        facebook.Finish(capture.Capture.AppId);
        trackers.Finish(capture.Capture.AppId);

        Assert.That(() => Add(facebook, new TrackerFieldsAggregate(Attribution([capture])), capture),
            Throws.InvalidOperationException.With.Message.Contains(capture.Capture.AppId));
        Assert.That(() => Add(new FacebookFieldsAggregate(), trackers, capture), Throws.InvalidOperationException.With.Message.Contains(capture.Capture.AppId));
    }

    [Test]
    public void Endpoints_SDKs_and_platforms_are_listed_once_each_in_ordinal_order()
    {
        var set = new SortedStrings();
        foreach (var endpoint in new[] { "gatekeepers", "activities", "Zeta", "app_settings", "activities", "a", "gatekeepers" }) set.Add(endpoint);
        Assert.That(set.Join(","), Is.EqualTo("Zeta,a,activities,app_settings,gatekeepers"));
        Assert.That(set.Count, Is.EqualTo(5));
        Assert.That(new SortedStrings().Join(","), Is.EqualTo(""));
    }
}
