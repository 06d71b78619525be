using System.Text.RegularExpressions;
using Microsoft.Playwright;
using ResearchPipeline.Site;

namespace ResearchPipeline.Tests.Site;

/// <summary>
/// The site as a reader sees it, in Debian's chromium: each kind of page at desktop and phone width loads with no
/// console error and no request leaving file://, every link inside the site resolves (page and anchor), axe finds
/// nothing serious or critical, the page fits the phone's width, and a screenshot is kept as a test artefact.
/// </summary>
[Category("Browser")]
public class SiteBrowserTests
{
    private static readonly string[] Pages =
    [
        "index.html",
        SitePages.AppPath("org.example.meetly"),
        SitePages.OrganisationPath(SitePages.MetaParent),
        "dictionary.html",
    ];

    private static IEnumerable<TestCaseData> PagesAndWidths() =>
        from page in Pages
        from width in new[] { 1280, 390 }
        select new TestCaseData(page, width).SetArgDisplayNames(page, width + "px");

    [TestCaseSource(nameof(PagesAndWidths))]
    public async Task A_page_loads_cleanly_is_accessible_and_its_links_resolve(string relative, int width)
    {
        var folder = await GeneratedSite.Folder;
        var context = await SiteBrowser.GetAsync();
        var page = await context.NewPageAsync();
        try
        {
            await page.SetViewportSizeAsync(width, 900);
            var errors = new List<string>();
            var outside = new List<string>();
            page.Console += (_, message) => { if (message.Type == "error") lock (errors) errors.Add("console: " + message.Text); };
            page.PageError += (_, error) => { lock (errors) errors.Add("page error: " + error); };
            page.RequestFailed += (_, request) => { lock (errors) errors.Add($"failed request: {request.Url} ({request.Failure})"); };
            page.Request += (_, request) => { if (!request.Url.StartsWith("file://", StringComparison.Ordinal)) lock (outside) outside.Add(request.Url); };

            var response = await page.GotoAsync(GeneratedSite.Url(folder, relative), new PageGotoOptions { WaitUntil = WaitUntilState.Load });
            Assert.That(response?.Ok ?? true, Is.True, $"{relative} did not load");

            var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "site-screenshots",
                $"{Path.ChangeExtension(relative, null).Replace('/', '-')}-{width}px.png");
            Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            TestContext.AddTestAttachment(screenshot, $"{relative} at {width} px");

            var serious = await SiteBrowser.SeriousAxeViolations(page);

            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
            var headings = await page.EvalOnSelectorAllAsync<int[]>("main h1, main h2, main h3, main h4", "hs => hs.map(h => Number(h.tagName[1]))");
            var hrefs = await page.EvalOnSelectorAllAsync<string[]>("a[href]", "links => links.map(a => a.href)");
            var broken = hrefs.Where(h => h.StartsWith("file:", StringComparison.Ordinal)).Distinct().Where(h => !Resolves(h)).ToList();

            Assert.Multiple(() =>
            {
                Assert.That(errors, Is.Empty, "console errors and failed requests");
                Assert.That(outside, Is.Empty, "requests outside file://");
                Assert.That(serious, Is.Empty, "axe violations of serious or critical impact");
                Assert.That(overflow, Is.LessThanOrEqualTo(0), "the page is wider than the window (tables must scroll inside their region)");
                Assert.That(headings.FirstOrDefault(), Is.EqualTo(1), "the page starts with one h1");
                Assert.That(headings.Zip(headings.Skip(1)).Where(p => p.Second > p.First + 1), Is.Empty, "no heading level is skipped");
                Assert.That(hrefs.Count(h => h.StartsWith("file:", StringComparison.Ordinal)), Is.GreaterThan(0), "the page links inside the site");
                Assert.That(broken, Is.Empty, "links inside the site that do not resolve");
            });
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>A file: link names an existing file and, with a fragment, an element of that page with that id.</summary>
    private static bool Resolves(string href)
    {
        var uri = new Uri(href);
        var path = Uri.UnescapeDataString(uri.AbsolutePath);
        if (!File.Exists(path)) return false;
        var fragment = Uri.UnescapeDataString(uri.Fragment.TrimStart('#'));
        return fragment.Length == 0 || File.ReadAllText(path).Contains($" id=\"{fragment}\"", StringComparison.Ordinal);
    }

    [Test]
    public async Task The_accessibility_check_reports_a_serious_violation_when_there_is_one()
    {
        // The control for the page test above: axe as run there must see a button without a name and
        // text of 1.5:1 contrast, or its silence on the site's pages would prove nothing.
        var folder = TestFiles.NewTempFolder("axe-control");
        var path = Path.Combine(folder, "bad.html");
        File.WriteAllText(path, "<!DOCTYPE html><html lang=\"en\"><head><title>t</title></head><body><main><h1>t</h1><button></button><p style=\"color:#bbb;background:#fff\">faint</p></main></body></html>");
        var context = await SiteBrowser.GetAsync();
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(new Uri(path).AbsoluteUri);
            var serious = await SiteBrowser.SeriousAxeViolations(page);
            Assert.That(serious, Has.Some.StartsWith("button-name (critical)").And.Some.StartsWith("color-contrast (serious)"));
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Test]
    public async Task The_Zoom_reconstruction_page_lists_what_Meetly_sent_to_Meta()
    {
        var folder = await GeneratedSite.Folder;
        var context = await SiteBrowser.GetAsync();
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(GeneratedSite.Url(folder, "index.html"));
            await page.Locator("#example").Locator("xpath=following-sibling::p").GetByRole(AriaRole.Link, new() { Name = "Read the worked example" }).ClickAsync();
            Assert.That(page.Url, Does.EndWith("/apps/org.example.meetly.html"), "the index leads to the worked example");

            var rows = await page.Locator("#meta-fields tbody tr").AllAsync();
            var sent = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var row in rows)
            {
                var semantic = await row.Locator("th code").InnerTextAsync();
                sent[semantic] = await row.InnerTextAsync();
            }
            string[] expected = ["device.model", "os.version", "timezone.name", "carrier", "screen.width", "screen.height", "disk.total_gb", "disk.free_gb", "device.advertising_id"];
            Assert.That(sent.Keys, Is.SupersetOf(expected), "device model, OS version, time zone, carrier, screen, disk and advertising ID, as sent to Meta");
            Assert.Multiple(() =>
            {
                Assert.That(sent["device.model"], Does.Contain("Device model").And.Contain("iPhone12,1"));
                Assert.That(sent["os.version"], Does.Contain("Operating system version").And.Contain("13.3.1"));
                Assert.That(sent["timezone.name"], Does.Contain("Time zone").And.Contain("America/Los_Angeles"));
                Assert.That(sent["carrier"], Does.Contain("Mobile carrier"));
                Assert.That(sent["disk.total_gb"], Does.Contain("Total disk size"));
                Assert.That(Regex.IsMatch(sent["device.advertising_id"], @"Advertising ID[\s\S]*yes[\s\S]*hmac:[0-9a-f]{32}"), Is.True,
                    $"the advertising ID is personal data and shown only as its published pseudonym: {sent["device.advertising_id"]}");
            });
            var heading = await page.Locator("h1").InnerTextAsync();
            Assert.That(await page.Locator(".note").InnerTextAsync(), Does.Contain("Zoom"), $"{heading}: the page says it is the Zoom reconstruction");
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    [Test]
    public async Task Searching_the_index_finds_an_app_and_sorting_orders_the_list()
    {
        var folder = await GeneratedSite.Folder;
        var context = await SiteBrowser.GetAsync();
        var page = await context.NewPageAsync();
        try
        {
            await page.GotoAsync(GeneratedSite.Url(folder, "index.html"));
            var search = page.GetByRole(AriaRole.Searchbox, new() { Name = "Search the apps" });
            await search.FillAsync("pixel");
            var visible = page.Locator("#app-list tbody tr:visible");
            await Assertions.Expect(visible).ToHaveCountAsync(1);
            Assert.That(await visible.First.InnerTextAsync(), Does.Contain("org.example.pixelpals"));
            Assert.That(await page.Locator("#app-count").InnerTextAsync(), Is.EqualTo("1 app shown"));

            await search.FillAsync("");
            await Assertions.Expect(visible).ToHaveCountAsync(6);
            await page.GetByRole(AriaRole.Button, new() { Name = "Kinds of data sent to Meta" }).ClickAsync();
            var counts = (await page.Locator("#app-list tbody tr td:nth-of-type(4)").AllInnerTextsAsync()).Select(int.Parse).ToList();
            Assert.That(counts, Is.Ordered.Ascending, "sorted by the number of kinds of data");
            Assert.That(await page.Locator("#app-list th[aria-sort]").GetAttributeAsync("aria-sort"), Is.EqualTo("ascending"));
        }
        finally
        {
            await page.CloseAsync();
        }
    }
}
