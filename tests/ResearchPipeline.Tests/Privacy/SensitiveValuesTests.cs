using System.Text;
using ResearchPipeline.Privacy;
using ResearchPipeline.Tests.Payloads;
using static ResearchPipeline.Tests.Payloads.Requests;

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
    public void A_secret_query_parameter_is_kept_both_unescaped_and_as_sent()
    {
        var seen = Seen(Make("GET", "https://t.example/p?access_token=a%2Fb%2Fc%2Fd%2Fe&x=1"));
        Assert.That(seen, Does.Contain((SensitiveKind.Secret, "access_token", "a/b/c/d/e")));
        Assert.That(seen, Does.Contain((SensitiveKind.Secret, "access_token", "a%2Fb%2Fc%2Fd%2Fe")));
    }
}
