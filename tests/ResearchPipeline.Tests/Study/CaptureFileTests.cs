using ResearchPipeline.Study;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Study;

public class CaptureFileTests
{
    [Test]
    public void Ground_truth_and_key_logs_beside_a_capture_are_not_captures()
    {
        var raw = TestFiles.NewTempFolder("raw");
        var app = Directory.CreateDirectory(Path.Combine(raw, "demo-app")).FullName;
        foreach (var name in new[] { "session.har", "session.mitm", "session.pcapng", "session.truth.csv", "session.keylog", "other.sslkeylog", "notes.txt" })
            File.WriteAllText(Path.Combine(app, name), "x");
        File.WriteAllText(Path.Combine(raw, "apps.csv"), "capture,app_id\n");

        var found = CaptureFile.Discover(raw).Select(f => f.RelativeName);

        Assert.That(found, Is.EqualTo(new[] { "demo-app/notes.txt", "demo-app/session.har", "demo-app/session.mitm", "demo-app/session.pcapng" }));
    }

    [Test]
    public void The_committed_demonstration_corpus_offers_only_its_recordings_as_captures()
    {
        var raw = DemonstrationCorpus.Raw;
        var found = CaptureFile.Discover(raw);
        Assert.That(found, Is.Not.Empty);
        Assert.That(found.Select(f => Path.GetExtension(f.RelativeName)).Distinct().Order(), Is.EqualTo(new[] { ".har", ".mitm", ".pcapng" }));
    }
}
