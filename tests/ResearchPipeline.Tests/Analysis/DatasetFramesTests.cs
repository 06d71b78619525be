using Microsoft.Data.Analysis;
using ResearchPipeline.Analysis;
using ResearchPipeline.Run;
using ResearchPipeline.Captures;
using ResearchPipeline.Dataset;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Analysis;

public class DatasetFramesTests
{
    [Test]
    public async Task Published_tables_load_as_DataFrames_with_their_types_and_the_same_values_DuckDB_reads()
    {
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(raw, "quizduel", "a.har"));
        File.Copy(TestFiles.Capture("har/chrome.har"), Path.Combine(raw, "quizduel", "b.har"));
        var output = TestFiles.NewTempFolder("out");
        await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 1, ReadLimits.Default));

        var exchanges = DatasetFrames.Load(output, "exchanges");
        Assert.That(exchanges.Rows.Count, Is.EqualTo(15));
        Assert.That(exchanges.Columns["host"], Is.TypeOf<StringDataFrameColumn>());
        Assert.That(exchanges.Columns["status"], Is.TypeOf<Int32DataFrameColumn>());
        Assert.That(exchanges.Columns["time_utc"], Is.TypeOf<PrimitiveDataFrameColumn<DateTime>>());

        using var db = StudyRunnerTests.OpenDuckDb();
        var expected = StudyRunnerTests.Query(db, $"select host, status, epoch_us(time_utc) from read_parquet('{output}/exchanges.parquet')");
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.That(exchanges.Columns["host"][i], Is.EqualTo(expected[i][0]));
            Assert.That(exchanges.Columns["status"][i], Is.EqualTo(expected[i][1]));
            var time = (DateTime)exchanges.Columns["time_utc"][i];
            Assert.That(time.Kind, Is.EqualTo(DateTimeKind.Utc));
            Assert.That((time - DateTime.UnixEpoch).Ticks / 10, Is.EqualTo(expected[i][2]));
        }
        Assert.That(exchanges.Columns["status"].NullCount, Is.EqualTo(1), "chrome's unanswered request stays null");
    }

    private static readonly Dictionary<string, Type> FrameColumnTypes = new()
    {
        ["string"] = typeof(StringDataFrameColumn),
        ["int32"] = typeof(Int32DataFrameColumn),
        ["int64"] = typeof(Int64DataFrameColumn),
        ["uint32"] = typeof(UInt32DataFrameColumn),
        ["double"] = typeof(DoubleDataFrameColumn),
        ["boolean"] = typeof(BooleanDataFrameColumn),
        ["timestamp[us, UTC]"] = typeof(PrimitiveDataFrameColumn<DateTime>),
    };

    private static IEnumerable<TestCaseData> EveryTable() =>
        Tables.All.Select(t => new TestCaseData(t.Name).SetArgDisplayNames(t.Name));

    [TestCaseSource(nameof(EveryTable))]
    public async Task Every_column_of_a_published_table_arrives_with_its_documented_type_row_count_and_values(string table)
    {
        var folder = await PublishedStudies.Demonstration;
        var definition = Tables.All.Single(t => t.Name == table);
        var frame = DatasetFrames.Load(folder, table);
        var path = Path.Combine(folder, definition.FileName);
        using var db = StudyRunnerTests.OpenDuckDb();

        Assert.That(frame.Columns.Select(c => c.Name), Is.EqualTo(definition.Columns.Select(c => c.Name)), "columns in the documented order");
        var rows = (long)StudyRunnerTests.Query(db, $"select count(*) from read_parquet('{path}')")[0][0]!;
        Assert.That(frame.Rows.Count, Is.EqualTo(rows), "row count");
        Assert.That(rows, Is.GreaterThan(0), "the demonstration study fills every table, so values are compared");
        foreach (var column in definition.Columns)
        {
            var loaded = frame.Columns[column.Name];
            Assert.That(loaded, Is.TypeOf(FrameColumnTypes[column.TypeName]), $"{table}.{column.Name} ({column.TypeName})");
            var select = column.TypeName.StartsWith("timestamp", StringComparison.Ordinal) ? $"epoch_us(\"{column.Name}\")" : $"\"{column.Name}\"";
            var expected = StudyRunnerTests.Query(db, $"select {select} from read_parquet('{path}')").Select(r => r[0]).ToList();
            var actual = Enumerable.Range(0, (int)loaded.Length).Select(i => loaded[i] is DateTime t ? (object)((t - DateTime.UnixEpoch).Ticks / 10) : loaded[i]).ToList();
            Assert.That(actual, Is.EqualTo(expected), $"{table}.{column.Name}: every value as DuckDB reads it");
            Assert.That(loaded.NullCount, Is.EqualTo(expected.Count(v => v is null)), $"{table}.{column.Name}: nulls stay null");
        }
    }

    [Test]
    public async Task Timestamps_arrive_as_UTC()
    {
        var frame = DatasetFrames.Load(await PublishedStudies.Demonstration, "exchanges");
        var times = (PrimitiveDataFrameColumn<DateTime>)frame.Columns["time_utc"];
        Assert.That(times.Length, Is.GreaterThan(0));
        for (long i = 0; i < times.Length; i++) Assert.That(times[i]!.Value.Kind, Is.EqualTo(DateTimeKind.Utc));
    }

    [Test]
    public void A_missing_table_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DatasetFrames.Load("/nonexistent", "exchanges"));
        Assert.That(e!.Message, Does.Contain("/nonexistent/exchanges.parquet"));
    }
}
