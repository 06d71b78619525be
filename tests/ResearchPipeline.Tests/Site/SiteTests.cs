using System.Net;
using System.Text.RegularExpressions;
using ResearchPipeline.Site;
using ResearchPipeline.Tests.Analysis;
using ResearchPipeline.Tests.Cli;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Site;

/// <summary>
/// The site without a browser: the same bytes from the same tables, nothing on a page that the published
/// tables do not hold (no raw identifier of the test devices), nothing fetched from elsewhere, and the numbers
/// on the pages agree with the same questions asked of the Parquet files through DuckDB.
/// </summary>
public class SiteTests
{
    [Test]
    public async Task Two_generations_from_the_same_tables_are_byte_identical()
    {
        var first = await GeneratedSite.Write("site-first");
        var second = await GeneratedSite.Write("site-second");
        var files = Files(first);
        Assert.That(files, Is.EqualTo(Files(second)), "the same files");
        Assert.That(files, Does.Contain("index.html").And.Contain("dictionary.html").And.Contain("style.css").And.Contain("site.js").And.Contain("citation.cff"));
        foreach (var file in files)
            Assert.That(File.ReadAllBytes(Path.Combine(second, file)), Is.EqualTo(File.ReadAllBytes(Path.Combine(first, file))), file);

        // A rerun into the same folder leaves no page behind that the tables no longer give.
        File.WriteAllText(Path.Combine(first, "apps", "org.example.gone.html"), "stale");
        await SiteWriter.WriteAsync(await PublishedStudies.Demonstration, first, GeneratedSite.Citation, SiteWriter.ZoomReconstruction);
        Assert.That(Files(first), Is.EqualTo(files));
    }

    [Test]
    public async Task No_page_holds_a_raw_identifier_of_the_test_devices()
    {
        var folder = await GeneratedSite.Folder;
        var text = string.Concat(Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(File.ReadAllText));
        string[] identifying = ["advertising_id", "idfv", "android_id", "email", "phone"];
        using var parser = new Microsoft.VisualBasic.FileIO.TextFieldParser(Path.Combine(DemonstrationCorpus.Raw, "devices.csv")) { Delimiters = [","], HasFieldsEnclosedInQuotes = true };
        var header = parser.ReadFields()!;
        var values = new List<string>();
        while (parser.ReadFields() is { } cells) values.AddRange(identifying.Select(c => cells[Array.IndexOf(header, c)]).Where(v => v.Length > 0));
        values = values.Distinct().ToList();
        Assert.That(values, Has.Count.GreaterThanOrEqualTo(10), "the devices file was read");
        foreach (var value in values)
            Assert.That(text, Does.Not.Contain(value).IgnoreCase.And.Not.Contain(WebUtility.HtmlEncode(value)), $"a raw identifier of devices.csv is on a page");
        Assert.That(text, Does.Contain("hmac:"), "identifiers are shown as their published pseudonyms");
    }

    [Test]
    public async Task The_index_names_the_reference_data_the_manifest_names_with_its_digests()
    {
        var processed = await PublishedStudies.Demonstration;
        var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(processed, "manifest.json")))!;
        var named = manifest["reference"]!.AsArray().Select(r => ((string)r!["file"]!, (string)r["file_sha256"]!)).ToList();
        Assert.That(named.Select(n => n.Item1), Does.Contain("mobile-overlay.csv"), "the taxonomy is among them");

        var html = File.ReadAllText(Path.Combine(await GeneratedSite.Folder, "index.html"));
        var table = html[html.IndexOf("<table id=\"reference\"", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("</table>", StringComparison.Ordinal)];
        var shown = Regex.Matches(table, @"<td><code>([^<]*)</code></td><td><code class=""hash"">([0-9a-f]*)</code>")
            .Select(m => (WebUtility.HtmlDecode(m.Groups[1].Value), m.Groups[2].Value)).ToList();
        Assert.That(shown, Is.EqualTo(named), "every reference file, in the manifest's order, with its digest");
    }

    [Test]
    public async Task A_manifest_that_says_the_source_was_edited_is_said_on_the_pages_and_only_then()
    {
        var processed = await PublishedStudies.Demonstration;
        foreach (var modified in new[] { true, false })
        {
            var copy = TestFiles.NewTempFolder($"edited-{modified}");
            foreach (var file in Directory.GetFiles(processed)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            var manifest = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(copy, "manifest.json")))!;
            manifest["tool"]!["git_commit"] = "0123456789abcdef0123456789abcdef01234567";
            manifest["tool"]!["source_modified"] = modified;
            File.WriteAllText(Path.Combine(copy, "manifest.json"), manifest.ToJsonString());

            var site = TestFiles.NewTempFolder($"edited-site-{modified}");
            await SiteWriter.WriteAsync(copy, site, GeneratedSite.Citation, SiteWriter.ZoomReconstruction);
            var index = File.ReadAllText(Path.Combine(site, "index.html"));
            Assert.That(index, Does.Contain("(this one: <code>0123456789abcdef0123456789abcdef01234567</code>)"));
            Assert.That(index.Contains("changes not committed when these tables were made", StringComparison.Ordinal), Is.EqualTo(modified), "the citation's caveat");
            Assert.That(index.Contains("<code>0123456789ab</code> with changes not committed.</p></footer>", StringComparison.Ordinal), Is.EqualTo(modified), "the footer");
        }
    }

    [Test]
    public async Task Pages_load_nothing_from_elsewhere()
    {
        var folder = await GeneratedSite.Folder;
        foreach (var page in Directory.GetFiles(folder, "*.html", SearchOption.AllDirectories))
        {
            var html = File.ReadAllText(page);
            var loads = Regex.Matches(html, @"<(?:script|link|img|iframe|source)\b[^>]*\b(?:src|href)=""([^""]*)""").Select(m => m.Groups[1].Value).ToList();
            Assert.That(loads, Has.All.Not.Contain(":").And.All.Not.StartWith("//"), $"{Path.GetFileName(page)} loads only files of the site");
            Assert.That(html, Does.Not.Contain("@import").And.Not.Contain("url("), $"{Path.GetFileName(page)}: no stylesheet import");
        }
        Assert.That(File.ReadAllText(Path.Combine(folder, "style.css")), Does.Not.Contain("url(").And.Not.Contain("@import").And.Not.Contain("@font-face"));
        Assert.That(File.ReadAllText(Path.Combine(folder, "site.js")), Does.Not.Contain("fetch(").And.Not.Contain("XMLHttpRequest").And.Not.Contain("http"));
    }

    [Test]
    public async Task Every_app_and_every_organisation_contacted_has_a_page_and_the_counts_agree_with_SQL()
    {
        var processed = await PublishedStudies.Demonstration;
        var folder = await GeneratedSite.Folder;
        using var db = StudyRunnerTests.OpenDuckDb();
        foreach (var file in Directory.GetFiles(processed, "*.parquet"))
            StudyRunnerTests.Query(db, $"create view {Path.GetFileNameWithoutExtension(file)} as select * from read_parquet('{file}')");

        var apps = StudyRunnerTests.Query(db, "select distinct app_id from captures order by 1").Select(r => (string)r[0]!).ToList();
        Assert.That(apps.Select(SitePages.AppPath).Where(p => !File.Exists(Path.Combine(folder, p))), Is.Empty, "an app without a page");

        var parents = StudyRunnerTests.Query(db,
                "select distinct coalesce(t.parent_organisation, t.organisation) from exchanges e join captures c using (capture_id) join trackers t on t.host = e.host " +
                "where c.primary_in_session and e.kind <> 'dns_query' and coalesce(t.parent_organisation, t.organisation) is not null")
            .Select(r => (string)r[0]!).ToList();
        Assert.That(parents, Does.Contain(SitePages.MetaParent));
        Assert.That(parents.Select(SitePages.OrganisationPath).Where(p => !File.Exists(Path.Combine(folder, p))), Is.Empty, "an organisation without a page");

        foreach (var app in apps)
        {
            var expected = StudyRunnerTests.Query(db, $"select count(*), count(*) filter (where personal_data) from app_facebook_fields where app_id = '{app}'")[0];
            var html = File.ReadAllText(Path.Combine(folder, SitePages.AppPath(app)));
            var rows = Regex.Matches(html, @"<table id=""meta-fields""[\s\S]*?</table>").SelectMany(t => Regex.Matches(t.Value, "<tr><th scope=\"row\">")).Count();
            Assert.That(rows, Is.EqualTo((long)expected[0]!), $"{app}: one row per row of app_facebook_fields");
            if ((long)expected[0]! > 0)
                Assert.That(html, Does.Contain($"{expected[0]} kinds of data, {expected[1]} of them personal data or identifiers"), app);
        }
    }

    [Test]
    public async Task Every_SDK_reference_in_the_published_sources_links_to_that_file_at_that_release()
    {
        var processed = await PublishedStudies.Demonstration;
        var sources = ResearchPipeline.Analysis.FrameColumns.Strings(ResearchPipeline.Analysis.DatasetFrames.Load(processed, "payload_fields"), "semantic_source")
            .OfType<string>().Distinct().Order(StringComparer.Ordinal).ToList();
        var withReferences = sources.Where(s => Regex.IsMatch(s, @"\b[IA](4|17|18) \S+\.(m|swift|kt|java)\b")).ToList();
        Assert.That(withReferences, Has.Count.GreaterThan(10), "the demonstration sources cite SDK code");
        Assert.That(withReferences.Where(s => SdkSources.Links(s).Count == 0), Is.Empty, "a source whose SDK reference gets no link");

        var links = SdkSources.Links("doc 1.1/1.2: I18 CK/GraphAPI/FBSDKGraphRequestConnection.m L1276-1291, A18 core/GraphRequest.kt L1535-1545, I18 FBSDKAppEventsUtility.m L77-80");
        Assert.That(links.Select(l => l.Url), Is.EqualTo(new[]
        {
            "https://github.com/facebook/facebook-ios-sdk/blob/v18.1.0/FBSDKCoreKit/FBSDKCoreKit/GraphAPI/FBSDKGraphRequestConnection.m#L1276-L1291",
            "https://github.com/facebook/facebook-android-sdk/blob/sdk-version-18.3.0/facebook-core/src/main/java/com/facebook/GraphRequest.kt#L1535-L1545",
            "https://github.com/search?type=code&q=repo%3Afacebook%2Ffacebook-ios-sdk%20path%3AFBSDKAppEventsUtility.m",
        }), "abbreviated folders expanded as semantics.csv's header says; a bare file name searched for in its repository");
    }

    /// <summary>Every file of a folder, relative, '/' separated, ordinal.</summary>
    private static List<string> Files(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal).ToList();
}
