using System.Diagnostics;
using ResearchPipeline.Dataset;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>A run killed at any moment leaves the previous publication intact and no partial file behind.</summary>
public class KilledRunTests
{
    [Test]
    public void Killing_a_run_at_several_moments_never_leaves_a_partial_or_mixed_publication()
    {
        var small = TestFiles.NewTempFolder("small");
        Directory.CreateDirectory(Path.Combine(small, "quizduel"));
        File.Copy(TestFiles.Capture("har/quizduel-android.har"), Path.Combine(small, "quizduel", "a.har"));
        var big = TestFiles.NewTempFolder("big");
        var expressen = File.ReadAllBytes(TestFiles.Capture("har/expressen.har"));
        for (var i = 0; i < 12; i++)
        {
            Directory.CreateDirectory(Path.Combine(big, $"app{i}"));
            // A different creator version per copy, so every copy is a capture of its own.
            var copy = System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(expressen).Replace("\"17.12\"", $"\"17.12.{i}\""));
            File.WriteAllBytes(Path.Combine(big, $"app{i}", "session.har"), copy);
        }

        var output = TestFiles.NewTempFolder("out");
        Assert.That(Cli.StudyRunnerTests.RunProgram("run", "--raw", small, "--out", output, "--quiet", "--jobs", "1").Code, Is.EqualTo(0));
        var original = File.ReadAllText(Path.Combine(output, "SHA256SUMS"));

        var stillOriginal = 0;
        foreach (var delayMs in new[] { 200, 600, 1200, 2000, 3000 })
        {
            var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "research-pipeline.dll"), "run", "--raw", big, "--out", output, "--quiet", "--jobs", "2" })
                psi.ArgumentList.Add(a);
            using var p = Process.Start(psi)!;
            if (!p.WaitForExit(delayMs)) p.Kill(entireProcessTree: true);
            p.WaitForExit();

            Assert.That(Directory.GetFiles(output, "*.tmp"), Is.Empty, $"killed after {delayMs} ms: a temporary file is left in the published folder");
            var sums = Path.Combine(output, "SHA256SUMS");
            if (!File.Exists(sums)) continue; // killed inside the few renames of the swap: visibly unpublished, never mixed
            Assert.That(PublishedFolderCheck.Run(output, null), Is.Empty, $"killed after {delayMs} ms: the folder does not match its SHA256SUMS");
            if (File.ReadAllText(sums) == original) stillOriginal++;
        }
        Assert.That(stillOriginal, Is.GreaterThan(0), "an early kill leaves the previous publication as it was");
    }
}
