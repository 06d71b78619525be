using ResearchPipeline.Cli;
using ResearchPipeline.Run;
using Spectre.Console;
using Spectre.Console.Cli;

// The commit and the state of the checkout, which the manifest names, are asked of git (two processes) beside the
// command's start rather than before it.
_ = Task.Run(() => Tool.Info);
var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("research-pipeline");
    // What a methods section cites: the version and the commit the manifest would name.
    // Lines short enough for the 80 columns the help is set in when not on a terminal.
    // Set where it is shown (or offered, in the help), so that other commands do not wait for git.
    if (args.Length == 0 || args.Any(a => a is "--version" or "-v" or "--help" or "-h"))
        config.SetApplicationVersion($"{Tool.Info.Version} (commit {Tool.Info.GitCommit})" + (Tool.Info.SourceModified == true ? "\nwith changes not committed to that commit" : ""));
    config.PropagateExceptions();
    // An option misspelt (--mmbd, --max-body) is an error naming it, not a study run without it.
    config.UseStrictParsing();
    config.AddCommand<RunCommand>("run")
        .WithDescription("Run every stage: raw captures in, published Parquet tables, SHA256SUMS out.")
        .WithExample("run", "--raw", "data/raw", "--out", "data/processed");
    config.AddCommand<ParseCommand>("parse")
        .WithDescription("Parse stage only: read captures into the captures, exchanges and quality tables.")
        .WithExample("parse", "--raw", "data/raw", "--out", "data/interim/parsed");
    config.AddCommand<PlanCommand>("plan")
        .WithDescription("List the captures and deal them into parts balanced by bytes, write INTERIM/plan.json (no capture is read: each part hashes its own).")
        .WithExample("plan", "--raw", "data/raw", "--interim", "data/interim", "--parts", "8");
    config.AddCommand<ParsePartCommand>("parse-part")
        .WithDescription("Parse one part of a plan into INTERIM/shards/part-NNNN, written whole or not at all (a Slurm array task).")
        .WithExample("parse-part", "--plan", "data/interim/plan.json", "--part", "3");
    config.AddCommand<EmitCommand>("emit")
        .WithDescription("Enrich, attribute and emit over every part of a plan: publishes OUT as a local run does.")
        .WithExample("emit", "--plan", "data/interim/plan.json", "--out", "data/processed");
    config.AddCommand<SlurmCommand>("slurm")
        .WithDescription("Run the study on Slurm: parse as one job array (a task per part), emit as a job after it; waits and reports.")
        .WithExample("slurm", "--raw", "data/raw", "--out", "data/processed", "--interim", "/scratch/me/interim", "--tasks", "64", "--partition", "short", "--time", "1:00:00");
    config.AddCommand<ReferenceCommand>("reference")
        .WithDescription("Fetch the reference data the lock file pins (npm pack), verify sha256, unpack into the external folder.")
        .WithExample("reference", "--lock", "data/reference.lock.csv", "--external", "data/external");
    config.AddCommand<VerifyCommand>("verify")
        .WithDescription("Check a published folder: every file against SHA256SUMS and the manifest; every input, the taxonomy and the reference lock's pins against the manifest.")
        .WithExample("verify", "--out", "data/processed", "--raw", "data/raw");
    config.AddCommand<DictionaryCommand>("dictionary")
        .WithDescription("Write the data dictionary generated from the table definitions.")
        .WithExample("dictionary", "--out", "docs/DATA_DICTIONARY.md");
    config.AddCommand<FiguresCommand>("figures")
        .WithDescription("Draw the key figures (Meta fields by app, organisations by apps, requests by country and by network) from a published folder as PNG.")
        .WithExample("figures", "--processed", "data/processed", "--out", "reports/figures");
    config.AddCommand<SiteCommand>("site")
        .WithDescription("Write the static dataset site (index, one page per app and organisation, data dictionary) of a published folder.")
        .WithExample("site", "--processed", "data/processed", "--out", "reports/site");
});

try
{
    return await app.RunAsync(args);
}
catch (CommandAppException e)
{
    await Console.Error.WriteLineAsync($"research-pipeline: {e.Message}");
    return ExitCodes.Usage;
}
catch (RunFailure e)
{
    await Console.Error.WriteLineAsync($"research-pipeline: {e.Message}");
    if (Verbose()) await Console.Error.WriteLineAsync((e.InnerException ?? e).ToString());
    return e.ExitCode;
}
catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or InvalidDataException or UnauthorizedAccessException)
{
    await Console.Error.WriteLineAsync($"research-pipeline: {OneLine(e.Message)}");
    if (Verbose()) await Console.Error.WriteLineAsync(e.ToString());
    return ExitCodes.BadInput;
}
catch (Exception e)
{
    // A bug, not something the user did: one line, the trace only when asked for.
    await Console.Error.WriteLineAsync($"research-pipeline: internal error ({e.GetType().Name}: {OneLine(e.Message)}); run again with --verbose for the stack trace and report it");
    if (Verbose()) await Console.Error.WriteLineAsync(e.ToString());
    return ExitCodes.InternalError;
}

bool Verbose() => args.Contains("--verbose");

static string OneLine(string text) => text.ReplaceLineEndings(" ");
