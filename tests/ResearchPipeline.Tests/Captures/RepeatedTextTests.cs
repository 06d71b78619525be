using System.Text;
using ResearchPipeline.Captures.Har;

namespace ResearchPipeline.Tests.Captures;

/// <summary>
/// The HAR reader's strings for repeated header texts: a text read again comes back as the string made before, and
/// texts that take each other's slot each come back as themselves.
/// </summary>
public class RepeatedTextTests
{
    [Test]
    public void Texts_that_share_a_slot_each_come_back_as_themselves()
    {
        // Among a few thousand texts of one length, pairs with the same slot, read in turn.
        var texts = Enumerable.Range(0, 5000).Select(i => Encoding.ASCII.GetBytes($"x-request-id: {i:D8}")).ToList();
        var sharing = texts.GroupBy(t => RepeatedText.SlotOf(t)).Where(g => g.Count() > 1).Take(20).ToList();
        Assert.That(sharing, Is.Not.Empty, "5,000 texts in 4,096 slots share some");
        foreach (var pair in sharing)
        {
            foreach (var _ in Enumerable.Range(0, 3))
            {
                foreach (var text in pair) Assert.That(RepeatedText.Of(text), Is.EqualTo(Encoding.ASCII.GetString(text)));
            }
        }
    }

    [TestCase("br")]
    [TestCase("gzip, deflate")]
    [TestCase("application/x-www-form-urlencoded; charset=utf-8")]
    [TestCase("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148")]
    public void A_text_read_again_is_the_string_made_before(string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        var made = RepeatedText.Of(bytes);
        Assert.That(made, Is.EqualTo(text));
        Assert.That(RepeatedText.Of(bytes.ToArray()), Is.SameAs(made));
    }
}
