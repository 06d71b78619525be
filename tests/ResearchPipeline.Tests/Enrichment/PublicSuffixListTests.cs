using ResearchPipeline.Enrichment;

namespace ResearchPipeline.Tests.Enrichment;

public class PublicSuffixListTests
{
    // Rules in the list's own format, including its wildcard and exception examples (publicsuffix.org/list/).
    private const string Rules = """
        // ===BEGIN ICANN DOMAINS===
        com
        uk
        co.uk
        jp
        *.kawasaki.jp
        !city.kawasaki.jp
        *.ck
        !www.ck
        // ===END ICANN DOMAINS===
        // ===BEGIN PRIVATE DOMAINS===
        blogspot.com
        // ===END PRIVATE DOMAINS===
        """;

    private static readonly PublicSuffixList List = PublicSuffixList.Parse(new StringReader(Rules), "test");

    [TestCase("graph.facebook.com", "facebook.com")]
    [TestCase("facebook.com", "facebook.com")]
    [TestCase("com", null)]
    [TestCase("www.bbc.co.uk", "bbc.co.uk")]
    [TestCase("co.uk", null)]
    [TestCase("example.blogspot.com", "example.blogspot.com")]
    [TestCase("a.b.example.blogspot.com", "example.blogspot.com")]
    [TestCase("unlisted", null)]
    [TestCase("host.unlisted", "host.unlisted")]
    public void Longest_rule_decides_and_unlisted_tlds_use_the_default_rule(string host, string? registrable) =>
        Assert.That(List.RegistrableDomain(host), Is.EqualTo(registrable));

    [TestCase("kawasaki.jp", "kawasaki.jp")]
    [TestCase("foo.kawasaki.jp", null)]
    [TestCase("bar.foo.kawasaki.jp", "bar.foo.kawasaki.jp")]
    [TestCase("x.bar.foo.kawasaki.jp", "bar.foo.kawasaki.jp")]
    [TestCase("test.ck", null)]
    [TestCase("b.test.ck", "b.test.ck")]
    public void Wildcard_rules_match_any_one_label(string host, string? registrable) =>
        Assert.That(List.RegistrableDomain(host), Is.EqualTo(registrable));

    [TestCase("city.kawasaki.jp", "city.kawasaki.jp")]
    [TestCase("www.city.kawasaki.jp", "city.kawasaki.jp")]
    [TestCase("www.ck", "www.ck")]
    [TestCase("www.www.ck", "www.ck")]
    public void Exception_rules_override_wildcards(string host, string registrable) =>
        Assert.That(List.RegistrableDomain(host), Is.EqualTo(registrable));

    [Test]
    public void The_psl_packages_rules_js_reads_as_a_list()
    {
        var js = PublicSuffixList.Parse(new StringReader("export default [\n  \"com\",\n  \"*.ck\",\n  \"!www.ck\",\n  \"\u9999\u6e2f\"\n];\n"), "js");
        Assert.That(js.RuleCount, Is.EqualTo(4));
        Assert.That(js.RegistrableDomain("www.ck"), Is.EqualTo("www.ck"));
        Assert.That(js.RegistrableDomain("a.xn--j6w193g"), Is.EqualTo("a.xn--j6w193g"), "Unicode rules are compared in their xn-- form");
    }

    [Test]
    public void A_line_gives_its_first_word_as_a_rule_and_a_line_that_is_not_one_rule_gives_none()
    {
        var lines = new[]
        {
            "\"com\",", "  \"co.uk\"  ", "\"a.test extra\",", "dat.test // the list's own format", "\t*.wild.test\t",
            // Not one rule each: an empty or doubly quoted string, two commas, brackets, comments and blank lines.
            "\"\",", "\"x\"y\",", "\"twice.test\",,", "export default [", "];", "// com.ck", "", "   ",
        };
        var list = PublicSuffixList.Parse(new StringReader(string.Join('\n', lines)), "lines");
        Assert.That(list.RuleCount, Is.EqualTo(5));
        Assert.That(list.PublicSuffix("x.co.uk"), Is.EqualTo("co.uk"));
        Assert.That(list.PublicSuffix("x.a.test"), Is.EqualTo("a.test"));
        Assert.That(list.PublicSuffix("x.dat.test"), Is.EqualTo("dat.test"));
        Assert.That(list.PublicSuffix("x.y.wild.test"), Is.EqualTo("y.wild.test"));
        Assert.That(list.PublicSuffix("x.twice.test"), Is.EqualTo("test"), "a line of two commas is not a rule");
    }

    // Cases from the list's own test file (test_psl.txt) that depend on rules of the real list.
    [TestCase("graph.facebook.com", "facebook.com")]
    [TestCase("www.ck", "www.ck")]
    [TestCase("www.www.ck", "www.ck")]
    [TestCase("b.test.ck", "b.test.ck")]
    [TestCase("test.ck", null)]
    [TestCase("www.city.kawasaki.jp", "city.kawasaki.jp")]
    [TestCase("c.kobe.jp", null)]
    [TestCase("b.c.kobe.jp", "b.c.kobe.jp")]
    [TestCase("a.b.c.kobe.jp", "b.c.kobe.jp")]
    [TestCase("www.example.us", "example.us")]
    [TestCase("a.b.k12.ak.us", "b.k12.ak.us")]
    [TestCase("example.blogspot.com", "example.blogspot.com")]
    // googleapis.com is in the list's private section: each of its subdomains is registrable on its own.
    [TestCase("firebaseinstallations.googleapis.com", "firebaseinstallations.googleapis.com")]
    [TestCase("app-measurement.com", "app-measurement.com")]
    public void Real_list_gives_the_documented_answers(string host, string? registrable)
    {
        ReferenceData.RequireFetched();
        var psl = ReferenceData.Lock.WithRole("public-suffix-list").Single();
        var list = PublicSuffixList.Load(psl.PathUnder(ReferenceData.ExternalFolder), psl.Citation);
        Assert.That(list.RegistrableDomain(host), Is.EqualTo(registrable));
    }
}
