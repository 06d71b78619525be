using System.Net;
using ResearchPipeline.Enrichment;

namespace ResearchPipeline.Tests.Enrichment;

public class AsnRangesTests
{
    private static AsnRanges Load(string csv)
    {
        var path = Path.Combine(TestFiles.NewTempFolder(), "asn.csv");
        File.WriteAllText(path, csv);
        return AsnRanges.Load([path], "test@1");
    }

    // Rows as ip-location-db writes them: no header, start, end, AS number, organisation (quoted when it has a comma).
    private const string Table = """
        1.0.0.0,1.0.255.255,13335,"Cloudflare, Inc."
        1.0.1.0,1.0.1.255,64500,Narrower Net
        2.0.0.0,2.0.0.255,4294967294,Last Private ASN
        2a03:2880::,2a03:2880:ffff:ffff:ffff:ffff:ffff:ffff,32934,"Facebook, Inc."
        not-an-ip,1.2.3.4,1,Broken
        """;

    [Test]
    public void Narrowest_of_overlapping_ranges_answers_and_the_overlap_is_flagged()
    {
        var ranges = Load(Table);
        Assert.That(ranges.Find(IPAddress.Parse("1.0.1.7")), Is.EqualTo(new AsnRangeAnswer(64500, "Narrower Net", true)));
        Assert.That(ranges.Find(IPAddress.Parse("1.0.2.7")), Is.EqualTo(new AsnRangeAnswer(13335, "Cloudflare, Inc.", false)));
        Assert.That(ranges.OverlappingRanges, Is.EqualTo(1));
    }

    [Test]
    public void AS_numbers_beyond_int32_and_IPv6_ranges_are_kept()
    {
        var ranges = Load(Table);
        Assert.That(ranges.Find(IPAddress.Parse("2.0.0.9"))!.Asn, Is.EqualTo(4294967294u));
        Assert.That(ranges.Find(IPAddress.Parse("2a03:2880:f10c:83:face:b00c::25de"))!.Organisation, Is.EqualTo("Facebook, Inc."));
        Assert.That(ranges.Find(IPAddress.Parse("3.0.0.1")), Is.Null);
        Assert.That(ranges.RowsRejected, Is.EqualTo(1));
    }

    [Test]
    public void Organisations_are_read_as_text_whatever_their_quoting_and_script()
    {
        // A quoted field with an escaped quote and non-ASCII letters; the same name on two rows is one string.
        var ranges = Load(Table + "\n3.0.0.0,3.0.0.255,64501,\"Télé \"\"Nord\"\", SA\"\n3.0.1.0,3.0.1.255,64501,\"Télé \"\"Nord\"\", SA\"\n");
        var first = ranges.Find(IPAddress.Parse("3.0.0.9"))!.Organisation;
        var second = ranges.Find(IPAddress.Parse("3.0.1.9"))!.Organisation;
        Assert.That(first, Is.EqualTo("Télé \"Nord\", SA"));
        Assert.That(second, Is.SameAs(first));
    }

    [Test]
    public void Rows_out_of_order_give_the_answers_of_the_same_rows_in_order()
    {
        // The published files are sorted by range start, and a sorted table is taken as it is: one that is not gets sorted.
        var lines = Table.Split('\n');
        var shuffled = Load(string.Join('\n', lines.Reverse()));
        var ordered = Load(Table);
        foreach (var address in new[] { "1.0.1.7", "1.0.2.7", "2.0.0.9", "2a03:2880:f10c:83:face:b00c::25de", "3.0.0.1" })
            Assert.That(shuffled.Find(IPAddress.Parse(address)), Is.EqualTo(ordered.Find(IPAddress.Parse(address))), address);
        Assert.That(shuffled.OverlappingRanges, Is.EqualTo(ordered.OverlappingRanges));
    }

    [Test]
    public void Addresses_are_read_as_IPAddress_reads_them_in_every_form_it_allows()
    {
        // Plain dotted quads are read without IPAddress; a leading zero (octal to it), hexadecimal, fewer parts, a
        // part too large or stray text must still mean what it means to IPAddress.
        string[] starts = ["10.0.0.0", "010.0.0.0", "0x0b.0.0.0", "12.1", "13.0.0.0.0", "256.0.0.0", "14.0.0.0 ", "15.00.0.0", "0.0.0.0", "::ffff:16.0.0.0"];
        var csv = string.Join('\n', starts.Select((s, i) => $"{s},{s},{64600 + i},Org {i}"));
        var ranges = Load(csv);
        var accepted = 0;
        for (var i = 0; i < starts.Length; i++)
        {
            var text = starts[i];
            if (!IPAddress.TryParse(text, out var address))
            {
                continue;
            }
            accepted++;
            if (address.IsIPv4MappedToIPv6) continue;
            Assert.That(ranges.Find(address), Is.EqualTo(new AsnRangeAnswer((uint)(64600 + i), $"Org {i}", false)), text);
        }
        Assert.That(ranges.RowsRejected, Is.EqualTo(starts.Length - accepted));
        Assert.That(ranges.Find(IPAddress.Parse("8.0.0.0"))!.Asn, Is.EqualTo(64601u), "010 is octal 8");
    }

    [Test]
    public void IPv6_addresses_are_read_as_IPAddress_reads_them_in_every_form_it_allows()
    {
        // Groups and one "::" are read without IPAddress; "::" for a single group, an IPv4 tail, a zone, a group of
        // five digits, two "::" or a stray colon must still mean what they mean to IPAddress.
        string[] starts =
        [
            "2001:db8::", "2001:DB8:0:0:0:0:0:1", "::", "::1", "2001:db8:1::", "2001:db8:2:0:0:0:0:0", "fe80::1:2:3:4:5",
            "2001:db8:3:4:5:6:7::", "::ffff:10.0.0.1", "fe80::1%3", "2001:db8:00000::", "2001::db8::1", "2001:db8:", ":2001:db8::",
            "2001:db8:4:5:6:7:8:9:a", "2001:db8:5:0:0:0:0",
        ];
        var csv = string.Join('\n', starts.Select((s, i) => $"{s},{s},{64700 + i},Org {i}"));
        var ranges = Load(csv);
        var accepted = 0;
        for (var i = 0; i < starts.Length; i++)
        {
            if (!IPAddress.TryParse(starts[i], out var address)) continue;
            accepted++;
            if (address.IsIPv4MappedToIPv6) continue;
            Assert.That(ranges.Find(address), Is.EqualTo(new AsnRangeAnswer((uint)(64700 + i), $"Org {i}", false)), starts[i]);
        }
        Assert.That(ranges.RowsRejected, Is.EqualTo(starts.Length - accepted));
    }

    [Test]
    public void A_table_in_several_files_answers_as_the_same_rows_in_one_file()
    {
        // The files are read side by side; each file's organisations are numbered on from the files before it.
        var folder = TestFiles.NewTempFolder();
        var lines = Table.Split('\n');
        var first = Path.Combine(folder, "a.csv");
        var second = Path.Combine(folder, "b.csv");
        File.WriteAllLines(first, lines[..2]);
        File.WriteAllLines(second, [.. lines[2..], "3.0.0.0,3.0.0.255,64501,Third Net", "2c0f::,2c0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff,64502,"]);
        var split = AsnRanges.Load([first, second], "test@1");
        var whole = Load(Table + "\n3.0.0.0,3.0.0.255,64501,Third Net\n2c0f::,2c0f:ffff:ffff:ffff:ffff:ffff:ffff:ffff,64502,");
        foreach (var address in new[] { "1.0.1.7", "1.0.2.7", "2.0.0.9", "2a03:2880:f10c:83:face:b00c::25de", "3.0.0.1", "2c0f::9", "4.0.0.1" })
            Assert.That(split.Find(IPAddress.Parse(address)), Is.EqualTo(whole.Find(IPAddress.Parse(address))), address);
        Assert.That(split.Find(IPAddress.Parse("3.0.0.1"))!.Organisation, Is.EqualTo("Third Net"));
        Assert.That(split.Find(IPAddress.Parse("2c0f::9")), Is.EqualTo(new AsnRangeAnswer(64502, null, false)));
        Assert.That((split.RangeCount, split.RowsRejected, split.OverlappingRanges), Is.EqualTo((whole.RangeCount, whole.RowsRejected, whole.OverlappingRanges)));
    }

    [Test]
    public void A_file_that_cannot_be_read_fails_the_load_as_itself()
    {
        // Read side by side with the others, it still fails as a file read alone would: not wrapped in an AggregateException.
        var folder = TestFiles.NewTempFolder();
        var present = Path.Combine(folder, "a.csv");
        File.WriteAllText(present, Table);
        var missing = Path.Combine(folder, "b.csv");
        var thrown = Assert.Throws<FileNotFoundException>(() => AsnRanges.Load([present, missing], "test@1"));
        Assert.That(thrown!.FileName, Is.EqualTo(missing));
    }

    [Test]
    public void Real_table_reads_every_row_and_answers_Facebook_for_its_address()
    {
        ReferenceData.RequireFetched();
        var files = ReferenceData.Lock.WithRole("asn-ranges").Select(a => a.PathUnder(ReferenceData.ExternalFolder));
        var ranges = AsnRanges.Load(files, "real");
        // Row counts measured on the pinned package (the @ip-location-db/asn package the lock file pins): 411,961 IPv4 and 103,197 IPv6.
        Assert.That(ranges.RangeCount + ranges.RowsRejected, Is.EqualTo(411_961 + 103_197));
        Assert.That(ranges.Find(IPAddress.Parse("157.240.212.16"))!.Asn, Is.EqualTo(32934u));
    }
}
