using ResearchPipeline.Captures;

namespace ResearchPipeline.Tests.Captures;

public class RequestTargetTests
{
    [Test]
    public void A_url_is_split_as_sent_with_its_scheme_and_host_in_lower_case()
    {
        var t = RequestTarget.TryParse("HTTPS://user@Graph.Facebook.com:8443/v17.0/ACT_1/activities?format=json&sdk=ios#top")!;
        Assert.That((t.Scheme, t.Host, t.Port, t.Path, t.Query), Is.EqualTo(("https", "graph.facebook.com", 8443, "/v17.0/ACT_1/activities", "format=json&sdk=ios")));
        Assert.That(t.Url, Is.EqualTo("https://graph.facebook.com:8443/v17.0/ACT_1/activities?format=json&sdk=ios"));

        var v6 = RequestTarget.TryParse("http://[2a03:2880:f10c:83:face:b00c:0:25de]/tr?id=1")!;
        Assert.That((v6.Scheme, v6.Host, v6.Port, v6.Path, v6.Query), Is.EqualTo(("http", "2a03:2880:f10c:83:face:b00c:0:25de", 80, "/tr", "id=1")));
        Assert.That(v6.Url, Is.EqualTo("http://[2a03:2880:f10c:83:face:b00c:0:25de]/tr?id=1"));

        var other = RequestTarget.TryParse("Wss://Push.Example")!;
        Assert.That((other.Scheme, other.Host, other.Port, other.Path, other.Query), Is.EqualTo(("wss", "push.example", 443, "/", "")));
    }

    [Test]
    public void A_url_without_a_host_is_refused_even_after_one_with_a_host()
    {
        Assert.That(RequestTarget.TryParse("https://graph.facebook.com/app"), Is.Not.Null);
        Assert.That(RequestTarget.TryParse("https:///app"), Is.Null);
        Assert.That(RequestTarget.TryParse("https://user@/app"), Is.Null);
        Assert.That(RequestTarget.TryParse("graph.facebook.com/app"), Is.Null);
    }

    [Test]
    public void Requests_in_a_run_to_one_host_share_its_name_and_another_host_gets_its_own()
    {
        var first = RequestTarget.TryParse("https://graph.facebook.com/v17.0/1/activities")!;
        var second = RequestTarget.TryParse("https://graph.facebook.com/v17.0/1/app_indexing_session")!;
        var third = RequestTarget.TryParse("https://graph.facebook.co/x")!;
        Assert.That(second.Host, Is.SameAs(first.Host));
        Assert.That(third.Host, Is.EqualTo("graph.facebook.co"));
        Assert.That(RequestTarget.TryParse("https://GRAPH.facebook.com/x")!.Host, Is.EqualTo("graph.facebook.com"));
    }
}
