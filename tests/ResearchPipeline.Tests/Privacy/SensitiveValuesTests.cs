using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Payloads;
using ResearchPipeline.Privacy;
using ResearchPipeline.Tests.Payloads;
using static ResearchPipeline.Tests.Payloads.Requests;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Privacy;

/// <summary>The secrets collector reads the fields decode produced from the request's one view, not a parse of its own.</summary>
public class SensitiveValuesTests
{
    private const string Email = "someone@example.org";
    private const string Token = "s3cr3t-session-token-42";

    private static List<(SensitiveKind, string, string)> Seen(ResearchPipeline.Captures.Exchange e) =>
        OneReading.Sensitive(e).Select(v => (v.Kind, v.Name, v.Value)).Distinct().ToList();

    [Test]
    public void A_multipart_part_is_classified_by_its_name()
    {
        var body = Utf8($"--b0\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\n{Email}\r\n--b0\r\nContent-Disposition: form-data; name=\"access_token\"\r\n\r\n{Token}\r\n--b0--\r\n");
        var seen = Seen(Make("POST", "https://t.example/p", body, ("Content-Type", "multipart/form-data; boundary=b0")));
        Assert.That(seen, Does.Contain((SensitiveKind.Identifier, "email", Email)));
        Assert.That(seen, Does.Contain((SensitiveKind.Secret, "access_token", Token)));
    }

    [Test]
    public void A_base64_JSON_value_is_classified_by_the_keys_inside_it()
    {
        var inner = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{{\"user\":{{\"email\":\"{Email}\"}}}}"));
        var seen = Seen(Make("POST", "https://t.example/p", Utf8("payload=" + Uri.EscapeDataString(inner)), ("Content-Type", "application/x-www-form-urlencoded")));
        Assert.That(seen, Does.Contain((SensitiveKind.Identifier, "email", Email)));
    }

    [Test]
    public void A_gzip_JSON_body_is_read_once_and_its_secret_and_identifier_keys_found()
    {
        var seen = Seen(Make("POST", "https://t.example/p", Gzip($"{{\"items\":[{{\"client_token\":\"{Token}\"}}],\"email\":\"{Email}\"}}"), ("Content-Encoding", "gzip"), ("Content-Type", "application/json")));
        Assert.That(seen, Does.Contain((SensitiveKind.Secret, "client_token", Token)));
        Assert.That(seen, Does.Contain((SensitiveKind.Identifier, "email", Email)));
    }

    [Test]
    public void A_header_is_classified_by_its_name_in_any_letter_case_each_time_it_is_asked()
    {
        const string AdId = "6D92078A-8246-4BA4-AE5B-76104861E7DC";
        // More names than the classification's slots remember: most share a slot with another name.
        (string, string)[] Headers(string setCookie, string authorization, string idfa) =>
            [(setCookie, "sid=abcdef123456; Path=/"), (authorization, "Bearer abcdef1234567890"), (idfa, AdId),
                .. Enumerable.Range(0, 600).Select(i => ($"x-shop-{i}", $"plain-value-{i}"))];
        var e = Make("GET", "https://t.example/p", null, Headers("Set-Cookie", "authorization", "idfa"));
        // The same name strings again (the classification remembered), and new ones in other letter cases.
        List<(SensitiveKind, string)> Found(Exchange exchange) => Undecoded(exchange).Select(v => (v.Kind, v.Value)).ToList();
        var first = Found(e);
        Assert.That(first, Is.EquivalentTo(new[]
        {
            (SensitiveKind.Secret, "abcdef123456"), (SensitiveKind.Secret, "sid=abcdef123456; Path=/"),
            (SensitiveKind.Secret, "Bearer abcdef1234567890"), (SensitiveKind.Secret, "abcdef1234567890"), (SensitiveKind.Identifier, AdId),
        }));
        Assert.That(Found(e), Is.EqualTo(first));
        Assert.That(Found(Make("GET", "https://t.example/p", null, Headers(new string("SET-COOKIE"), new string("Authorization"), new string("IDFA")))), Is.EqualTo(first));
    }

    [Test]
    public void A_credential_is_cut_from_after_an_authentication_scheme_not_from_a_cookie_header()
    {
        var e = Make("GET", "https://t.example/p", null,
            ("Cookie", "a_session=abcdef123456; theme=darkmode-long"),
            ("Set-Cookie", "sid=0123456789ab; Path=/; Expires=Wed, 21 Oct 2026 07:28:00 GMT"),
            ("Authorization", "Digest username=\"someone\", response=\"6629fae49393a05397450978507c4ef1\""));
        var found = Undecoded(e).Select(v => v.Value).ToList();
        // The cookies one by one and each header whole, as before.
        Assert.That(found, Is.SupersetOf(new[] { "abcdef123456", "darkmode-long", "0123456789ab", "a_session=abcdef123456; theme=darkmode-long" }));
        // After a scheme's name, what follows is the credential.
        Assert.That(found, Does.Contain("username=\"someone\", response=\"6629fae49393a05397450978507c4ef1\""));
        // A cookie header goes on with its next pair, and a set-cookie with its attributes: not a credential of their own.
        Assert.That(found, Does.Not.Contain("theme=darkmode-long"));
        Assert.That(found.Where(v => v.StartsWith("Path=/", StringComparison.Ordinal)), Is.Empty);
    }

    /// <summary>What the parse stage alone collects from a request, reading only as much of it as it needs.</summary>
    private static List<SensitiveValue> Undecoded(Exchange e)
    {
        var query = e.Target.Query.Length > 0 ? FormUrlEncoding.Parse(e.Target.Query) : [];
        return SensitiveValues.In(e, query, DecodeLimits.From(ReadLimits.Default));
    }

    /// <summary>What the request's whole view gives with no fields decoded, as the parse stage alone collected it before.</summary>
    private static List<SensitiveValue> FromWholeView(Exchange e)
    {
        using var view = RequestView.Of(e, DecodeLimits.From(ReadLimits.Default));
        var found = new List<SensitiveValue>();
        SensitiveValues.AddIn(view, [], found);
        return found;
    }

    /// <summary>Every real capture the tests have: the demonstration corpus and the shared captures, in name order.</summary>
    private static IEnumerable<string> EveryCapture() =>
        new[] { DemonstrationCorpus.Raw, TestFiles.FindCaptures() }
            .OfType<string>().Where(Directory.Exists)
            .SelectMany(folder => Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)).Order(StringComparer.Ordinal);

    /// <summary>Every exchange of every real capture, with the capture's path.</summary>
    internal static IEnumerable<(string Path, Exchange Exchange)> EveryRealExchange()
    {
        foreach (var path in EveryCapture())
        {
            if (CaptureFormats.All.Detect(path) is not { } reader) continue;
            // Opened as a run opens it, so that a packet capture finds the key log beside it.
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            foreach (var record in reader.Read(stream, ReadLimits.Default))
                if (record is ExchangeRead { Exchange: var e }) yield return (path, e);
        }
    }

    [Test]
    public void The_parse_stage_alone_collects_from_every_real_request_what_the_whole_view_gives()
    {
        var exchanges = 0;
        var withSecrets = 0;
        foreach (var (path, e) in EveryRealExchange())
        {
            var expected = FromWholeView(e);
            Assert.That(Undecoded(e), Is.EqualTo(expected), $"{path}: exchange {e.Ordinal}");
            exchanges++;
            if (expected.Count > 0) withSecrets++;
        }
        TestContext.Out.WriteLine($"{exchanges} requests compared, {withSecrets} with secrets");
        Assert.That(exchanges, Is.GreaterThan(100), "the real captures give requests to compare");
        Assert.That(withSecrets, Is.GreaterThan(10), "and requests that carry secrets");
    }

    [TestCase("application/x-www-form-urlencoded", "access_token=s3cr3t-session-token-42&email=someone%40example.org")]
    [TestCase("application/json", "access_token=s3cr3t-session-token-42&email=someone%40example.org")]
    [TestCase("application/json", "{\"access_token\":\"s3cr3t-session-token-42\"}")]
    [TestCase("text/plain", "access_token=s3cr3t-session-token-42\n\n")]
    [TestCase("text/plain", "[access_token=s3cr3t-session-token-42")]
    [TestCase("", " access_token=s3cr3t-session-token-42")]
    [TestCase("multipart/form-data", "access_token=s3cr3t-session-token-42")]
    public void A_body_is_taken_for_a_form_by_the_parse_stage_alone_as_by_the_whole_view(string type, string body)
    {
        foreach (var bytes in new[] { Utf8(body), Gzip(body) })
        {
            var e = Make("POST", "https://t.example/p?x=1", bytes, ("Content-Type", type), ("Content-Encoding", bytes[0] == 0x1f ? "gzip" : "identity"));
            Assert.That(Undecoded(e), Is.EqualTo(FromWholeView(e)), $"{type}: {body}");
        }
    }

    [Test]
    public void A_secret_query_parameter_is_kept_both_unescaped_and_as_sent()
    {
        var seen = Seen(Make("GET", "https://t.example/p?access_token=a%2Fb%2Fc%2Fd%2Fe&x=1"));
        Assert.That(seen, Does.Contain((SensitiveKind.Secret, "access_token", "a/b/c/d/e")));
        Assert.That(seen, Does.Contain((SensitiveKind.Secret, "access_token", "a%2Fb%2Fc%2Fd%2Fe")));
    }

    // Each body sends the secret under a key that one of the rules before read differently: a form's nested names,
    // JSON keys that key paths quote. The published field and the collector must read the key alike, else a value
    // removed from its own field is published where else it was sent (or the other way round).
    [TestCase("application/x-www-form-urlencoded", "user%5Bpassword%5D=" + Token + "&x=1")]
    [TestCase("application/x-www-form-urlencoded", "access_token%5Bvalue%5D=" + Token + "&x=1")]
    [TestCase("application/json", "{\"user\":{\"password\":\"" + Token + "\"}}")]
    [TestCase("application/json", "{\"auth.refresh_token\":\"" + Token + "\"}")]
    [TestCase("application/json", "{\"session[token]\":\"" + Token + "\"}")]
    public void A_value_removed_from_its_field_by_its_key_is_collected_as_a_secret(string type, string body)
    {
        var e = Make("POST", "https://t.example/p", Utf8(body), ("Content-Type", type));
        var limits = DecodeLimits.From(ReadLimits.Default);
        var field = OneReading.Decode(ResearchPipeline.Decoders.TrackerDecoders.All, e, limits).Fields.Single(a => a.Field.Value == Token).Field;
        Assert.That(SecretRedaction.RedactValue(field.KeyPath, field.Value), Does.StartWith("[redacted:"), field.KeyPath);
        Assert.That(Seen(e).Where(v => v.Item1 == SensitiveKind.Secret).Select(v => v.Item3), Does.Contain(Token), field.KeyPath);
    }
}
