using ResearchPipeline.Captures;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// The shared real captures of every format the parse stage reads, as seeds for fault injection and fuzzing.
/// New readers are covered as soon as they are registered in <see cref="CaptureFormats.All"/>.
/// </summary>
public static class CaptureSeeds
{
    public static IEnumerable<TestCaseData> All()
    {
        var folder = TestFiles.FindCaptures();
        if (folder is null)
        {
            yield return new TestCaseData("(shared captures absent)").SetName("{m}(shared captures absent)");
            yield break;
        }
        foreach (var path in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (CaptureFormats.All.Detect(path) is null) continue;
            var relative = Path.GetRelativePath(folder, path).Replace('\\', '/');
            yield return new TestCaseData(relative).SetName($"{{m}}({relative})");
        }
    }

    public static (ICaptureReader Reader, byte[] Bytes) Load(string relative)
    {
        var path = TestFiles.Capture(relative);
        var reader = CaptureFormats.All.Detect(path) ?? throw new InvalidOperationException($"{relative} is not a capture");
        return (reader, File.ReadAllBytes(path));
    }

    /// <summary>
    /// Reads everything, failing the test if an exception escapes the reader or it does not finish in time
    /// (a hang on hostile input is as bad as a crash).
    /// </summary>
    public static List<CaptureRecord> ReadGuarded(ICaptureReader reader, byte[] bytes, ReadLimits? limits = null, int seconds = 20)
    {
        var task = Task.Run(() => reader.Read(new MemoryStream(bytes, writable: false), limits ?? ReadLimits.Default).ToList());
        if (!task.Wait(TimeSpan.FromSeconds(seconds))) Assert.Fail($"{reader.Format} reader did not finish within {seconds} s");
        return task.Result;
    }

    public static List<Exchange> Exchanges(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();
}
