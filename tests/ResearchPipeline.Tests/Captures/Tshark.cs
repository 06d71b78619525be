using System.Diagnostics;

namespace ResearchPipeline.Tests.Captures;

/// <summary>Runs Wireshark's tshark as the reference reader of packet captures; tests that need it skip without it.</summary>
internal static class Tshark
{
    public const char Aggregator = '\u0001';

    public static string Path
    {
        get
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator))
            {
                var candidate = System.IO.Path.Combine(dir, "tshark");
                if (File.Exists(candidate)) return candidate;
            }
            Assert.Ignore("tshark is not installed (Debian package tshark): the comparison with Wireshark's dissectors was skipped");
            return "";
        }
    }

    /// <summary>One row per packet matching <paramref name="filter"/>, one list of values per field (repeated fields kept apart).</summary>
    public static List<string[][]> Fields(string capture, string filter, params string[] fields)
    {
        var start = new ProcessStartInfo(Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-n", "-r", capture, "-Y", filter, "-T", "fields", "-E", "separator=/t", "-E", $"aggregator={Aggregator}", "-E", "occurrence=a" }) start.ArgumentList.Add(a);
        foreach (var f in fields)
        {
            start.ArgumentList.Add("-e");
            start.ArgumentList.Add(f);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var rows = new List<string[][]>();
        string? line;
        while ((line = process.StandardOutput.ReadLine()) is not null)
        {
            rows.Add(line.Split('\t').Select(v => v.Length == 0 ? [] : v.Split(Aggregator)).ToArray());
        }
        process.WaitForExit();
        if (process.ExitCode != 0) Assert.Fail($"tshark failed on {capture}: {stderr.Result}");
        return rows;
    }
}
