using ResearchPipeline.Dataset;
using ResearchPipeline.Cli;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Cluster;
using ResearchPipeline.Study;
using ResearchPipeline.Tests.Cli;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Cluster;

public class StudyPlanTests
{
    /// <summary>The demonstration study planned in parts, and what a parse worker needs for it.</summary>
    private static (IReadOnlyList<CaptureFile> Files, StudyPlan Plan, ParseContext Context) Demonstration(int parts)
    {
        var files = CaptureFile.Discover(DemonstrationCorpus.Raw);
        var plan = StudyPlan.Of(DemonstrationCorpus.Raw, files, parts, ReadLimits.Default.MaxBodyBytes);
        return (files, plan, ParseContext.For(DemonstrationCorpus.Raw, ReadLimits.Default));
    }

    [Test]
    public void The_demonstration_study_is_dealt_in_name_order_into_parts_balanced_by_bytes_without_reading_a_capture()
    {
        var files = CaptureFile.Discover(DemonstrationCorpus.Raw);
        var plan = StudyPlan.Of(DemonstrationCorpus.Raw, files, parts: 4, ReadLimits.Default.MaxBodyBytes);
        var largest = files.Max(f => f.SizeBytes);
        var bytes = Enumerable.Range(0, 4).Select(plan.BytesOf).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(plan.Parts, Is.EqualTo(4));
            Assert.That(plan.Captures.Select(c => c.RelativeName), Is.EqualTo(files.Select(f => f.RelativeName).Order(StringComparer.Ordinal)), "name order");
            Assert.That(plan.Captures.Select(c => c.SizeBytes), Is.EqualTo(plan.Captures.Select(c => files.Single(f => f.RelativeName == c.RelativeName).SizeBytes)));
            Assert.That(Enumerable.Range(0, 4).Select(p => plan.CapturesOf(p).Count()), Has.All.GreaterThan(0));
            Assert.That(bytes.Max() - bytes.Min(), Is.LessThanOrEqualTo(largest), "the parts' bytes differ by at most one capture's");
            // Dealt, not cut in runs: the parts take turns along the names (the study's apps are spread over them).
            Assert.That(plan.Captures.Take(4).Select(c => c.Part), Is.EqualTo(new[] { 0, 1, 2, 3 }), "the first four names go to four parts");
        });

        var many = StudyPlan.Of(DemonstrationCorpus.Raw, files, parts: 100, ReadLimits.Default.MaxBodyBytes);
        Assert.That(many.Parts, Is.EqualTo(files.Count), "no empty part: a part per capture at most");
        Assert.That(many.PlanId, Is.Not.EqualTo(plan.PlanId));
        Assert.That(StudyPlan.Of(DemonstrationCorpus.Raw, files.Reverse().ToList(), parts: 4, ReadLimits.Default.MaxBodyBytes).PlanId, Is.EqualTo(plan.PlanId),
            "the same study cut the same way, whatever order the files were listed in");
    }

    [Test]
    public void Parts_dealt_by_bytes_keep_a_large_capture_from_drawing_the_next_ones_to_its_part()
    {
        // Files that do not exist, with made-up sizes: a plan is made from the listing's names and sizes alone, no
        // capture read. One large capture among small ones, in name order.
        var files = new[] { ("a/1", 100L), ("a/2", 10L), ("b/1", 10L), ("b/2", 10L), ("c/1", 10L), ("c/2", 10L), ("d/1", 0L) }
            .Select(f => new CaptureFile(Path.Combine("/raw", f.Item1), f.Item1, f.Item1.Split('/')[0], f.Item2)).ToList();
        var plan = StudyPlan.Of("/raw", files, parts: 2, maxBodyBytes: 1 << 20);
        Assert.That(plan.Captures.Select(c => c.Part), Is.EqualTo(new[] { 0, 1, 1, 1, 1, 1, 1 }), "every later capture to the part with fewer bytes");
        Assert.That(new[] { plan.BytesOf(0), plan.BytesOf(1) }, Is.EqualTo(new[] { 100L, 50L }));
    }

    // A part's record names the plan it was written under, and a study resumed with a later build keeps the parts
    // whose plan id it computes again; so the id of a plan is pinned here, whatever way it comes to be computed. For the
    // same study it moves only with the shard format (the id names it) and with what a plan holds (no capture's hash since
    // plans are made without reading the captures), as parts written otherwise are parsed again.
    [Test]
    public void A_plans_id_stays_the_digest_it_was_for_the_same_study()
    {
        var plan = new StudyPlan
        {
            RawFolder = "/studies/2026/raw",
            MaxBodyBytes = 64L << 20,
            Parts = 2,
            Captures =
            [
                new PlannedCapture("app.one/session.har", 1234, 0),
                new PlannedCapture("app.two/capture é.pcapng", 56789, 1),
                new PlannedCapture("app.two/flows", 0, 1),
            ],
        };
        Assert.That(plan.PlanId, Is.EqualTo("6c49cd59f073b575"));
    }

    [Test]
    public void A_capture_written_again_in_place_with_the_same_size_is_not_the_plans_and_its_parts_are_parsed_again()
    {
        // A copy of two captures, one of them then written again with the same bytes: only the time it was written tells.
        var raw = TestFiles.NewTempFolder("rewritten");
        var originals = CaptureFile.Discover(DemonstrationCorpus.Raw).Take(2).ToList();
        foreach (var f in originals)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(raw, f.RelativeName))!);
            File.Copy(f.FullPath, Path.Combine(raw, f.RelativeName));
        }
        var files = CaptureFile.Discover(raw);
        var plan = StudyPlan.Of(raw, files, parts: 2, ReadLimits.Default.MaxBodyBytes);
        var folders = new PartFolders(TestFiles.NewTempFolder("rewritten-parts"));
        var context = ParseContext.For(raw, ReadLimits.Default);
        Assert.That(PartParse.Run(plan, 0, folders, context), Is.True);

        var rewritten = Path.Combine(raw, plan.CapturesOf(0).Single().RelativeName);
        File.WriteAllBytes(rewritten, File.ReadAllBytes(rewritten));
        File.SetLastWriteTimeUtc(rewritten, File.GetLastWriteTimeUtc(rewritten).AddMinutes(1));
        var again = CaptureFile.Discover(raw);
        Assert.Multiple(() =>
        {
            Assert.That(again.Select(f => f.SizeBytes), Is.EqualTo(files.Select(f => f.SizeBytes)), "the same sizes");
            Assert.That(plan.Differences(again), Has.Count.EqualTo(1).And.Some.StartsWith(plan.CapturesOf(0).Single().RelativeName + ": written at"));
            var replanned = StudyPlan.Of(raw, again, parts: 2, ReadLimits.Default.MaxBodyBytes);
            Assert.That(replanned.PlanId, Is.Not.EqualTo(plan.PlanId));
            Assert.That(folders.Missing(replanned), Is.EqualTo(new[] { 0, 1 }), "the part written before is not the new plan's");
            Assert.That(() => PartParse.Run(plan, 0, new PartFolders(TestFiles.NewTempFolder("stale")), context),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains(": written at").And.Message.EndsWith(": plan the study again"));
        });
    }

    [Test]
    public void A_key_log_written_again_added_or_taken_away_is_not_the_plans_and_its_parts_are_parsed_again()
    {
        // One packet capture of the demonstration study with its key log, which decides what its TLS connections give.
        var raw = TestFiles.NewTempFolder("keylogged");
        var capture = CaptureFile.Discover(DemonstrationCorpus.Raw).First(f => f.RelativeName.EndsWith(".pcapng", StringComparison.Ordinal));
        var keyLog = capture.KeyLogs.Single();
        foreach (var name in new[] { capture.RelativeName, keyLog.RelativeName })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(raw, name))!);
            File.Copy(Path.Combine(DemonstrationCorpus.Raw, name), Path.Combine(raw, name));
        }
        var plan = StudyPlan.Of(raw, CaptureFile.Discover(raw), parts: 1, ReadLimits.Default.MaxBodyBytes);
        Assert.That(plan.Captures.Single().KeyLogs.Select(k => k.RelativeName), Is.EqualTo(new[] { keyLog.RelativeName }));
        var planFile = Path.Combine(TestFiles.NewTempFolder("keylogged-plan"), StudyPlan.FileName);
        File.WriteAllText(planFile, plan.ToJson());
        Assert.That(StudyPlan.Load(planFile).Captures.Single().KeyLogs, Is.EqualTo(plan.Captures.Single().KeyLogs), "a task on another node reads them from plan.json");
        var folders = new PartFolders(TestFiles.NewTempFolder("keylogged-parts"));
        var context = ParseContext.For(raw, ReadLimits.Default);
        Assert.That(PartParse.Run(plan, 0, folders, context), Is.True);
        Assert.That(StudyPlan.Of(raw, CaptureFile.Discover(raw), parts: 1, ReadLimits.Default.MaxBodyBytes).PlanId, Is.EqualTo(plan.PlanId), "nothing changed");

        var path = Path.Combine(raw, keyLog.RelativeName);
        void Expect(string change)
        {
            var again = CaptureFile.Discover(raw);
            Assert.That(again.Select(f => (f.RelativeName, f.SizeBytes, f.ModifiedTicks)), Is.EqualTo(plan.Captures.Select(c => (c.RelativeName, c.SizeBytes, c.ModifiedTicks))),
                "the capture itself as planned");
            Assert.That(plan.Differences(again), Has.Count.EqualTo(1).And.Some.StartsWith($"{capture.RelativeName}: key log {keyLog.RelativeName} {change}"));
            var replanned = StudyPlan.Of(raw, again, parts: 1, ReadLimits.Default.MaxBodyBytes);
            Assert.That(replanned.PlanId, Is.Not.EqualTo(plan.PlanId));
            Assert.That(folders.Missing(replanned), Is.EqualTo(new[] { 0 }), "the part written before is not the new plan's");
            Assert.That(() => PartParse.Run(plan, 0, new PartFolders(TestFiles.NewTempFolder("stale")), context),
                Throws.InstanceOf<InvalidDataException>().With.Message.Contains($": key log {keyLog.RelativeName} {change}").And.Message.EndsWith(": plan the study again"));
        }

        var written = File.GetLastWriteTimeUtc(path);
        File.WriteAllBytes(path, File.ReadAllBytes(path));
        File.SetLastWriteTimeUtc(path, written.AddMinutes(1));
        Expect("written at");
        File.SetLastWriteTimeUtc(path, written);
        Assert.That(plan.Differences(CaptureFile.Discover(raw)), Is.Empty, "as planned again");

        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        Expect("planned but no longer there");

        var unkeyed = StudyPlan.Of(raw, CaptureFile.Discover(raw), parts: 1, ReadLimits.Default.MaxBodyBytes);
        File.WriteAllBytes(path, bytes);
        Assert.That(unkeyed.Differences(CaptureFile.Discover(raw)), Is.EqualTo(new[] { $"{capture.RelativeName}: key log {keyLog.RelativeName} beside it, not in the plan" }));
    }

    [Test]
    public void A_key_log_added_beside_a_HAR_after_planning_does_not_stop_its_parse_as_no_HAR_reads_one()
    {
        var raw = TestFiles.NewTempFolder("har-keylog");
        var capture = CaptureFile.Discover(DemonstrationCorpus.Raw).First(f => f.RelativeName.EndsWith(".har", StringComparison.Ordinal));
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(raw, capture.RelativeName))!);
        File.Copy(capture.FullPath, Path.Combine(raw, capture.RelativeName));
        var plan = StudyPlan.Of(raw, CaptureFile.Discover(raw), parts: 1, ReadLimits.Default.MaxBodyBytes);
        var context = ParseContext.For(raw, ReadLimits.Default);
        PartRecord? before = null;
        Assert.That(PartParse.Run(plan, 0, new PartFolders(TestFiles.NewTempFolder("har-keylog-before")), context, written: r => before = r), Is.True);

        var keyLog = CaptureFile.KeyLogNames(capture.RelativeName)[0];
        File.WriteAllText(Path.Combine(raw, keyLog), "CLIENT_RANDOM " + new string('0', 64) + " " + new string('1', 96) + "\n");
        Assert.That(plan.Differences(CaptureFile.Discover(raw)), Is.EqualTo(new[] { $"{capture.RelativeName}: key log {keyLog} beside it, not in the plan" }),
            "the plan still tells it apart: planning again names it");
        PartRecord? after = null;
        Assert.That(PartParse.Run(plan, 0, new PartFolders(TestFiles.NewTempFolder("har-keylog-after")), context, written: r => after = r), Is.True,
            "a HAR's parse does not ask for key logs, which its reader never reads");
        Assert.That(after!.Captures.Single().Capture, Is.EqualTo(before!.Captures.Single().Capture), "the same capture row");
    }

    [Test]
    public async Task A_plans_parts_hash_each_capture_as_they_read_it_in_name_order()
    {
        var files = CaptureFile.Discover(DemonstrationCorpus.Raw);
        var plan = StudyPlan.Of(DemonstrationCorpus.Raw, files, parts: 3, ReadLimits.Default.MaxBodyBytes);

        var folders = new PartFolders(TestFiles.NewTempFolder("unhashed"));
        var context = ParseContext.For(DemonstrationCorpus.Raw, ReadLimits.Default);
        var records = new PartRecord?[plan.Parts];
        for (var part = 0; part < plan.Parts; part++) PartParse.Run(plan, part, folders, context, written: r => records[r.Part] = r);
        var read = records.SelectMany(r => r!.Captures).ToList();
        var sha256 = files.ToDictionary(f => f.RelativeName, f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f.FullPath))));
        Assert.That(read.Select(c => c.Capture.FileName), Is.EqualTo(Enumerable.Range(0, plan.Parts).SelectMany(p => plan.CapturesOf(p)).Select(c => c.RelativeName)),
            "each part's captures read in the plan's (name) order");
        Assert.That(read.Select(c => c.Capture.CaptureId), Is.EqualTo(read.Select(c => sha256[c.Capture.FileName])), "each capture's id is its file's sha256");

        // Emit reads these captures in the table's order, by range: each capture's rows start a row group of their own.
        for (var part = 0; part < plan.Parts; part++)
        {
            var ranges = records[part]!.Captures.Select(c => c.Payloads).OfType<PartRange>().ToList();
            await using var cursor = await ShardCursor<PayloadFieldRow>.OpenAsync(Path.Combine(folders.Of(part), ranges[0].File), ShardTables.PayloadFields, default);
            Assert.That(ranges.Select(r => cursor.StartsGroup(r.FirstRow)), Has.All.True, $"part {part}");
        }
    }

    [Test]
    public void Jobs_sharing_one_queue_read_every_capture_once_each_into_its_own_part()
    {
        var files = CaptureFile.Discover(DemonstrationCorpus.Raw);
        var plan = StudyPlan.Of(DemonstrationCorpus.Raw, files, parts: 2, ReadLimits.Default.MaxBodyBytes);
        var folders = new PartFolders(TestFiles.NewTempFolder("queue"));
        var context = ParseContext.For(DemonstrationCorpus.Raw, ReadLimits.Default);
        var records = new PartRecord?[plan.Parts];
        using (var queue = new CaptureQueue(plan.RawFolder, plan.Captures, workers: 2))
            Parallel.For(0, plan.Parts, new ParallelOptions { MaxDegreeOfParallelism = 2 },
                part => PartParse.Run(plan, part, folders, context, written: r => records[r.Part] = r, shared: queue));
        var read = records.SelectMany(r => r!.Captures.Select(c => c.Capture)).ToList();
        var sha256 = files.ToDictionary(f => f.RelativeName, f => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f.FullPath))));
        Assert.Multiple(() =>
        {
            Assert.That(read.Select(c => c.FileName), Is.EquivalentTo(files.Select(f => f.RelativeName)), "every capture once, in one part or the other");
            Assert.That(read.Select(c => c.CaptureId), Is.EqualTo(read.Select(c => sha256[c.FileName])), "each capture's id is its file's sha256");
            foreach (var record in records)
                Assert.That(record!.Captures.Select(c => c.Capture.FileName), Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "each job takes the captures in name order");
            var (outcomes, _) = PartParse.Load(plan, folders, records);
            Assert.That(outcomes.Keys, Is.EquivalentTo(files.Select(f => f.RelativeName)), "emit finds every capture in the parts");
        });
    }

    [Test]
    public void Array_indexes_are_written_as_sbatch_ranges() =>
        Assert.That(new[] { Slurm.ArraySpec([0, 1, 2, 3]), Slurm.ArraySpec([1, 2, 5, 7, 8]), Slurm.ArraySpec([6]) }, Is.EqualTo(new[] { "0-3", "1-2,5,7-8", "6" }));

    [Test]
    public void A_part_written_twice_is_the_same_bytes_and_a_half_written_or_stale_part_is_not_done()
    {
        var (files, plan, context) = Demonstration(parts: 3);
        var first = new PartFolders(TestFiles.NewTempFolder("first"));
        var second = new PartFolders(TestFiles.NewTempFolder("second"));

        Assert.That(PartParse.Run(plan, 1, first, context), Is.True);
        Assert.That(PartParse.Run(plan, 1, second, context), Is.True);
        Assert.That(PartParse.Run(plan, 1, first, context), Is.False, "a part already written is kept");
        var names = Directory.GetFiles(first.Of(1)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.That(names, Is.EqualTo(new[] { "part.exchanges.shard", "part.identifier_matches.shard", "part.json", "part.payload_fields.shard" }));
        foreach (var name in names)
            Assert.That(File.ReadAllBytes(Path.Combine(second.Of(1), name!)), Is.EqualTo(File.ReadAllBytes(Path.Combine(first.Of(1), name!))), name);
        Assert.That(Directory.GetDirectories(first.Root).Select(Path.GetFileName), Is.EqualTo(new[] { "part-0001" }), "no temporary folder left");

        // A task killed before its rename leaves only a temporary folder; a part of another plan names that plan.
        var killed = first.Temporary(0);
        Directory.CreateDirectory(killed);
        File.Copy(Path.Combine(first.Of(1), PartFolders.RecordFile), Path.Combine(killed, PartFolders.RecordFile));
        var other = StudyPlan.Of(DemonstrationCorpus.Raw, files, parts: 2, ReadLimits.Default.MaxBodyBytes);
        Assert.That(first.Missing(plan), Is.EqualTo(new[] { 0, 2 }));
        Assert.That(first.Missing(other), Is.EqualTo(new[] { 0, 1 }), "part 1 of another plan is not done");
        first.RemoveLeftovers(other);
        Assert.That(Directory.GetDirectories(first.Root), Is.Empty);
    }

    [Test]
    public void Captures_records_hold_one_string_per_repeated_text_kept_in_hand_and_read_back_with_the_same_texts()
    {
        var (_, plan, context) = Demonstration(parts: 2);
        var folders = new PartFolders(TestFiles.NewTempFolder("records"));
        var kept = new PartRecord?[plan.Parts];
        for (var part = 0; part < plan.Parts; part++) PartParse.Run(plan, part, folders, context, written: r => kept[r.Part] = r);

        // Every text the records hold that several captures repeat (platforms, devices, creators, hosts, addresses,
        // notes): how many strings hold it against how many times it is held.
        static IEnumerable<string?> Texts(CaptureOutcome o) =>
            new[] { o.Capture.Platform, o.Capture.DeviceId, o.Capture.AppName, o.Capture.Creator, o.Capture.Format, o.Shards?.Exchanges?.Path }
                .Concat(o.Quality.SelectMany(q => new[] { q.Stage, q.Severity, q.Message, q.Location }))
                .Concat(o.Endpoints.SelectMany(e => new[] { e.Host, e.ServerIp, e.IpSource }))
                .Concat(o.RequestsByHost?.Select(h => h.Host) ?? []);
        static (int Held, int Strings) Count(IEnumerable<CaptureOutcome> outcomes, string text) =>
            (outcomes.SelectMany(Texts).Count(t => t == text),
             outcomes.SelectMany(Texts).Where(t => t == text).Distinct(ReferenceEqualityComparer.Instance).Count());

        var inHand = PartParse.Load(plan, folders, kept).Outcomes.Values.ToList();
        Assert.That(kept, Is.All.Null, "records are let go once loaded: a run does not hold them beside the outcomes through emit");
        var readBack = PartParse.Load(plan, folders).Outcomes.Values.ToList();
        var repeated = inHand.SelectMany(Texts).OfType<string>().CountBy(t => t).Where(c => c.Value >= 4).Select(c => c.Key).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(repeated, Has.Count.GreaterThan(10), "texts repeated across the study's captures");
            Assert.That(readBack.Select(o => o.Capture.FileName), Is.EquivalentTo(inHand.Select(o => o.Capture.FileName)));
            foreach (var text in repeated)
            {
                Assert.That(Count(readBack, text).Strings, Is.EqualTo(1), $"read back: '{text}' one string");
                Assert.That(Count(inHand, text).Strings, Is.LessThanOrEqualTo(plan.Parts), $"in hand: '{text}' one string a part");
                Assert.That(Count(readBack, text).Held, Is.EqualTo(Count(inHand, text).Held), $"'{text}' held as often");
            }
            foreach (var o in readBack)
            {
                var same = inHand.Single(h => h.Capture.FileName == o.Capture.FileName);
                Assert.That(o.Capture, Is.EqualTo(same.Capture));
                Assert.That(o.Quality, Is.EqualTo(same.Quality));
                Assert.That(o.Endpoints, Is.EqualTo(same.Endpoints));
                Assert.That(o.Shards, Is.EqualTo(same.Shards));
                Assert.That(o.RequestsByHost, Is.EqualTo(same.RequestsByHost));
            }
        });
    }

    [Test]
    public async Task Plan_parse_part_and_emit_publish_the_bytes_of_a_local_run_and_emit_refuses_while_a_part_is_missing()
    {
        var work = TestFiles.NewTempFolder("parts");
        var interim = Path.Combine(work, "interim");
        var planPath = Path.Combine(interim, StudyPlan.FileName);
        await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(DemonstrationCorpus.Raw, Path.Combine(work, "local"), 2, ReadLimits.Default));

        // The verbs where their exit codes matter; the part work itself in this process (the Slurm tests run parse-part).
        var planned = StudyRunnerTests.RunProgram("plan", "--raw", DemonstrationCorpus.Raw, "--interim", interim, "--parts", "3");
        Assert.That(planned.Code, Is.EqualTo(ExitCodes.Ok), planned.Stderr);
        Assert.That(planned.Stdout, Does.Contain("in 3 parts").And.Contain("0 part(s) already written"));
        var plan = StudyPlan.Load(planPath);
        var folders = new PartFolders(Path.Combine(interim, "shards"));
        var context = ParseContext.For(plan.RawFolder, ReadLimits.Default with { MaxBodyBytes = plan.MaxBodyBytes });
        foreach (var part in new[] { 0, 2 }) PartParse.Run(plan, part, folders, context);

        var refused = StudyRunnerTests.RunProgram("emit", "--plan", planPath, "--out", Path.Combine(work, "out"), "--quiet");
        Assert.That(refused.Code, Is.EqualTo(ExitCodes.PartsMissing));
        Assert.That(refused.Stderr, Does.Contain("1 part(s) of the plan have no complete shards").And.Contain(": 1;"));
        Assert.That(File.Exists(Path.Combine(work, "out", "SHA256SUMS")), Is.False);

        PartParse.Run(plan, 1, folders, context);
        var emitted = StudyRunnerTests.RunProgram("emit", "--plan", planPath, "--out", Path.Combine(work, "out"), "--quiet");
        Assert.That(emitted.Code, Is.EqualTo(ExitCodes.Ok), emitted.Stderr);
        Assert.That(File.ReadAllBytes(Path.Combine(work, "out", "SHA256SUMS")), Is.EqualTo(File.ReadAllBytes(Path.Combine(work, "local", "SHA256SUMS"))));
        Assert.That(Directory.Exists(Path.Combine(interim, "shards")), Is.False, "the shards go once published");
    }
}
