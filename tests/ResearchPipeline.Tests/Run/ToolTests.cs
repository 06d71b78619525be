using System.Diagnostics;
using ResearchPipeline.Run;

namespace ResearchPipeline.Tests.Run;

/// <summary>
/// The manifest's commit is only a citation if that commit makes the tables: a checkout with edits to what decides
/// them (the pipeline's source, the taxonomy, the reference lock) says so, in a real git repository.
/// </summary>
public class ToolTests
{
    [Test]
    public void The_commit_named_is_the_last_that_changed_the_source_and_edits_since_it_are_told()
    {
        var checkout = TestFiles.NewTempFolder("checkout");
        Write(checkout, "pipeline/ResearchPipeline/Decoders/Adapter.cs", "class Adapter {}\n");
        Write(checkout, "data/taxonomy/mobile-overlay.csv", "host,tracker\n");
        Write(checkout, "README.md", "a study\n");
        Write(checkout, "global.json", "{ \"sdk\": { \"version\": \"10.0.100\" } }\n");
        Git(checkout, "init", "-q");
        Git(checkout, "add", "-A");
        Git(checkout, "commit", "-q", "-m", "source");
        var sourceCommit = Git(checkout, "rev-parse", "HEAD");
        // Committing the published tables (or anything else) after it must not move the commit named.
        Write(checkout, "data/processed/SHA256SUMS", "0000  captures.parquet\n");
        Git(checkout, "add", "-A");
        Git(checkout, "commit", "-q", "-m", "republish");
        var program = Path.Combine(checkout, "pipeline", "ResearchPipeline");

        var clean = Tool.In(program);
        Assert.That(clean.GitCommit, Is.EqualTo(sourceCommit));
        Assert.That(clean.SourceModified, Is.False);

        Write(checkout, "README.md", "a study, edited\n");
        Assert.That(Tool.In(program).SourceModified, Is.False, "an edit to what does not decide the tables");

        Write(checkout, "pipeline/ResearchPipeline/Decoders/Adapter.cs", "class Adapter { int edited; }\n");
        Assert.That(Tool.In(program), Is.EqualTo(clean with { SourceModified = true }), "the source edited");
        Git(checkout, "checkout", "-q", "--", "pipeline");

        Write(checkout, "pipeline/ResearchPipeline/Decoders/NewAdapter.cs", "class NewAdapter {}\n");
        Assert.That(Tool.In(program).SourceModified, Is.True, "a new file, not yet added");
        File.Delete(Path.Combine(checkout, "pipeline/ResearchPipeline/Decoders/NewAdapter.cs"));

        Write(checkout, "global.json", "{ \"sdk\": { \"version\": \"10.0.200\" } }\n");
        Assert.That(Tool.In(program).SourceModified, Is.True, "another SDK pinned");
        Git(checkout, "checkout", "-q", "--", "global.json");

        Write(checkout, "data/taxonomy/mobile-overlay.csv", "host,tracker\nexample.org,Example\n");
        Git(checkout, "add", "-A");
        Assert.That(Tool.In(program).SourceModified, Is.True, "the taxonomy edited and staged, not committed");
    }

    [Test]
    public void Outside_a_checkout_the_commit_is_unknown_and_so_is_whether_it_was_edited()
    {
        var folder = TestFiles.NewTempFolder("no-checkout");
        Assume.That(Git(Path.GetTempPath(), ["rev-parse", "--is-inside-work-tree"], allowFailure: true), Is.Not.EqualTo("true"), "the temporary folder is itself in a checkout");
        var tool = Tool.In(folder);
        Assert.That(tool.GitCommit, Is.EqualTo("unknown"));
        Assert.That(tool.SourceModified, Is.Null);
    }

    private static void Write(string root, string relative, string text)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
    }

    private static string Git(string folder, params string[] arguments) => Git(folder, arguments, allowFailure: false);

    private static string Git(string folder, string[] arguments, bool allowFailure)
    {
        var psi = new ProcessStartInfo("git", ["-c", "user.name=Test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", .. arguments])
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var error = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        if (p.ExitCode != 0 && !allowFailure) Assert.Fail($"git {string.Join(' ', arguments)} failed: {error.Result}");
        return output;
    }
}
