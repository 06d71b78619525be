using ResearchPipeline.Captures.Pcap.Tls;
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
    public void Captures_in_folders_within_an_app_folder_are_listed_and_hidden_files_and_folders_are_not()
    {
        var raw = TestFiles.NewTempFolder("raw");
        var app = Directory.CreateDirectory(Path.Combine(raw, "demo-app")).FullName;
        var files = new[] { "session.har", "day2/session.pcapng", "day2/night/flows.mitm", ".hidden.har", "day2/.partial.pcapng", ".cache/session.har" };
        foreach (var name in files)
        {
            var path = Path.Combine(app, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, name);
        }
        Directory.CreateDirectory(Path.Combine(raw, ".trash", "x"));
        File.WriteAllText(Path.Combine(raw, ".trash", "x", "old.har"), "old");
        // A capture linked in from elsewhere is listed as the file it names.
        var elsewhere = Path.Combine(TestFiles.NewTempFolder("elsewhere"), "linked.har");
        File.WriteAllText(elsewhere, "a capture kept elsewhere");
        File.CreateSymbolicLink(Path.Combine(app, "linked.har"), elsewhere);

        var found = CaptureFile.Discover(raw);

        Assert.That(found.Select(f => f.RelativeName), Is.EqualTo(new[] { "demo-app/day2/night/flows.mitm", "demo-app/day2/session.pcapng", "demo-app/linked.har", "demo-app/session.har" }));
        foreach (var capture in found)
        {
            var info = new FileInfo(Path.Combine(raw, capture.RelativeName));
            Assert.That(capture.FullPath, Is.EqualTo(info.FullName));
            Assert.That(capture.FolderAppId, Is.EqualTo("demo-app"));
            Assert.That((capture.SizeBytes, capture.ModifiedTicks), Is.EqualTo((info.Length, info.LastWriteTimeUtc.Ticks)), capture.RelativeName);
        }
    }

    [Test]
    public void A_captures_key_logs_are_listed_by_the_rule_the_reader_finds_them_by()
    {
        var raw = TestFiles.NewTempFolder("raw");
        var app = Directory.CreateDirectory(Path.Combine(raw, "demo-app")).FullName;
        foreach (var name in new[] { "session.pcapng", "session.har", "session.keylog", "session.pcapng.sslkeylog", "trace", "trace.keylog", "other.sslkeylog", "notes.txt" })
            File.WriteAllText(Path.Combine(app, name), name);

        var found = CaptureFile.Discover(raw);

        Assert.That(found.ToDictionary(f => f.RelativeName, f => f.KeyLogs.Select(k => k.RelativeName).ToList()), Is.EqualTo(new Dictionary<string, List<string>>
        {
            ["demo-app/notes.txt"] = [],
            ["demo-app/session.har"] = ["demo-app/session.keylog"],
            ["demo-app/session.pcapng"] = ["demo-app/session.keylog", "demo-app/session.pcapng.sslkeylog"],
            ["demo-app/trace"] = ["demo-app/trace.keylog"],
        }));
        foreach (var capture in found)
        {
            var read = TlsKeyLog.BesideCapture(capture.FullPath).Select(p => Path.GetRelativePath(raw, p).Replace(Path.DirectorySeparatorChar, '/'));
            Assert.That(capture.KeyLogs.Select(k => k.RelativeName), Is.EqualTo(read), $"{capture.RelativeName}: the listing and the reader agree");
            Assert.That(CaptureFile.KeyLogsBeside(raw, capture.RelativeName), Is.EqualTo(capture.KeyLogs), $"{capture.RelativeName}: as asked of the file system");
        }
        var keyLog = found.Single(f => f.RelativeName == "demo-app/trace").KeyLogs.Single();
        Assert.That(keyLog.SizeBytes, Is.EqualTo("trace.keylog".Length));
        Assert.That(keyLog.ModifiedTicks, Is.EqualTo(File.GetLastWriteTimeUtc(Path.Combine(app, "trace.keylog")).Ticks));
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
