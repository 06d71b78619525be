using Microsoft.Playwright;

namespace ResearchPipeline.Tests.Site;

/// <summary>
/// Debian's chromium driven through Playwright for .NET. Playwright's own browser download is never used: the
/// executable is the system browser, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD is set, and the browser starts with
/// everything that would phone home switched off and a profile of its own, so a test makes no request
/// outside file://. The driver (node and its package) ships in the Microsoft.Playwright NuGet package.
/// </summary>
internal static class SiteBrowser
{
    public const string DefaultExecutable = "/usr/bin/chromium";

    private static readonly SemaphoreSlim _gate = new(1, 1);
    private static IPlaywright? _playwright;
    private static IBrowserContext? _browser;

    /// <summary>The system browser: $CHROMIUM, else /usr/bin/chromium.</summary>
    public static string Executable => Environment.GetEnvironmentVariable("CHROMIUM") is { Length: > 0 } path ? path : DefaultExecutable;

    /// <summary>The one browser (a persistent context with a fresh profile) of the test run; the test is skipped, saying why, where chromium is not installed.</summary>
    public static async Task<IBrowserContext> GetAsync()
    {
        if (!File.Exists(Executable))
            Assert.Ignore($"chromium is not installed at {Executable} (Debian: apt-get install -y chromium; .ci/run installs it); the browser tests of the site are skipped");
        await _gate.WaitAsync();
        try
        {
            if (_browser is not null) return _browser;
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            _playwright ??= await Playwright.CreateAsync();
            // A persistent context is how Playwright takes a profile folder of the test's own (--user-data-dir).
            _browser = await _playwright.Chromium.LaunchPersistentContextAsync(TestFiles.NewTempFolder("chromium-profile"), new BrowserTypeLaunchPersistentContextOptions
            {
                ExecutablePath = Executable,
                Headless = true,
                Args =
                [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                ],
            });
            return _browser;
        }
        finally
        {
            _gate.Release();
        }
    }

    private static readonly Lazy<string> _axeScript = new(() => new Deque.AxeCore.Commons.BundledAxeScriptProvider().GetScript());

    /// <summary>
    /// axe-core's violations of serious or critical impact on the page, as "rule (impact): help at targets".
    /// The axe bundled with Deque.AxeCore is run in the page directly: Deque's RunAxe wrapper took several times as
    /// long a page for the same rules, and it preloads the stylesheets by XMLHttpRequest, which
    /// Chromium refuses for file:// and reports as a console error of the page's. preload: false skips only
    /// that fetch; the rules read the stylesheets the page already applied.
    /// </summary>
    public static async Task<IReadOnlyList<string>> SeriousAxeViolations(IPage page)
    {
        if (!await page.EvaluateAsync<bool>("() => typeof window.axe === 'object'")) await page.EvaluateAsync(_axeScript.Value);
        return await page.EvaluateAsync<string[]>(
            """
            async () => {
              const results = await axe.run(document, { preload: false, resultTypes: ['violations'] });
              return results.violations
                .filter(v => v.impact === 'serious' || v.impact === 'critical')
                .map(v => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3).map(n => n.target.join(' ')).join('; ')}`);
            }
            """);
    }

    /// <summary>Closes the browser and the driver at the end of the run.</summary>
    public static async Task CloseAsync()
    {
        if (_browser is not null) await _browser.CloseAsync();
        _playwright?.Dispose();
        _browser = null;
        _playwright = null;
    }
}

[SetUpFixture]
public sealed class SiteBrowserTeardown
{
    [OneTimeTearDown]
    public async Task CloseBrowser() => await SiteBrowser.CloseAsync();
}
