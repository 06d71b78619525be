using Microsoft.Data.Analysis;
using ResearchPipeline.Analysis;
using ResearchPipeline.Captures;
using ResearchPipeline.Cli;
using ResearchPipeline.Tests.Cli;

namespace ResearchPipeline.Tests.Analysis;

public class DatasetFramesTests
{
    [Test]
    public async Task Published_tables_load_as_DataFrames_with_their_types_and_the_same_values_DuckDB_reads()
    {
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        File.Copy(TestFiles.Shared("har/quizduel-android.har"), Path.Combine(raw, "quizduel", "a.har"));
        File.Copy(TestFiles.Shared("har/chrome.har"), Path.Combine(raw, "quizduel", "b.har"));
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

    [Test]
    public void A_missing_table_names_the_path()
    {
        var e = Assert.Throws<FileNotFoundException>(() => DatasetFrames.Load("/nonexistent", "exchanges"));
        Assert.That(e!.Message, Does.Contain("/nonexistent/exchanges.parquet"));
    }
}
