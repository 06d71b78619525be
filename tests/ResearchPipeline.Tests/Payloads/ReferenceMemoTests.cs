using ResearchPipeline.Payloads;

namespace ResearchPipeline.Tests.Payloads;

public class ReferenceMemoTests
{
    [Test]
    public void A_table_whose_size_no_mask_can_fill_is_refused_when_it_is_made()
    {
        (string?, int)[]? slots = null;
        Assert.Throws<ArgumentOutOfRangeException>(() => ReferenceMemo.Get(ref slots, 48, "name", k => k.Length));
        Assert.That(slots, Is.Null);
    }

    [Test]
    public void A_string_is_answered_once_while_it_holds_its_slot_and_afresh_after_another_took_it()
    {
        (string?, int)[]? slots = null;
        var asked = 0;
        int Answer(string k) { asked++; return k.Length; }
        var name = new string('x', 5);
        Assert.That(ReferenceMemo.Get(ref slots, 1, name, Answer), Is.EqualTo(5));
        Assert.That(ReferenceMemo.Get(ref slots, 1, name, Answer), Is.EqualTo(5));
        Assert.That(asked, Is.EqualTo(1));
        // The same text in another string is asked afresh and answered the same.
        var other = new string('x', 5);
        Assert.That(ReferenceMemo.Get(ref slots, 1, other, Answer), Is.EqualTo(5));
        Assert.That(ReferenceMemo.Get(ref slots, 1, name, Answer), Is.EqualTo(5));
        Assert.That(asked, Is.EqualTo(3));
    }
}
