using CsCheck;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>The shard files' own format: every kind of cell comes back as it went in, and a damaged file is named, not misread.</summary>
public class ShardFormatTests
{
    private sealed record Row(int N, string? Text, string? Sent, string? Host, int? Int, long? Long, uint? UInt, double? Double, bool? Bool, DateTimeOffset? Time);

    private static readonly TableColumn<Row>[] Columns =
    [
        Col.Int<Row>("n", "", r => r.N, required: true),
        Col.Str<Row>("text", "", r => r.Text),
        Col.Str<Row>("sent", "", r => r.Sent, empty: EmptyText.IsValue),
        // A repeating column: read through one string per distinct value.
        Col.Str<Row>("host", "", r => r.Host, empty: EmptyText.IsValue),
        Col.Int<Row>("int", "", r => r.Int),
        Col.Long<Row>("long", "", r => r.Long),
        Col.UInt<Row>("uint", "", r => r.UInt),
        Col.Double<Row>("double", "", r => r.Double),
        Col.Bool<Row>("bool", "", r => r.Bool),
        Col.Time<Row>("time", "", r => r.Time),
    ];

    private static readonly TableDefinition<Row> Table = new("cells", "a row of every kind of cell", (a, b) => a.N.CompareTo(b.N), Columns);

    private static List<Row> Rows()
    {
        var texts = new string?[] { null, "", "plain", "plain", "Zürich straße", "東京", "🙂 surrogates", new string('x', 70_000), "plain", null, "" };
        var ints = new int?[] { int.MinValue, int.MaxValue, 0, -1, null };
        var longs = new long?[] { long.MinValue, long.MaxValue, 0, null, -1 };
        var uints = new uint?[] { uint.MaxValue, 0, null, 1 };
        var doubles = new double?[] { double.NaN, -0.0, double.PositiveInfinity, double.NegativeInfinity, double.Epsilon, double.MaxValue, null, 0.1 };
        var bools = new bool?[] { true, false, null };
        var times = new DateTimeOffset?[]
        {
            DateTimeOffset.MinValue, DateTimeOffset.MaxValue, new DateTimeOffset(2024, 2, 29, 23, 59, 59, TimeSpan.FromHours(5)).AddTicks(1234567), null,
        };
        var rows = new List<Row>();
        for (var n = 0; n < 40; n++)
            rows.Add(new Row(n, texts[n % texts.Length], texts[(n + 3) % texts.Length], n < 20 ? "graph.facebook.com" : texts[n % texts.Length],
                ints[n % ints.Length], longs[n % longs.Length], uints[n % uints.Length], doubles[n % doubles.Length], bools[n % bools.Length], times[n % times.Length]));
        // A row group where every cell has a value (no presence bitmap).
        for (var n = 40; n < 47; n++) rows.Add(new Row(n, "é", "", "h", n, n, (uint)n, n / 3.0, n % 2 == 0, DateTimeOffset.UnixEpoch.AddTicks(n)));
        return rows;
    }

    private static string Write(List<Row> rows, int chunkRows)
    {
        var path = Path.Combine(TestFiles.NewTempFolder("shard-format"), "cells.shard");
        using var spool = new ShardSpool<Row>(path, Table, Columns, chunkRows);
        spool.Begin(inOrder: true);
        foreach (var row in rows) spool.Add(row);
        Assert.That(spool.End(), Is.EqualTo(new ShardRange(path, 0, rows.Count)));
        return path;
    }

    [TestCase(7)]
    [TestCase(1000)]
    public async Task Every_kind_of_cell_comes_back_as_written_with_nulls_empty_text_non_ascii_and_extremes(int chunkRows)
    {
        var rows = Rows();
        var path = Write(rows, chunkRows);

        await using var cursor = await ShardCursor<Row>.OpenAsync(path, Columns, default, readAhead: true);
        var read = await cursor.ReadWholeAsync(new ShardRange(path, 0, rows.Count));
        Assert.That(cursor.Rows, Is.EqualTo(rows.Count));
        Assert.That(read.Count, Is.EqualTo(rows.Count));
        foreach (var column in Columns)
        {
            var expected = column.NewCells(rows.Count);
            column.Fill(expected, System.Runtime.InteropServices.CollectionsMarshal.AsSpan(rows));
            var cells = read[column.Name];
            for (var i = 0; i < rows.Count; i++)
            {
                var (want, got) = (expected.GetValue(i), cells.GetValue(read.Start + i));
                // Doubles by their bits (NaN, -0.0); times by ticks and kind.
                if (want is double d) Assert.That(BitConverter.DoubleToInt64Bits((double)got!), Is.EqualTo(BitConverter.DoubleToInt64Bits(d)), $"{column.Name} row {i}");
                else if (want is DateTime t) Assert.That(((DateTime)got!).Ticks, Is.EqualTo(t.Ticks), $"{column.Name} row {i}");
                else Assert.That(got, Is.EqualTo(want), $"{column.Name} row {i}");
                if (want is DateTime u) Assert.That(((DateTime)got!).Kind, Is.EqualTo(u.Kind));
            }
        }
        var sent = read.Strings("sent");
        Assert.Multiple(() =>
        {
            Assert.That(sent.Skip(read.Start).Take(rows.Count).Count(s => s == ""), Is.GreaterThan(0), "\"\" sent is kept as a value");
            Assert.That(sent.Skip(read.Start).Take(rows.Count).Count(s => s is null), Is.GreaterThan(0), "null stays null");
            Assert.That(read.Strings("text").Skip(read.Start).Take(rows.Count), Does.Not.Contain(""), "\"\" where absence is meant is null");
            Assert.That(read.Strings("text")[read.Start + 7], Has.Length.EqualTo(70_000));
        });
    }

    [Test]
    public async Task Some_columns_and_ranges_across_row_groups_read_as_the_rows_they_name()
    {
        var rows = Rows();
        var path = Write(rows, chunkRows: 7);
        var some = Columns.Where(c => c.Name is "n" or "host" or "time").ToList();

        await using var cursor = await ShardCursor<Row>.OpenAsync(path, some, default, unread: new HashSet<string> { "time" });
        var seen = new List<int?>();
        var hosts = new List<string?>();
        foreach (var range in new[] { new ShardRange(path, 3, 9), new ShardRange(path, 12, 1), new ShardRange(path, 30, 17) })
            await foreach (var window in cursor.ReadAsync(range))
            {
                Assert.That(window.Count, Is.LessThanOrEqualTo(7), "a window is within one row group");
                seen.AddRange(window.Values<int>("n").Skip(window.Start).Take(window.Count));
                hosts.AddRange(window.Strings("host").Skip(window.Start).Take(window.Count));
                Assert.That(window.Values<DateTime>("time").Skip(window.Start).Take(window.Count), Is.All.Null, "a column not read is empty");
            }
        int?[] expected = [.. Enumerable.Range(3, 10), .. Enumerable.Range(30, 17)];
        Assert.That(seen, Is.EqualTo(expected));
        Assert.That(hosts, Is.EqualTo(expected.Select(n => rows[n!.Value].Host)));
    }

    [Test]
    public async Task A_truncated_or_damaged_shard_is_refused_with_its_file_and_offset()
    {
        var rows = Rows();
        var path = Write(rows, chunkRows: 7);
        var whole = await File.ReadAllBytesAsync(path);
        var folder = Path.GetDirectoryName(path)!;

        async Task<string> ReadAll(byte[] bytes, string name)
        {
            var damaged = Path.Combine(folder, name);
            await File.WriteAllBytesAsync(damaged, bytes);
            var error = Assert.ThrowsAsync<InvalidDataException>(async () =>
            {
                await using var cursor = await ShardCursor<Row>.OpenAsync(damaged, Columns, default);
                await cursor.ReadWholeAsync(new ShardRange(damaged, 0, rows.Count));
            });
            Assert.That(error!.Message, Does.StartWith(damaged + ": corrupt shard at offset "), name);
            return error.Message;
        }

        // Cut anywhere: in the header, in a row group, in the index, in the trailer.
        foreach (var keep in new[] { 0, 5, 100, whole.Length / 2, whole.Length - 30, whole.Length - 1 })
            await ReadAll(whole[..keep], $"cut-{keep}.shard");
        // A writer that stopped before its index: the row groups are there, the trailer is not.
        Assert.That(await ReadAll(whole[..^(ShardFormat.TrailerBytes + 1)], "unfinished.shard"), Does.Contain("no shard trailer"));

        // The first row group's first column said (in the group's tail) to be longer than it is.
        var indexOffset = (int)BitConverter.ToInt64(whole.AsSpan(whole.Length - ShardFormat.TrailerBytes));
        var firstGroup = (int)BitConverter.ToInt64(whole.AsSpan(indexOffset));
        var tail = (int)BitConverter.ToInt64(whole.AsSpan(indexOffset + ShardFormat.IndexEntryBytes)) - (4 + 4 * Columns.Length);
        var longer = (byte[])whole.Clone();
        longer[tail + 4]++;
        Assert.That(await ReadAll(longer, "longer-column.shard"), Does.Contain($"corrupt shard at offset {tail}: row group 0"));

        // A string's length pointing past its column: the offset is inside the file's first text column.
        var text = (byte[])whole.Clone();
        var textStart = firstGroup + BitConverter.ToInt32(whole.AsSpan(tail + 4));
        text[textStart + 1] = 0x7f;
        var message = await ReadAll(text, "text-length.shard");
        var offset = long.Parse(message.Split("offset ")[1].Split(':')[0], System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(offset, Is.InRange(textStart, textStart + BitConverter.ToInt32(whole.AsSpan(tail + 8))));

        // A published Parquet table (the shards' format before) is not read as a shard.
        var parquet = await File.ReadAllBytesAsync(Path.Combine(TestFiles.RepositoryRoot, "data", "processed", "captures.parquet"));
        Assert.That(await ReadAll(parquet, "captures.parquet"), Does.Contain("not a shard file"));
    }

    [Test]
    public void A_text_met_again_in_the_group_is_named_by_its_distance_where_its_column_repeats_and_only_after_itself_where_not()
    {
        string?[] cells = ["ab", "cd", null, "ab", "ab", "cd", "", null, ""];
        byte[] Written(Dictionary<string, int>? repeats)
        {
            var into = new System.Buffers.ArrayBufferWriter<byte>();
            ShardFormat.WriteStrings(into, cells, cells.Length, repeats);
            return into.WrittenSpan.ToArray();
        }
        string?[] Read(byte[] bytes, SharedText? shared)
        {
            var back = new string?[cells.Length];
            var reader = new ShardReader(bytes, "cells.shard", 0);
            ShardFormat.ReadStrings(ref reader, back, cells.Length, shared);
            reader.End();
            return back;
        }

        // Tags: 2n + 2 for n bytes that follow, 2d - 1 for the text d rows before, 0 for null.
        var repeating = Written(new Dictionary<string, int>(StringComparer.Ordinal) { ["stale"] = 99 });
        Assert.That(repeating, Is.EqualTo(new byte[] { 6, (byte)'a', (byte)'b', 6, (byte)'c', (byte)'d', 0, 5, 1, 7, 2, 0, 3 }));
        var alone = Written(null);
        Assert.That(alone, Is.EqualTo(new byte[] { 6, (byte)'a', (byte)'b', 6, (byte)'c', (byte)'d', 0, 6, (byte)'a', (byte)'b', 1, 6, (byte)'c', (byte)'d', 2, 0, 3 }));
        var shared = new SharedText();
        foreach (var bytes in new[] { repeating, alone })
        {
            Assert.That(Read(bytes, null), Is.EqualTo(cells));
            var back = Read(bytes, shared);
            Assert.That(back, Is.EqualTo(cells));
            Assert.That(back[3], Is.SameAs(back[0]), "a repeated text is the string read before");
        }

        // A distance that reaches before the group (the largest a tag can say among them), or to a null cell, is a damaged
        // shard, not a text.
        foreach (var damaged in new byte[][] { [3], [0xff, 0xff, 0xff, 0xff, 0x07], [0, 1], [6, (byte)'a', (byte)'b', 0, 1] })
        {
            var error = Assert.Throws<InvalidDataException>(() =>
            {
                var reader = new ShardReader(damaged, "cells.shard", 100);
                ShardFormat.ReadStrings(ref reader, new string?[8], damaged.Length, null);
            });
            Assert.That(error!.Message, Does.StartWith("cells.shard: corrupt shard at offset 10").And.Contain("rows before row"));
        }
    }

    [Test]
    public void Generated_text_columns_come_back_as_written_whether_named_by_distance_or_not()
    {
        // Cells drawn from a few texts, so that they recur near and far; with null and "" apart, non-ASCII, texts about
        // the one-byte tag's limit (62 bytes) and the one-pass limit (41 characters), and a long one.
        var pool = new[]
        {
            "", "a", "value", "Zürich", "東京🙂", new string('x', 62), new string('é', 31), new string('é', 32), new string('日', 21), new string('日', 41),
            new string('z', 41), new string('日', 42), new string('y', 300),
        };
        var cell = Gen.Frequency((1, Gen.Bool.Select(_ => (string?)null)), (6, Gen.Int[0, pool.Length - 1].Select(i => (string?)pool[i])),
            (1, Gen.String[Gen.Char['a', 'c'], 0, 3].Select(t => (string?)t)));
        // Read back with no window of texts, a repeating column's, or a recurring column's small one (here a handful of
        // texts of at most 8 bytes, so that it is emptied and passes over the longer texts within a group).
        cell.Array[0, 600].Select(Gen.Int[0, 2]).Sample((cells, kind) =>
        {
            var repeating = kind > 0;
            // Texts equal but held by other strings as well as the same strings: the writer's memory is by identity.
            for (var i = 0; i < cells.Length; i += 3) if (cells[i] is { } t) cells[i] = new string(t.AsSpan());
            var into = new System.Buffers.ArrayBufferWriter<byte>();
            ShardFormat.WriteStrings(into, cells, cells.Length, repeating ? new Dictionary<string, int>(ReferenceEqualityComparer.Instance) : null);
            var back = new string?[cells.Length];
            var reader = new ShardReader(into.WrittenSpan, "cells.shard", 0);
            ShardFormat.ReadStrings(ref reader, back, cells.Length, kind switch { 1 => new SharedText(), 2 => new SharedText(capacity: 5, mostBytes: 8), _ => null });
            reader.End();
            Assert.That(back, Is.EqualTo(cells));
        }, iter: 2_000);
    }

    [Test]
    public void A_recurring_column_shares_its_short_texts_when_read_and_makes_each_long_one_a_string_of_its_own()
    {
        var window = ShardTables.SharedTextOf("value")!;
        var shortText = System.Text.Encoding.UTF8.GetBytes("iPhone14,2");
        var longText = System.Text.Encoding.UTF8.GetBytes(new string('x', 129));
        Assert.Multiple(() =>
        {
            Assert.That(window.Get(shortText), Is.SameAs(window.Get(shortText)), "a short value read again is the string read before");
            var (first, again) = (window.Get(longText), window.Get(longText));
            Assert.That(again, Is.EqualTo(first).And.Not.SameAs(first), "a long value (a body sent as one) is not kept");
            var longString = new string('y', 129);
            Assert.That(window.Get(new string('y', 129)), Is.Not.SameAs(window.Get(longString)), "nor one given as a string");
            Assert.That(ShardTables.SharedTextOf("exchange_id"), Is.Null, "a column of a row's own texts keeps none");
        });
    }
}
