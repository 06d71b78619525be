using Parquet;
using Parquet.Schema;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Tests.Dataset;

/// <summary>
/// A column is handed to Parquet.Net as the values present and each row's definition level: the file must be the one
/// the library writes from cells that may be null, and read back with null (and, for a text, "") as it was.
/// </summary>
public class ParquetCellsTests
{
    private sealed record Row(string? Text);

    private static readonly StringColumn<Row> Nullable = new("text", "a text that may be absent", r => r.Text, empty: EmptyText.IsValue);
    private static readonly StringColumn<Row> Required = new("text", "a text every row has", r => r.Text, required: true, empty: EmptyText.IsValue);

    /// <summary>Null and "" apart, a long text, a text on several rows, non-ASCII, and many short ones.</summary>
    private static string?[] Cells()
    {
        var random = new Random(7);
        var cells = new List<string?> { null, "", "shared", "shared", null, "é漢🙂", new string('b', 40_000), "" };
        for (var i = 0; i < 5_000; i++) cells.Add(random.Next(4) == 0 ? null : "value " + random.Next(300));
        return [.. cells];
    }

    private static async Task<byte[]> FileOf(DataField field, Func<ParquetRowGroupWriter, Task> write)
    {
        using var stream = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(new ParquetSchema(field), stream, ParquetTableWriter.Options()))
        {
            using var group = writer.CreateRowGroup();
            await write(group);
        }
        return stream.ToArray();
    }

    [Test]
    public async Task A_text_column_is_the_file_the_library_writes_from_cells_that_may_be_null()
    {
        var cells = Cells();
        var ours = await FileOf(Nullable.Field, group => Nullable.WriteCellsAsync(group, cells, cells.Length));
        var buffer = new TextCellBuffer(cells.Length);
        buffer.Append(cells, 0, cells.Length);
        var fromBuffer = await FileOf(Nullable.Field, group => Nullable.WriteTextAsync(group, buffer));
        var library = await FileOf(Nullable.Field, group => group.WriteAsync<ReadOnlyMemory<char>>(Nullable.Field,
            cells.Select(c => c is null ? (ReadOnlyMemory<char>?)null : c.AsMemory()).ToArray().AsMemory()));

        Assert.That(ours, Is.EqualTo(library), "from strings");
        Assert.That(fromBuffer, Is.EqualTo(library), "from a text buffer");
        await using var reader = await ParquetReader.CreateAsync(new MemoryStream(ours));
        using var group = reader.OpenRowGroupReader(0);
        var read = new string?[group.RowCount];
        await group.ReadAsync(reader.Schema.GetDataFields()[0], read.AsMemory());
        Assert.That(read, Is.EqualTo(cells));
    }

    [Test]
    public async Task A_required_text_column_is_the_library_file_and_a_row_without_a_value_stops_the_write()
    {
        var cells = Cells().Select(c => c ?? "absent").ToArray();
        var ours = await FileOf(Required.Field, group => Required.WriteCellsAsync(group, cells, cells.Length));
        var library = await FileOf(Required.Field, group => group.WriteAsync<ReadOnlyMemory<char>>(Required.Field,
            cells.Select(c => (ReadOnlyMemory<char>?)c.AsMemory()).ToArray().AsMemory()));
        Assert.That(ours, Is.EqualTo(library));

        cells[3] = null!;
        Assert.That(async () => await FileOf(Required.Field, group => Required.WriteCellsAsync(group, cells, cells.Length)),
            Throws.InvalidOperationException.With.Message.Contains("column text is required"));
    }

    [Test]
    public async Task A_value_column_is_the_file_the_library_writes_from_cells_that_may_be_null()
    {
        var random = new Random(11);
        var ints = Enumerable.Range(0, 5_000).Select(i => random.Next(3) == 0 ? (int?)null : random.Next(-1_000, 1_000)).ToArray();
        var doubles = Enumerable.Range(0, 5_000).Select(i => random.Next(3) == 0 ? (double?)null : random.NextDouble() * 1e6).ToArray();
        var flags = Enumerable.Range(0, 5_000).Select(i => random.Next(3) == 0 ? (bool?)null : random.Next(2) == 0).ToArray();
        var times = Enumerable.Range(0, 5_000).Select(i => random.Next(3) == 0 ? (DateTime?)null
            : new DateTime(2020, 3, 26, 0, 0, 0, DateTimeKind.Utc).AddTicks(random.NextInt64(0, TimeSpan.TicksPerDay * 365) / 10 * 10)).ToArray();

        async Task Same<T>(DataField field, T?[] cells) where T : struct
        {
            var ours = await FileOf(field, group => ParquetCells.WriteAsync<T>(group, field, cells.AsMemory()));
            var library = await FileOf(field, group => group.WriteAsync<T>(field, cells.AsMemory()));
            Assert.That(ours, Is.EqualTo(library), field.Name);
        }
        await Same(new DataField<int?>("count"), ints);
        await Same(new DataField<double?>("seconds"), doubles);
        await Same(new DataField<bool?>("flag"), flags);
        await Same(new DateTimeDataField("time", DateTimeFormat.Timestamp, isAdjustedToUTC: true, unit: DateTimeTimeUnit.Micros, isNullable: true), times);

        // A required column: the values alone, and a row without one stops the write.
        var required = new DataField<int>("ordinal");
        var all = ints.Select(i => i ?? 0).Select(i => (int?)i).ToArray();
        var oursRequired = await FileOf(required, group => ParquetCells.WriteAsync<int>(group, required, all.AsMemory()));
        var libraryRequired = await FileOf(required, group => group.WriteAsync<int>(required, all.Select(i => i!.Value).ToArray().AsMemory()));
        Assert.That(oursRequired, Is.EqualTo(libraryRequired), "required");
        all[9] = null;
        Assert.That(async () => await FileOf(required, group => ParquetCells.WriteAsync<int>(group, required, all.AsMemory())),
            Throws.InvalidOperationException.With.Message.Contains("column ordinal is required"));
    }
}
