using ResearchPipeline.Dataset;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>A row group's text held as characters: every cell comes back as it went in, group after group.</summary>
public class TextCellBufferTests
{
    private const string Token = "EAAGm0PX4ZCpsBAKZCZA1ZBhZCZBx7ZCmZC9ZBLTZAVZB4ZCZB6ZBOtZCZBfZCh2S";

    /// <summary>
    /// Cells of every kind the columns hold: null and "" apart, one string on several rows (an exchange's id on its
    /// fields), the same text as different strings, texts that fill characters' chunks across their ends, and a
    /// value longer than a chunk (a body sent as one value).
    /// </summary>
    private static string?[] Cells(int seed)
    {
        var random = new Random(seed);
        var shared = "exchange-" + seed;
        var cells = new List<string?> { null, "", shared, shared, null, shared, "", new string('b', 40_000 + seed), "tail" };
        for (var i = 0; i < 3_000; i++)
        {
            cells.Add(random.Next(5) switch
            {
                0 => null,
                1 => shared,
                2 => new string((char)('a' + random.Next(26)), random.Next(0, 300)),
                3 => "value " + i,
                _ => "",
            });
        }
        return [.. cells];
    }

    [Test]
    public void Every_cell_comes_back_as_it_was_appended_in_pieces_and_after_the_buffer_is_cleared_for_the_next_group()
    {
        var buffer = new TextCellBuffer(4_000);
        foreach (var seed in new[] { 1, 2 })
        {
            var cells = Cells(seed);
            // Appended as the merge copies a shard's windows in: from an offset, in pieces.
            var source = new string?[cells.Length + 3];
            cells.CopyTo(source, 3);
            for (var at = 3; at < source.Length; at += 701) buffer.Append(source, at, Math.Min(701, source.Length - at));

            Assert.That(buffer.Count, Is.EqualTo(cells.Length));
            for (var row = 0; row < cells.Length; row++)
            {
                var memory = buffer.Memory(row);
                Assert.That(memory.HasValue, Is.EqualTo(cells[row] is not null), $"group {seed}, row {row}: null is kept apart from \"\"");
                Assert.That(memory?.ToString(), Is.EqualTo(cells[row]), $"group {seed}, row {row}");
                Assert.That(buffer.TryGet(row, out var text), Is.EqualTo(cells[row] is not null));
                Assert.That(text.ToString(), Is.EqualTo(cells[row] ?? ""));
            }
            buffer.Clear();
            Assert.That(buffer.Count, Is.Zero);
        }
        Assert.That(() => buffer.Append(new string?[4_001], 0, 4_001), Throws.InvalidOperationException, "more rows than a group holds");
    }

    [Test]
    public void The_check_while_written_finds_the_same_leaks_in_a_buffer_as_in_the_strings_it_holds()
    {
        var cells = Cells(3);
        cells[1_500] = "access_token=" + Token;
        cells[2_500] = "access_token=" + Token;
        var buffer = new TextCellBuffer(cells.Length);
        buffer.Append(cells, 0, cells.Length);
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, [], [new SensitiveValue(SensitiveKind.Secret, "access_token", Token)]);
        var fromStrings = new LeakScan.WhileWritten("t.parquet", pseudonymiser);
        var fromBuffer = new LeakScan.WhileWritten("t.parquet", pseudonymiser);

        fromStrings.Check(0, [new TextCells("query", cells, cells.Length), new TextCells("path", cells, 1_000)]);
        fromBuffer.Check(0, [new TextCells("query", buffer), new TextCells("path", cells, 1_000)]);

        Assert.That(fromBuffer.Leaks(), Is.EqualTo(new[] { "t.parquet column query holds a secret (access_token) seen in the inputs" }));
        Assert.That(fromBuffer.Leaks(), Is.EqualTo(fromStrings.Leaks()));
    }

    [Test]
    public void The_check_reads_a_place_once_a_column_and_group_and_finds_the_leak_another_column_or_group_holds_there()
    {
        var pseudonymiser = new Pseudonymiser(StudyKey.Demonstration, true, [], [new SensitiveValue(SensitiveKind.Secret, "access_token", Token)]);
        var leak = "access_token=" + Token;
        var clean = new TextCellBuffer(3);
        clean.Append(["first", "second", "first"], 0, 3);
        var leaking = new TextCellBuffer(3);
        leaking.Append([leak, "second", leak], 0, 3);
        var check = new LeakScan.WhileWritten("t.parquet", pseudonymiser);

        // The same place (each buffer's first characters) holds a clean text in one column and the leak in the next.
        check.Check(0, [new TextCells("path", clean), new TextCells("query", leaking)]);
        // The buffer filled again for the next group holds the leak where a clean text stood.
        clean.Clear();
        clean.Append([leak], 0, 1);
        check.Check(1, [new TextCells("path", clean)]);

        Assert.That(check.Leaks(), Is.EqualTo(new[]
        {
            "t.parquet column query holds a secret (access_token) seen in the inputs",
            "t.parquet column path holds a secret (access_token) seen in the inputs",
        }));
    }
}
