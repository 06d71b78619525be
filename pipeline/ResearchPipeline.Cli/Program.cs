using ResearchPipeline.Cli;
using Spectre.Console;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("research-pipeline");
    config.PropagateExceptions();
    config.AddCommand<RunCommand>("run")
        .WithDescription("Run every stage: raw captures in, published Parquet tables, SHA256SUMS out.")
        .WithExample("run", "--raw", "data/raw", "--out", "data/processed");
    config.AddCommand<ParseCommand>("parse")
        .WithDescription("Parse stage only: read captures into the captures, exchanges and quality tables.")
        .WithExample("parse", "--raw", "data/raw", "--out", "data/interim/parsed");
    config.AddCommand<ReferenceCommand>("reference")
        .WithDescription("Fetch the reference data the lock file pins (npm pack), verify sha256, unpack into the external folder.")
        .WithExample("reference", "--lock", "data/reference.lock.csv", "--external", "data/external");
    config.AddCommand<VerifyCommand>("verify")
        .WithDescription("Check a published folder: every file against SHA256SUMS and the manifest, every input against the manifest.")
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
catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException or InvalidDataException or UnauthorizedAccessException)
{
    await Console.Error.WriteLineAsync($"research-pipeline: {e.Message}");
    return ExitCodes.BadInput;
}
