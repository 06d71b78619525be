using ResearchPipeline.Privacy;

namespace ResearchPipeline.Tests.Privacy;

public class SecretRedactionTests
{
    private const string ClientToken = "0123456789abcdef0123456789ABCDEF";
    private const string UserToken = "EAAGm0PX4ZCpsBAKZBuZCzZAqZBZBZCRpZBZCZBZCZBQZDZD";

    // Tokens by their shape, wherever they stand in a text: the separator of an app token as sent, and both
    // letter cases of its percent-encoding; a user token; and texts that only look near one.
    [TestCase("GET /v16.0/app?access_token=1234567|" + ClientToken + "&x=1", "GET /v16.0/app?access_token=[redacted:access_token]&x=1")]
    [TestCase("q=1234567%7C" + ClientToken + " tail", "q=[redacted:access_token] tail")]
    [TestCase("q=1234567%7c" + ClientToken + " tail", "q=[redacted:access_token] tail")]
    [TestCase("token " + UserToken + " end", "token [redacted:access_token] end")]
    [TestCase("id 123456789012345678 and hex " + ClientToken, "id 123456789012345678 and hex " + ClientToken)]
    [TestCase("EAA is short here, and 1234567| too", "EAA is short here, and 1234567| too")]
    public void Tokens_are_redacted_by_their_shape_in_free_text(string text, string published)
    {
        Assert.That(SecretRedaction.RedactTokens(text), Is.EqualTo(published));
        var found = new List<string>();
        SecretRedaction.EachToken(text, found, static (list, token) => list.Add(token));
        Assert.That(found.Count > 0, Is.EqualTo(text != published), "the tokens it finds are the ones it redacts");
    }

    // Emit takes an exchange row's query as redacted when the row was made and does not redact it again: that holds
    // only while a second redaction would change nothing. Queries made to try it (markers, tokens in names and in
    // nested names, a marker's own shape), then every real request's.
    [TestCase("access_token=abc&x=1")]
    [TestCase("x=1&password[new]=hunter2hunter2&user[password]=a&session%5Btoken%5D=b")]
    [TestCase("q=1234567%7C" + ClientToken + "&1234567|" + ClientToken + "=v&k[1234567|" + ClientToken + "]=w")]
    [TestCase("t=" + UserToken + "&" + UserToken + "=1&access_token=" + UserToken)]
    [TestCase("a=[redacted:access_token]&[redacted:access_token]=1&redacted:access_token=2&x[access_token]=3")]
    [TestCase("access_token&access_token=&=access_token&&access_token==x")]
    public void A_query_redacted_once_is_not_changed_by_a_second_redaction(string query)
    {
        var once = SecretRedaction.RedactQuery(query);
        Assert.That(SecretRedaction.RedactQuery(once), Is.EqualTo(once));
    }

    [Test]
    public void Every_real_query_redacted_once_is_not_changed_by_a_second_redaction()
    {
        var queries = 0;
        var redacted = 0;
        foreach (var (path, e) in SensitiveValuesTests.EveryRealExchange())
        {
            if (e.Target.Query is not { Length: > 0 } query) continue;
            var once = SecretRedaction.RedactQuery(query);
            Assert.That(SecretRedaction.RedactQuery(once), Is.EqualTo(once), path);
            queries++;
            if (once != query) redacted++;
        }
        TestContext.Out.WriteLine($"{queries} queries, {redacted} with a secret replaced");
        Assert.That(queries, Is.GreaterThan(100), "the real captures give queries");
        Assert.That(redacted, Is.GreaterThan(0), "and queries that carry a secret");
    }

    [Test]
    public void A_value_that_is_a_Graph_token_becomes_the_marker_whatever_its_key()
    {
        Assert.That(SecretRedaction.RedactValue("data.t", "GG|12345|" + ClientToken), Is.EqualTo("[redacted:access_token]"));
        Assert.That(SecretRedaction.RedactValue("data.t", UserToken), Is.EqualTo("[redacted:access_token]"));
        Assert.That(SecretRedaction.RedactValue("data.t", "EAA" + new string('x', 29)), Is.EqualTo("EAA" + new string('x', 29)), "one character short of a user token");
    }

    // A form nests a parameter's parts in brackets (PHP, Rails): the secret is named before them or in the last of them.
    [TestCase("access_token", true)]
    [TestCase("Client_Token", true)]
    [TestCase("access_token[x]", true)]
    [TestCase("password[new]", true)]
    [TestCase("user[password]", true)]
    [TestCase("data[session][token]", true)]
    [TestCase("user[name]", false)]
    [TestCase("tokens[0]", false)]
    [TestCase("[password]", false)]
    [TestCase("password]", false)]
    [TestCase("x_token]", false)]
    public void A_secret_is_named_by_its_key_or_by_the_names_a_form_nests_it_under(string name, bool secret)
    {
        Assert.That(SecretRedaction.IsSecret(name), Is.EqualTo(secret));
        // The query's pairs go by the same names.
        var query = $"{Uri.EscapeDataString(name)}=abcdefgh12345&x=1";
        Assert.That(SecretRedaction.RedactQuery(query), secret ? Does.Not.Contain("abcdefgh12345") : Is.EqualTo(query));
    }

    // The token patterns as written: the search by separators must find what they find, where they find it.
    private static readonly System.Text.RegularExpressions.Regex AppTokenPattern = new(@"\b\d{6,20}(?:\||%7[Cc])[0-9a-fA-F]{32}\b");
    private static readonly System.Text.RegularExpressions.Regex UserTokenPattern = new(@"\bEAA[A-Za-z0-9]{30,}\b");

    [Test]
    public void Tokens_are_found_where_their_patterns_find_them_in_texts_made_of_their_pieces()
    {
        // Runs of digits (ASCII, Arabic-Indic, full-width) of every length around the pattern's 6 to 20, separators and
        // near-separators, hex runs around 32, and characters on either side of a word boundary (letters, '_', joiners,
        // combining marks) or not (spaces, '&', '=', '.').
        var random = new Random(20261206);
        string Digits(int n, string set) => new([.. Enumerable.Range(0, n).Select(_ => set[random.Next(set.Length)])]);
        string Hex(int n) => new([.. Enumerable.Range(0, n).Select(_ => "0123456789abcdefABCDEF"[random.Next(22)])]);
        string Separator() => new[] { "|", "%7C", "%7c", "%7B", "%7", "%", "||" }[random.Next(7)];
        string Piece() => random.Next(11) switch
        {
            // Near a token and often one: the pattern's lengths and separators, and each one off.
            8 or 9 => Digits(random.Next(5, 22), "0123456789") + (random.Next(3) > 0 ? Separator()[..1] == "%" ? "%7C" : "|" : Separator())
                + Hex(random.Next(2) == 0 ? 32 : random.Next(31, 34)),
            0 or 1 => Digits(random.Next(1, 24), "0123456789"),
            2 => Digits(random.Next(4, 22), random.Next(2) == 0 ? "0123456789\u0663" : "\uFF10\uFF11\uFF19"),
            3 or 4 => Separator(),
            5 => Hex(random.Next(30, 35)),
            6 => new[] { "a", "_", "\u200D", "\u200C", "\u0301", "\u0903", "é", "x1" }[random.Next(8)],
            7 => new[] { " ", "&", "=", ".", "/", "-", "\"" }[random.Next(7)],
            _ => "EAA" + Digits(random.Next(28, 34), "abcXYZ019"),
        };
        var marker = SecretRedaction.Marker("access_token");
        var withTokens = 0;
        for (var n = 0; n < 20_000; n++)
        {
            var text = string.Concat(Enumerable.Range(0, random.Next(1, 10)).Select(_ => Piece()));
            var app = AppTokenPattern.Matches(text).Select(m => m.Value).ToList();
            var expected = text.Length < 20 ? text : UserTokenPattern.Replace(AppTokenPattern.Replace(text, marker), marker);
            Assert.That(SecretRedaction.RedactTokens(text), Is.EqualTo(expected), text);
            var found = new List<string>();
            SecretRedaction.EachToken(text, found, static (list, token) => list.Add(token));
            var tokens = text.Length < 33 ? [] : app.Concat(UserTokenPattern.Matches(text).Select(m => m.Value)).ToList();
            Assert.That(found, Is.EqualTo(tokens), text);
            if (app.Count > 0) withTokens++;
        }
        Assert.That(withTokens, Is.GreaterThan(1_000), "texts that hold an app token");
    }
}
