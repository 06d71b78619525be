using System.Net;
using ResearchPipeline.Captures;
using ResearchPipeline.Enrichment;
using ResearchPipeline.Reference;

namespace ResearchPipeline.Tests.Enrichment;

public class AsnRangesTests
{
    /// <summary>The rows as a CSV file of their own, in a folder of its own.</summary>
    private static string TableFile(string csv)
    {
        var path = Path.Combine(TestFiles.NewTempFolder(), "asn.csv");
        File.WriteAllText(path, csv);
        return path;
    }

    private static AsnRanges Load(string csv) => AsnRanges.Load([TableFile(csv)], "test@1");

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

    // Addresses on both sides of the Table's ranges, in both families, with and without an organisation.
    private static readonly string[] Probes =
        ["1.0.0.0", "1.0.1.7", "1.0.2.7", "1.0.255.255", "1.1.0.0", "2.0.0.9", "2a03:2880::", "2a03:2880:f10c:83:face:b00c::25de", "2a03:2881::1", "3.0.0.1", "0.0.0.0", "::"];

    private static void AssertSameTable(AsnRanges actual, AsnRanges expected, IEnumerable<string> probes)
    {
        foreach (var address in probes)
            Assert.That(actual.Find(IPAddress.Parse(address)), Is.EqualTo(expected.Find(IPAddress.Parse(address))), address);
        Assert.That((actual.RangeCount, actual.RowsRejected, actual.OverlappingRanges), Is.EqualTo((expected.RangeCount, expected.RowsRejected, expected.OverlappingRanges)));
    }

    [Test]
    public void A_table_kept_compiled_answers_as_the_files_it_was_read_from_and_is_read_back_without_them()
    {
        // Rows out of order, a rejected row, an overlap, a name with a quote and non-ASCII letters, a row with no name.
        var csv = TableFile(string.Join('\n', Table.Split('\n').Reverse()) + "\n3.0.0.0,3.0.0.255,64501,\"Télé \"\"Nord\"\", SA\"\n2c0f::,2c0f::ffff,64502,\n");
        var compiledFolder = Path.Combine(Path.GetDirectoryName(csv)!, "compiled");
        var fromFiles = AsnRanges.Load([csv], "test@1");

        using (var first = AsnRanges.Load([csv], "test@1", compiledFolder))
            AssertSameTable(first, fromFiles, Probes.Append("2c0f::9"));
        var path = AsnRanges.Compiled.PathFor([csv], compiledFolder);
        Assert.That(Directory.GetFiles(compiledFolder), Is.EqualTo(new[] { path }), "one compiled table, no temporary file left");

        // What the compiled file alone holds answers as the files did, and compiles to the same bytes.
        File.Move(csv, csv + ".gone");
        using var readBack = AsnRanges.Compiled.TryOpen(path, "test@1");
        Assert.That(readBack, Is.Not.Null);
        AssertSameTable(readBack!, fromFiles, Probes.Append("2c0f::9"));
        Assert.That(readBack!.Find(IPAddress.Parse("3.0.0.9"))!.Organisation, Is.EqualTo("Télé \"Nord\", SA"));
        var again = new MemoryStream();
        AsnRanges.Compiled.Write(readBack, again);
        Assert.That(again.ToArray(), Is.EqualTo(File.ReadAllBytes(path)));
    }

    [Test]
    public void An_edited_file_is_read_again_and_a_damaged_compiled_file_is_not_taken()
    {
        var csv = TableFile(Table);
        var folder = Path.GetDirectoryName(csv)!;
        var compiledFolder = Path.Combine(folder, "compiled");
        using (var first = AsnRanges.Load([csv], "test@1", compiledFolder))
            Assert.That(first.Find(IPAddress.Parse("2.0.0.9"))!.Asn, Is.EqualTo(4294967294u));

        // The compiled table is named by the files' bytes: an edited file is never answered from the table before it.
        // A run killed while it kept a table left its temporary file, which goes with the table before.
        File.WriteAllText(AsnRanges.Compiled.PathFor([csv], compiledFolder) + ".4242.1.tmp", "cut short");
        File.WriteAllText(csv, Table.Replace("4294967294,Last Private ASN", "64511,Edited Net"));
        using (var edited = AsnRanges.Load([csv], "test@1", compiledFolder))
            Assert.That(edited.Find(IPAddress.Parse("2.0.0.9")), Is.EqualTo(new AsnRangeAnswer(64511, "Edited Net", false)));
        Assert.That(Directory.GetFiles(compiledFolder), Is.EqualTo(new[] { AsnRanges.Compiled.PathFor([csv], compiledFolder) }), "the table of the edited file in place of the one before and the leftover");

        // A file cut short (a disk that filled) or with a byte changed is not a table: the files are read again and the
        // table kept whole.
        var path = AsnRanges.Compiled.PathFor([csv], compiledFolder);
        var whole = File.ReadAllBytes(path);
        var damaged = Path.Combine(folder, "damaged.bin");
        for (var at = 0; at < whole.Length; at += Math.Max(1, whole.Length / 13))
        {
            File.WriteAllBytes(damaged, whole[..at]);
            Assert.That(AsnRanges.Compiled.TryOpen(damaged, "test@1"), Is.Null, $"cut at {at} of {whole.Length}");
            var changed = whole.ToArray();
            changed[at] ^= 0x10;
            File.WriteAllBytes(damaged, changed);
            Assert.That(AsnRanges.Compiled.TryOpen(damaged, "test@1"), Is.Null, $"byte {at} of {whole.Length} changed");
        }
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        using (var again = AsnRanges.Load([csv], "test@1", compiledFolder))
            AssertSameTable(again, AsnRanges.Load([csv], "test@1"), Probes);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(whole));
    }

    [Test]
    public void A_compiled_table_found_whole_is_remembered_and_taken_without_a_second_check_while_its_file_is_as_it_was()
    {
        var csv = TableFile(Table);
        var folder = Path.GetDirectoryName(csv)!;
        var compiledFolder = Path.Combine(folder, "compiled");
        using (AsnRanges.Load([csv], "test@1", compiledFolder)) { }
        var path = AsnRanges.Compiled.PathFor([csv], compiledFolder);
        var whole = File.ReadAllBytes(path);

        // Found whole, the table's file is remembered by its sha256, as the reference files are.
        var digests = RememberedDigests.In(folder);
        digests.Settled = TimeSpan.Zero;
        using (var found = AsnRanges.Compiled.TryOpen(path, "test@1", digests)) Assert.That(found, Is.Not.Null);
        digests.Save();
        var entry = $"{FileHash.Sha256Hex(path)}\t{FileIdentity.Of(path)!.Text}\t{Path.GetRelativePath(folder, path)}";
        Assert.That(File.ReadAllLines(Path.Combine(folder, RememberedDigests.FileName)), Does.Contain(entry));

        // A remembered table is not read whole to be checked again. Shown with a file whose last organisation name has a
        // byte changed (its trailer no longer agrees), remembered as it is now: taken, where a check would refuse it.
        var changed = whole.ToArray();
        changed[^(32 + 8 + 1)] ^= 0x01;
        File.WriteAllBytes(path, changed);
        File.WriteAllText(Path.Combine(folder, RememberedDigests.FileName), $"{new string('0', 64)}\t{FileIdentity.Of(path)!.Text}\t{Path.GetRelativePath(folder, path)}\n");
        Assert.That(AsnRanges.Compiled.TryOpen(path, "test@1"), Is.Null, "checked, the changed file is refused");
        using (var taken = AsnRanges.Compiled.TryOpen(path, "test@1", RememberedDigests.In(folder))) Assert.That(taken, Is.Not.Null);

        // Written again (another identity), the file is checked again: refused, and the table read from its files and kept whole.
        File.WriteAllBytes(path, changed);
        Assert.That(AsnRanges.Compiled.TryOpen(path, "test@1", RememberedDigests.In(folder)), Is.Null);
        using (var again = AsnRanges.Load([csv], "test@1", compiledFolder, RememberedDigests.In(folder)))
            AssertSameTable(again, AsnRanges.Load([csv], "test@1"), Probes);
        Assert.That(File.ReadAllBytes(path), Is.EqualTo(whole));
    }

    [Test]
    public void A_folder_the_table_cannot_be_kept_in_only_means_the_files_are_read_each_time()
    {
        // A read-only copy of the reference data: here a "folder" that is a file, which no run can create.
        var csv = TableFile(Table);
        var folder = Path.GetDirectoryName(csv)!;
        var notAFolder = Path.Combine(folder, "compiled");
        File.WriteAllText(notAFolder, "a file");
        using var ranges = AsnRanges.Load([csv], "test@1", notAFolder);
        AssertSameTable(ranges, AsnRanges.Load([csv], "test@1"), Probes);
        Assert.That(Directory.GetFiles(folder).Select(Path.GetFileName), Is.EquivalentTo(new[] { "asn.csv", "compiled" }), "no temporary file left");
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

        // Compiled and read back (as a run keeps it under the external folder), the table answers as the files do
        // for addresses spread over both families.
        var path = Path.Combine(TestFiles.NewTempFolder(), "asn-ranges.bin");
        using (var file = File.Create(path)) AsnRanges.Compiled.Write(ranges, file);
        using var compiled = AsnRanges.Compiled.TryOpen(path, "real");
        var random = new Random(20201);
        var probes = Enumerable.Range(0, 4000).Select(i =>
        {
            var bytes = new byte[i % 4 == 0 ? 16 : 4];
            random.NextBytes(bytes);
            if (bytes.Length == 16) bytes[0] = (byte)(0x20 | (bytes[0] & 0x0f));
            return new IPAddress(bytes).ToString();
        }).ToList();
        Assert.That(probes.Count(p => ranges.Find(IPAddress.Parse(p)) is not null), Is.GreaterThan(2000), "most probes fall in a range");
        AssertSameTable(compiled!, ranges, probes.Append("157.240.212.16"));
    }
}
