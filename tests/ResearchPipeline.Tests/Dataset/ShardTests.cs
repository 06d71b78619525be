using ResearchPipeline.Taxonomy;
using ResearchPipeline.Run;
using ResearchPipeline.Decoders;
using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;
using ResearchPipeline.Identity;
using ResearchPipeline.Study;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>The interim shards between parse and emit: what goes in comes out, in the same bytes.</summary>
public class ShardTests
{
    /// <param name="overlap">Row groups encoded on another thread while the next is filled, as a run with more than one job does.</param>
    /// <param name="heldRows">Rows a spool holds for order in memory; fewer than a packet capture waits with, so the rest go to its file.</param>
    /// <param name="inNameOrder">The workers take the captures in name order, as a plan deals them, and emit reads them by range in the table's order.</param>
    [TestCase(false, Shards.HeldRows, false)]
    [TestCase(true, Shards.HeldRows, false)]
    [TestCase(false, 5, false)]
    [TestCase(true, Shards.HeldRows, true)]
    [TestCase(false, 5, true)]
    public async Task Tables_merged_from_shards_are_the_bytes_of_the_tables_written_from_all_rows_at_once(bool overlap, int heldRows, bool inNameOrder)
    {
        // The demonstration study (HAR, flows and pcapng of the same sessions, known device values) and a
        // shared pcap; packet captures give their rows out of order, HAR and flow files in order.
        var files = CaptureFile.Discover(DemonstrationCorpus.Raw).ToList();
        var pcap = TestFiles.Capture("pcap/android.pcap");
        files.Add(new CaptureFile(pcap, "extra/android.pcap", "extra", new FileInfo(pcap).Length));
        var apps = AppsCatalog.Load(DemonstrationCorpus.Raw);
        var devices = DevicesCatalog.Load(DemonstrationCorpus.Raw);
        var identify = new IdentifierMatchers(devices, ReadLimits.Default);
        var formats = CaptureFormats.All;
        var folder = TestFiles.NewTempFolder("shards");

        var whole = files.Select(f => CaptureParse.Run(f, apps, formats, ReadLimits.Default, identify)).ToList();

        // Two workers taking the captures in turn, in the captures table's order (or by name), with a row group every 7 rows.
        var tableOrder = Enumerable.Range(0, files.Count)
            .OrderBy(i => whole[i].Capture.CaptureId, StringComparer.Ordinal).ThenBy(i => whole[i].Capture.FileName, StringComparer.Ordinal).ToList();
        var order = inNameOrder ? Enumerable.Range(0, files.Count).OrderBy(i => files[i].RelativeName, StringComparer.Ordinal).ToList() : tableOrder;
        var spools = new[] { 1, 2 }.Select(w => new CaptureSpool(folder, $"worker-{w}", chunkRows: 7, heldRows: heldRows)).ToArray();
        var sharded = order.Select((i, n) => CaptureParse.Run(files[i], apps, formats, ReadLimits.Default, identify, spool: spools[n % 2])).ToList();
        foreach (var spool in spools) spool.Dispose();
        // Emit is given the captures in the table's order, whichever order they were written in.
        var byName = sharded.ToDictionary(o => o.Capture.FileName, StringComparer.Ordinal);
        sharded = tableOrder.Select(i => byName[files[i].RelativeName]).ToList();
        // Where each capture's payload rows begin in its worker's file: at a row group's start, or not.
        var startsGroup = new List<bool>();
        foreach (var spool in spools)
        {
            await using var cursor = await ShardCursor<PayloadFieldRow>.OpenAsync(spool.Payloads.Path, ShardTables.PayloadFields, default);
            startsGroup.AddRange(sharded.Select(o => o.Shards?.Payloads).OfType<ShardRange>().Where(r => r.Path == spool.Payloads.Path).Select(r => cursor.StartsGroup(r.FirstRow)));
        }
        var tableSpools = spools.SelectMany(s => new (int MostHeld, long Spilled)[] { (s.Exchanges.MostRowsHeld, s.Exchanges.RowsSpilled),
            (s.Payloads.MostRowsHeld, s.Payloads.RowsSpilled), (s.Matches.MostRowsHeld, s.Matches.RowsSpilled) }).ToList();

        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, devices.Devices, whole.SelectMany(o => o.Sensitive));
        var captures = Sessions.MarkPrimary(sharded.Select(o => o.Capture)).ToList();
        var merged = Path.Combine(folder, "merged");
        var emit = new ShardEmit(pseudonymiser, captures.Select((c, i) => sharded[i] with { Capture = c }).ToList(), rowGroupSize: 50, overlap: overlap);
        var facebook = new FacebookFieldsAggregate();
        // Who receives each host, as the attribute stage would say: here, the adapter that claims it, under a made-up parent.
        var attribution = whole.SelectMany(o => o.Exchanges).Select(e => e.Host).Distinct()
            .Where(h => TrackerDecoders.All.AdapterForHost(h) is not null)
            .ToDictionary(h => h, h => new TrackerAttribution { Host = h, Tracker = TrackerDecoders.All.AdapterForHost(h)!.Name, Organisation = "org-" + h, ParentOrganisation = "parent" });
        var trackerFields = new TrackerFieldsAggregate(attribution);
        await emit.ExchangesAsync(merged, default);
        await emit.PayloadFieldsAsync(merged, facebook, trackerFields, default);
        await emit.IdentifierMatchesAsync(merged, default);
        await ParquetTableWriter.WriteAsync(merged, Tables.AppFacebookFields, facebook.TakeRows());
        await ParquetTableWriter.WriteAsync(merged, Tables.AppTrackerFields, trackerFields.TakeRows());
        // As a run writes them: each finished app's rows wait in a shard file, and the tables are written from
        // there in app order (apps finish in capture order).
        var spilled = Path.Combine(folder, "spilled");
        var aggregates = Path.Combine(folder, "aggregates");
        Directory.CreateDirectory(aggregates);
        var spilledFacebook = new FacebookFieldsAggregate();
        var spilledTrackers = new TrackerFieldsAggregate(attribution);
        // Past a few rows: the first apps are held, then spilled together, and the later ones spilled as they finish.
        spilledFacebook.SpillTo(aggregates, heldRows: 40);
        spilledTrackers.SpillTo(aggregates, heldRows: 40);
        // As a run does, the aggregates are told when they have every row, so that their tables are written beside
        // payload_fields' last row group.
        var rowsBefore = emit.PayloadFieldRows;
        long? rowsWhenAggregated = null;
        await emit.PayloadFieldsAsync(Path.Combine(folder, "again"), spilledFacebook, spilledTrackers, default,
            aggregated: () => rowsWhenAggregated = emit.PayloadFieldRows - rowsBefore);
        await spilledFacebook.WriteAsync(spilled, null, default);
        await spilledTrackers.WriteAsync(spilled, null, default);
        var appsInCaptureOrder = captures.Select(c => c.AppId).Distinct().ToList();

        var held = Path.Combine(folder, "held");
        var exchanges = whole.SelectMany(o => o.Exchanges).Select(pseudonymiser.Exchange).ToList();
        var payloads = whole.SelectMany(o => o.Payloads).Select(pseudonymiser.Payload).ToList();
        var matches = whole.SelectMany(o => o.IdentifierMatches).Select(pseudonymiser.Match).ToList();
        var primary = captures.Where(c => c.PrimaryInSession).Select(c => c.CaptureId).ToHashSet();
        await ParquetTableWriter.WriteAsync(held, Tables.Exchanges, exchanges, rowGroupSize: 50);
        await ParquetTableWriter.WriteAsync(held, Tables.PayloadFields, payloads, rowGroupSize: 50);
        await ParquetTableWriter.WriteAsync(held, Tables.IdentifierMatches, matches, rowGroupSize: 50);
        await ParquetTableWriter.WriteAsync(held, Tables.AppFacebookFields, FieldAggregates.FacebookFields(
            payloads.Where(p => primary.Contains(p.CaptureId)), exchanges.Where(e => primary.Contains(e.CaptureId)), captures));
        await ParquetTableWriter.WriteAsync(held, Tables.AppTrackerFields, FieldAggregates.TrackerFields(
            payloads.Where(p => primary.Contains(p.CaptureId)), exchanges.Where(e => primary.Contains(e.CaptureId)), attribution));

        Assert.Multiple(() =>
        {
            // Enough rows that both the shards' and the published row groups (7 and 50 rows) are cut many times.
            // (The HTTP/2 sessions of the corpus share one connection per host, so their pcapngs hold fewer flows.)
            Assert.That(exchanges, Has.Count.GreaterThan(200));
            Assert.That(payloads, Has.Count.GreaterThan(1000));
            Assert.That(matches, Has.Count.GreaterThan(20));
            Assert.That(sharded.Sum(o => o.ExchangeRowCount), Is.EqualTo(exchanges.Count));
            if (inNameOrder) Assert.That(order, Is.Not.EqualTo(tableOrder), "written in another order than read");
            Assert.That(startsGroup, Has.Count.GreaterThan(10).And.All.True, "each capture's rows start a row group of their own");
            Assert.That(rowsWhenAggregated, Is.EqualTo(payloads.Count), "the aggregates are told once, when every row has been aggregated");
            Assert.That(sharded.All(o => o.Exchanges.Count == 0 && o.Payloads.Count == 0), "sharded rows are not also held");
            // The packet captures' rows waited for order; with a small limit most of them waited on disk.
            if (heldRows < Shards.HeldRows)
            {
                var largestExchange = whole.SelectMany(o => o.Payloads).CountBy(p => (p.CaptureId, p.ExchangeOrdinal)).Max(c => c.Value);
                Assert.That(tableSpools.Sum(t => t.Spilled), Is.GreaterThan(1000), "rows spilled");
                Assert.That(tableSpools.Max(t => t.MostHeld), Is.LessThanOrEqualTo(heldRows + largestExchange), "held in memory: the limit and the exchange still coming");
            }
            else Assert.That(tableSpools.Sum(t => t.Spilled), Is.Zero);
            Assert.That(Directory.GetFiles(folder, "*.held"), Is.Empty, "the spill files go with their spools");
            Assert.That(FieldAggregates.TrackerFields(payloads, exchanges, attribution).Select(r => r.Adapter).Distinct().ToList(), Has.Count.GreaterThan(1), "several trackers' fields");
            // Each app has one capture that counts (its session's HAR): emit held one app's tallies at a time, of seven apps.
            Assert.That(captures.Select(c => c.AppId).Distinct().Count(), Is.GreaterThan(5));
            Assert.That((facebook.MostAppsHeld, trackerFields.MostAppsHeld), Is.EqualTo((1, 1)), "apps whose tallies emit held at once");
            foreach (var table in new[] { "exchanges", "payload_fields", "identifier_matches", "app_facebook_fields", "app_tracker_fields" })
            {
                Assert.That(File.ReadAllBytes(Path.Combine(merged, table + ".parquet")), Is.EqualTo(File.ReadAllBytes(Path.Combine(held, table + ".parquet"))), table);
            }
            Assert.That(appsInCaptureOrder, Is.Not.Ordered.Using((IComparer<string>)StringComparer.Ordinal), "apps finish out of the table's order");
            Assert.That(spilledFacebook.AppsSpilled, Is.GreaterThan(1), "apps' rows spilled");
            Assert.That(spilledTrackers.AppsSpilled, Is.GreaterThan(1), "apps' rows spilled");
            foreach (var table in new[] { "app_facebook_fields", "app_tracker_fields" })
                Assert.That(File.ReadAllBytes(Path.Combine(spilled, table + ".parquet")), Is.EqualTo(File.ReadAllBytes(Path.Combine(held, table + ".parquet"))), $"{table}, spilled");
            Assert.That(Directory.GetFiles(aggregates), Is.Empty, "the aggregates' shard files are removed once written");
        });
    }

    /// <param name="overlap">payload_fields' row groups encoded while the next is filled, as every run's emit does.</param>
    [TestCase(false)]
    [TestCase(true)]
    public async Task The_check_made_while_shards_are_merged_reports_what_a_scan_of_the_written_files_reports(bool overlap)
    {
        // The demonstration study parsed into shards, then merged by a pseudonymiser turned off (identifiers stay
        // as sent) and checked by one that knows them: many small row groups have something to report, and each is
        // checked beside its encoding, several at once.
        var files = CaptureFile.Discover(DemonstrationCorpus.Raw).ToList();
        var apps = AppsCatalog.Load(DemonstrationCorpus.Raw);
        var devices = DevicesCatalog.Load(DemonstrationCorpus.Raw);
        var identify = new IdentifierMatchers(devices, ReadLimits.Default);
        var folder = TestFiles.NewTempFolder("checked");
        var spool = new CaptureSpool(folder, "worker-1", chunkRows: 7);
        var parsed = files.Select(f => CaptureParse.Run(f, apps, CaptureFormats.All, ReadLimits.Default, identify, spool: spool))
            .OrderBy(o => o.Capture.CaptureId, StringComparer.Ordinal).ThenBy(o => o.Capture.FileName, StringComparer.Ordinal).ToList();
        spool.Dispose();
        var seen = parsed.SelectMany(o => o.Sensitive).ToList();
        var asSent = new Pseudonymiser(StudyKey.Demonstration, false, devices.Devices, seen);
        var checker = new Pseudonymiser(StudyKey.Demonstration, true, devices.Devices, seen);
        var captures = Sessions.MarkPrimary(parsed.Select(o => o.Capture)).ToList();
        var emit = new ShardEmit(asSent, captures.Select((c, i) => parsed[i] with { Capture = c }).ToList(), rowGroupSize: 20, overlap: overlap);
        var output = Path.Combine(folder, "out");
        var checks = new[] { Tables.Exchanges.FileName, Tables.PayloadFields.FileName, Tables.IdentifierMatches.FileName }.ToDictionary(n => n, n => new LeakScan.WhileWritten(n, checker));
        await emit.ExchangesAsync(output, default, checks[Tables.Exchanges.FileName], overlap);
        await emit.PayloadFieldsAsync(output, new FacebookFieldsAggregate(), null, default, checks[Tables.PayloadFields.FileName]);
        await emit.IdentifierMatchesAsync(output, default, checks[Tables.IdentifierMatches.FileName]);

        foreach (var (name, check) in checks)
        {
            var scanned = await LeakScan.ScanFileAsync(output, name, checker, default, parallelism: 2);
            Assert.That(check.Leaks(), Is.EqualTo(scanned), name);
            // The tables of values have an identifier in every few row groups at least, so that the order of many row
            // groups is what is compared; identifier_matches names where an identifier was, never its value.
            if (name == Tables.IdentifierMatches.FileName) Assert.That(scanned, Is.Empty, name);
            else Assert.That(scanned, Has.Count.GreaterThan(name == Tables.PayloadFields.FileName ? 50 : 3), name);
        }
    }

    // Alone: what the process allocates while the merge runs is what the merge allocates.
    [Test, NonParallelizable]
    public async Task A_table_of_few_rows_is_merged_without_the_cells_of_a_whole_row_group()
    {
        // One capture's payload fields merged at the published row group size, encoded beside the filling as a run
        // does: what the merge allocates is less than the cells of one 50,000-row group, which a small study's three
        // merges used to allocate whatever their rows (large objects, and full collections to take them back).
        var file = CaptureFile.Discover(DemonstrationCorpus.Raw).First(f => f.RelativeName.EndsWith(".har", StringComparison.Ordinal));
        var devices = DevicesCatalog.Load(DemonstrationCorpus.Raw);
        var folder = TestFiles.NewTempFolder("few");
        var spool = new CaptureSpool(folder, "worker-1");
        var parsed = CaptureParse.Run(file, AppsCatalog.Load(DemonstrationCorpus.Raw), CaptureFormats.All, ReadLimits.Default, new IdentifierMatchers(devices, ReadLimits.Default), spool: spool);
        spool.Dispose();
        var capture = Sessions.MarkPrimary([parsed.Capture]).Single();
        var emit = new ShardEmit(new Pseudonymiser(StudyKey.Demonstration, true, devices.Devices, parsed.Sensitive), [parsed with { Capture = capture }], overlap: true);

        var before = GC.GetTotalAllocatedBytes(precise: true);
        await emit.PayloadFieldsAsync(Path.Combine(folder, "out"), new FacebookFieldsAggregate(), null, default);
        var merged = GC.GetTotalAllocatedBytes(precise: true) - before;
        var beforeGroup = GC.GetAllocatedBytesForCurrentThread();
        _ = new GroupCells<PayloadFieldRow>(Tables.PayloadFields.Columns, ParquetTableWriter.RowGroupSize);
        var oneGroup = GC.GetAllocatedBytesForCurrentThread() - beforeGroup;

        Assert.That(emit.PayloadFieldRows, Is.InRange(1, ParquetTableWriter.RowGroupSize / 20), "a table of few rows");
        Assert.That(merged, Is.LessThan(oneGroup), $"bytes allocated by the merge, against {oneGroup} for the cells of one row group");
    }

    [Test]
    public void A_capture_that_promises_order_and_breaks_it_is_refused_rather_than_published_unsorted()
    {
        var folder = TestFiles.NewTempFolder("spool");
        using var spool = new ShardSpool<IdentifierMatchRow>(Path.Combine(folder, "m.shard"), Tables.IdentifierMatches, ShardTables.IdentifierMatches, exchangeOf: r => r.Ordinal);
        IdentifierMatchRow Row(int ordinal, string identity = "idfa") => new()
        {
            ExchangeId = $"c:{ordinal}", CaptureId = "c", Ordinal = ordinal, AppId = "a", Identity = identity, Location = "query", KeyPath = "k", Transform = "plain", Host = "h",
        };

        spool.Begin(inOrder: false);
        spool.Add(Row(2));
        spool.Add(Row(1));
        Assert.That(spool.End(), Is.EqualTo(new ShardRange(spool.Path, 0, 2)), "held and sorted");

        // Held by exchange: its rows come together and in order; an exchange's row after its exchange was
        // written sorts before what followed it, and is refused.
        spool.Begin(inOrder: false);
        spool.Add(Row(7, "gaid"));
        spool.Add(Row(7, "idfa"));
        spool.Add(Row(3));
        spool.ReleaseBelow(7);
        spool.Add(Row(9));
        Assert.That(spool.End(), Is.EqualTo(new ShardRange(spool.Path, 2, 4)));
        spool.Begin(inOrder: false);
        spool.Add(Row(1));
        spool.Add(Row(2));
        spool.ReleaseBelow(2);
        spool.Add(Row(1, "gaid"));
        Assert.That(() => spool.End(), Throws.InvalidOperationException.With.Message.Contains("out of the table's order"));

        spool.Begin(inOrder: true);
        spool.Add(Row(5));
        Assert.That(() => spool.Add(Row(4)), Throws.InvalidOperationException.With.Message.Contains("out of the table's order"));
    }

    [Test]
    public async Task A_connection_open_for_the_whole_capture_holds_no_more_rows_in_memory_than_the_limit_and_the_shard_is_the_same()
    {
        // Recorded by lab/long-connection/record.sh (tests/fixtures/lab/README.md): 200 HTTPS requests, their keys
        // in the file, beside one TLS connection without keys, open from the first packet to the last.
        var path = Path.Combine(TestFiles.Fixtures, "lab", "long-connection.pcapng");
        var file = new CaptureFile(path, "lab/long-connection.pcapng", "lab", new FileInfo(path).Length);
        var folder = TestFiles.NewTempFolder("long-connection");

        CaptureSpool Spool(string name, int heldRows) => new(folder, name, chunkRows: 64, heldRows: heldRows);
        var kept = Spool("kept", Shards.HeldRows);
        var spilled = Spool("spilled", 100);
        var inMemory = CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default, spool: kept);
        var onDisk = CaptureParse.Run(file, AppsCatalog.Empty, CaptureFormats.All, ReadLimits.Default, spool: spilled);
        kept.Dispose();
        spilled.Dispose();

        var payloadRows = inMemory.Shards!.Payloads!.Rows;
        Assert.Multiple(() =>
        {
            Assert.That(inMemory.ExchangeRowCount, Is.EqualTo(201), "the 200 requests and the connection's flow");
            Assert.That(payloadRows, Is.GreaterThan(200 * 10), "every request decoded");
            // Every request's rows waited for the connection's row, given (and held too) when it closed.
            Assert.That(kept.Payloads.MostRowsHeld, Is.EqualTo(payloadRows));
            Assert.That(kept.Exchanges.MostRowsHeld, Is.EqualTo(201));
            Assert.That(spilled.Payloads.MostRowsHeld, Is.LessThanOrEqualTo(100 + 20), "the limit and the exchange still coming");
            Assert.That(spilled.Payloads.RowsSpilled, Is.GreaterThan(payloadRows - 120));
            Assert.That(spilled.Exchanges.MostRowsHeld, Is.LessThanOrEqualTo(101));
        });

        async Task<List<string>> Rows<TRow>(ShardRange range, IReadOnlyList<TableColumn<TRow>> columns)
        {
            await using var cursor = await ShardCursor<TRow>.OpenAsync(range.Path, columns, default);
            var batch = await cursor.ReadWholeAsync(range, default);
            return Enumerable.Range(batch.Start, batch.Count)
                .Select(i => string.Join("|", columns.Select(c => batch[c.Name].GetValue(i) is { } v ? Convert.ToString(v, System.Globalization.CultureInfo.InvariantCulture) : "null")))
                .ToList();
        }
        Assert.That(await Rows(onDisk.Shards!.Payloads!, ShardTables.PayloadFields), Is.EqualTo(await Rows(inMemory.Shards.Payloads!, ShardTables.PayloadFields)));
        Assert.That(await Rows(onDisk.Shards!.Exchanges!, ShardTables.Exchanges), Is.EqualTo(await Rows(inMemory.Shards.Exchanges!, ShardTables.Exchanges)));

        // What came back from the spill file is cut into groups of the shard's size again, not a group per exchange,
        // which emit would read one by one.
        async Task<int> Groups(string shard)
        {
            await using var cursor = await ShardCursor<PayloadFieldRow>.OpenAsync(shard, ShardTables.PayloadFields, default);
            return cursor.Groups;
        }
        Assert.That(await Groups(onDisk.Shards.Payloads!.Path), Is.LessThanOrEqualTo(await Groups(inMemory.Shards.Payloads!.Path) + 2));
    }

    [Test]
    public async Task Rows_held_past_the_limit_wait_on_disk_and_come_back_in_order_and_checked()
    {
        var folder = TestFiles.NewTempFolder("spill");
        using var spool = new ShardSpool<IdentifierMatchRow>(Path.Combine(folder, "m.shard"), Tables.IdentifierMatches, ShardTables.IdentifierMatches,
            chunkRows: 3, exchangeOf: r => r.Ordinal, heldRows: 2);
        IdentifierMatchRow Row(int ordinal, string identity = "idfa") => new()
        {
            ExchangeId = $"c:{ordinal}", CaptureId = "c", Ordinal = ordinal, AppId = "a", Identity = identity, Location = "query", KeyPath = "k", Transform = "plain", Host = "h",
        };

        // Exchange 0 waits (a connection open from the start); every later exchange is held behind it.
        spool.Begin(inOrder: false);
        foreach (var ordinal in new[] { 5, 3, 4, 1, 2 })
        {
            spool.Add(Row(ordinal, "gaid"));
            spool.Add(Row(ordinal, "idfa"));
        }
        spool.ReleaseBelow(0);
        spool.Add(Row(0));
        Assert.That(spool.End(), Is.EqualTo(new ShardRange(spool.Path, 0, 11)));
        // Each new exchange's first row tips the count over: what is held is written out, all but that exchange.
        Assert.That(spool.MostRowsHeld, Is.EqualTo(3), "the limit and the exchange still coming");
        Assert.That(spool.RowsSpilled, Is.EqualTo(10));

        // An exchange of a spilled group's number after that group went out is refused, as in memory.
        spool.Begin(inOrder: false);
        spool.Add(Row(7));
        spool.Add(Row(8));
        spool.Add(Row(9));
        spool.ReleaseBelow(9);
        spool.Add(Row(8, "gaid"));
        Assert.That(() => spool.End(), Throws.InvalidOperationException.With.Message.Contains("out of the table's order"));
        spool.Dispose();

        await using var cursor = await ShardCursor<IdentifierMatchRow>.OpenAsync(spool.Path, ShardTables.IdentifierMatches, default);
        var batch = await cursor.ReadWholeAsync(new ShardRange(spool.Path, 0, 11), default);
        var ordinals = batch.Values<int>(ShardTables.Ordinal);
        var identities = batch.Strings("identity");
        var read = Enumerable.Range(batch.Start, batch.Count).Select(i => $"{ordinals[i]}:{identities[i]}").ToList();
        Assert.That(read, Is.EqualTo(new[] { "0:idfa" }.Concat(Enumerable.Range(1, 5).SelectMany(o => new[] { $"{o}:gaid", $"{o}:idfa" }))));
        Assert.That(Directory.GetFiles(folder, "*.held"), Is.Empty);
    }

    [Test]
    public async Task A_run_removes_its_shards_and_keeps_them_when_asked_with_every_row_in_them()
    {
        var output = TestFiles.NewTempFolder("out");
        var interim = TestFiles.NewTempFolder("interim");
        var runner = new StudyRunner(new SilentProgress());

        await runner.RunAsync(new RunOptions(DemonstrationCorpus.Raw, output, 2, ReadLimits.Default));
        Assert.That(Directory.GetFileSystemEntries(output).Select(Path.GetFileName), Does.Not.Contain(".interim"));

        var kept = await runner.RunAsync(new RunOptions(DemonstrationCorpus.Raw, output, 2, ReadLimits.Default) { InterimFolder = interim, KeepInterim = true });
        var shards = Directory.GetFiles(Path.Combine(interim, "shards"), "part.exchanges.shard", SearchOption.AllDirectories);
        long rows = 0;
        foreach (var shard in shards)
        {
            await using var cursor = await ShardCursor<ExchangeRow>.OpenAsync(shard, ShardTables.Exchanges, default);
            rows += cursor.Rows;
        }
        // Each job writes a part of its own, of the captures it took from the run's one queue (in a study this small, a
        // job that starts late may take none, and its part holds only its record).
        Assert.That(Directory.GetDirectories(Path.Combine(interim, "shards")).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            Is.EqualTo(new[] { "part-0000", "part-0001" }), "a folder per job");
        Assert.That(shards, Is.Not.Empty);
        Assert.That(rows, Is.EqualTo(kept.Exchanges));
    }

    [Test]
    public async Task A_fields_value_met_again_in_a_row_group_is_written_once_and_read_back_as_one_string_however_long()
    {
        // Longer than the reader's window of values keeps: only the writer's reference makes it one string again.
        var body = new string('b', 300);
        PayloadFieldRow Row(int ordinal, string value) => new()
        {
            ExchangeId = "c0:0", CaptureId = "c0", ExchangeOrdinal = 0, AppId = "app", Ordinal = ordinal, Location = "body",
            KeyPath = $"k{ordinal}", Value = value, ValueType = "string", Decoder = "generic", Transforms = "json",
        };
        var path = Path.Combine(TestFiles.NewTempFolder("values"), "p.shard");
        using (var spool = new ShardSpool<PayloadFieldRow>(path, Tables.PayloadFields, ShardTables.PayloadFields))
        {
            spool.Begin(inOrder: true);
            foreach (var row in new[] { Row(0, body), Row(1, "other"), Row(2, body), Row(3, "another"), Row(4, new string(body.AsSpan())) }) spool.Add(row);
            spool.End();
        }
        await using var cursor = await ShardCursor<PayloadFieldRow>.OpenAsync(path, ShardTables.PayloadFields, default);
        var batch = await cursor.ReadWholeAsync(new ShardRange(path, 0, 5), default);
        var values = batch.Strings("value");
        Assert.Multiple(() =>
        {
            Assert.That(Enumerable.Range(batch.Start, 5).Select(i => values[i]), Is.EqualTo(new[] { body, "other", body, "another", body }));
            Assert.That(values[batch.Start + 2], Is.SameAs(values[batch.Start]), "the same string met again in the group is written as a reference to it");
            Assert.That(values[batch.Start + 4], Is.Not.SameAs(values[batch.Start]), "an equal text held by another string is written again");
        });
    }
}
