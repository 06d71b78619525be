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
}
