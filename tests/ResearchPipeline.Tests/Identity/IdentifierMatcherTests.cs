using System.Collections.Immutable;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Run;
using ResearchPipeline.Identity;
using ResearchPipeline.Tests.Captures;
using ResearchPipeline.Tests.Cli;
using ResearchPipeline.Tests.Dataset;
using ResearchPipeline.Payloads;

using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Identity;

public class IdentifierMatcherTests
{
    private const string Email = "test.user@example.com";

    private static IdentifierMatcher Matcher(params (string Kind, string Value)[] values) =>
        new(new DeviceProfile("d", [.. values.Select(v => new KnownValue(v.Kind, v.Value))]), ReadLimits.Default);

    private static Exchange Post(string body, string contentType = "application/x-www-form-urlencoded", string? contentEncoding = null, byte[]? bytes = null) => new()
    {
        Ordinal = 0,
        Method = "POST",
        Target = RequestTarget.TryParse("https://tracker.example/collect")!,
        RequestHeaders = contentEncoding is null
            ? [new HttpHeader("Content-Type", contentType)]
            : [new HttpHeader("Content-Type", contentType), new HttpHeader("Content-Encoding", contentEncoding)],
        RequestBody = bytes ?? Encoding.UTF8.GetBytes(body),
    };

    private static List<string> Found(IdentifierMatcher m, Exchange e) =>
        m.Find(e).Select(x => $"{x.Identity} {x.Location} {x.KeyPath} {x.Transform}").ToList();

    private static string Hex(byte[] digest) => Convert.ToHexStringLower(digest);

    [Test]
    public void The_email_is_found_in_each_transform_and_the_transform_is_named()
    {
        var m = Matcher((IdentityKinds.Email, Email));
        var bytes = Encoding.UTF8.GetBytes(Email);
        var b64 = Convert.ToBase64String(bytes);
        var cases = new Dictionary<string, string>
        {
            ["plain"] = Email,
            ["upper"] = Email.ToUpperInvariant(),
            ["url"] = Uri.EscapeDataString(Email),
            ["base64"] = b64,
            ["md5"] = Hex(MD5.HashData(bytes)),
            ["sha1"] = Hex(SHA1.HashData(bytes)),
            ["sha256"] = Hex(SHA256.HashData(bytes)),
            ["sha256>upper"] = Hex(SHA256.HashData(bytes)).ToUpperInvariant(),
            ["sha256_base64"] = Convert.ToBase64String(SHA256.HashData(bytes)),
        };
        foreach (var (transform, sent) in cases)
            Assert.That(Found(m, Post("v=1&em=" + sent + "&x=2")), Is.EqualTo(new[] { $"email body em {transform}" }), transform);
    }

    [Test]
    public void Hashes_are_of_the_normalised_email_and_phone()
    {
        var m = Matcher((IdentityKinds.Email, "  Test.User@Example.COM "), (IdentityKinds.Phone, "+46 (70) 123-45 67"));
        var email = Hex(SHA256.HashData(Encoding.UTF8.GetBytes(Email)));
        var phone = Hex(SHA256.HashData("46701234567"u8.ToArray()));
        Assert.That(Found(m, Post($"{{\"ud\":{{\"em\":\"{email}\",\"ph\":\"{phone}\"}}}}", "application/json")),
            Is.EqualTo(new[] { "email body ud.em sha256", "phone body ud.ph sha256" }));
    }

    [Test]
    public void An_advertising_id_is_found_without_dashes_in_upper_case_and_as_URL_safe_base64()
    {
        const string id = "38400000-8cf0-11bd-b23e-10b96e40000d";
        var m = Matcher((IdentityKinds.AdvertisingId, id));
        var b64Url = Convert.ToBase64String(Encoding.UTF8.GetBytes(id)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        Assert.That(Found(m, Post($"a={id.Replace("-", "").ToUpperInvariant()}&b={id.ToUpperInvariant()}&c={b64Url}")),
            Is.EqualTo(new[] { "advertising_id body a no_dashes>upper", "advertising_id body b upper", "advertising_id body c base64" }));
    }

    [Test]
    public void A_gzip_body_is_searched_after_undoing_the_coding()
    {
        var m = Matcher((IdentityKinds.Email, Email));
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal)) gzip.Write(Encoding.UTF8.GetBytes("{\"user\":{\"mail\":\"" + Email + "\"}}"));
        Assert.That(Found(m, Post("", "application/json", "gzip", buffer.ToArray())), Is.EqualTo(new[] { "email body user.mail gzip>plain" }));
    }

    [Test]
    public void A_decompression_bomb_is_not_expanded_past_the_body_limit()
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(new byte[10_000_000]);
        Assert.That(buffer.Length, Is.LessThan(20_000));
        DecodeLimits Cap(long bytes) => DecodeLimits.Default with { MaxBodyBytes = bytes, RatioFreeBytes = bytes };
        Assert.That(ContentDecoding.Decode(buffer.ToArray(), "gzip", Cap(1_000_000)).Problem, Does.Contain("exceeds the cap"));
        Assert.That(ContentDecoding.Decode(buffer.ToArray(), "gzip", Cap(20_000_000)).Body.Length, Is.EqualTo(10_000_000));
        // A view built with the run's limits (ratio 250) does not inflate it: identify searches the raw bytes only.
        var view = RequestView.Of(Post("", "application/json", "gzip", buffer.ToArray()), DecodeLimits.Default);
        Assert.That((view.CodingFailed, view.Body.Length), Is.EqualTo((true, (int)buffer.Length)));
    }

    [Test]
    public void A_short_value_counts_only_where_it_stands_alone()
    {
        var m = Matcher((IdentityKinds.OsVersion, "11"));
        // Digits and letters around it make another value; a dot does not (11.2 is an Android 11 release).
        Assert.That(Found(m, Post("build=1180&ts=171922110511&v=11.2")), Is.EqualTo(new[] { "os_version body v plain" }));
        Assert.That(Found(m, Post("os=11&build=1180")), Is.EqualTo(new[] { "os_version body os plain" }));
        Assert.That(Found(m, Post("e=%5B%2211%22%5D")), Is.EqualTo(new[] { "os_version body e[0] plain" }), "after a %22 escape");
    }

    [Test]
    public void Values_in_headers_cookies_and_the_query_are_named_by_header_cookie_and_parameter()
    {
        const string id = "38400000-8cf0-11bd-b23e-10b96e40000d";
        var m = Matcher((IdentityKinds.AdvertisingId, id));
        var e = new Exchange
        {
            Ordinal = 3,
            Method = "GET",
            Target = RequestTarget.TryParse($"https://ads.example/v1?gaid={id}&n=1")!,
            RequestHeaders = [new HttpHeader("X-Device-Ad-Id", id), new HttpHeader("Cookie", $"a=1; ad={id}")],
        };
        Assert.That(Found(m, e), Is.EqualTo(new[]
        {
            "advertising_id cookie ad plain", "advertising_id header x-device-ad-id plain", "advertising_id query gaid plain",
        }));
        Assert.That(m.Find(e).Select(x => (x.Ordinal, x.Host)).Distinct(), Is.EqualTo(new[] { (3, "ads.example") }));
    }

    /// <summary>The bytes say the form field extinfo; decode reads its JSON array, and the match names the item as payload_fields does.</summary>
    [Test]
    public void The_time_zone_is_found_JSON_escaped_inside_a_form_field_and_named_by_the_item_decode_publishes()
    {
        var m = Matcher((IdentityKinds.TimeZone, "Europe/Berlin"));
        var e = Post("extinfo=%5B%22a2%22%2C%22Europe%5C%2FBerlin%22%5D&x=1");
        Assert.That(Found(m, e), Is.EqualTo(new[] { "time_zone body extinfo[1] json_escaped>url" }));
        Assert.That(OneReading.Decode(e, DecodeLimits.Default).Fields.Select(f => (f.KeyPath, f.Value)), Does.Contain(("extinfo[1]", "Europe/Berlin")));
    }

    /// <summary>A header value searched in vain is remembered for the device whose values were searched for, not for another's.</summary>
    [Test]
    public void A_header_value_one_device_does_not_hold_is_still_searched_for_another_device()
    {
        const string id = "38400000-8cf0-11bd-b23e-10b96e40000d";
        var header = new HttpHeader("X-Device-Ad-Id", id);
        Exchange Request(int ordinal) => new()
        {
            Ordinal = ordinal,
            Method = "GET",
            Target = RequestTarget.TryParse("https://ads.example/v1")!,
            RequestHeaders = [header],
        };
        var other = Matcher((IdentityKinds.AdvertisingId, "6f1c2d3e-0000-4000-8000-0123456789ab"));
        var device = Matcher((IdentityKinds.AdvertisingId, id));
        Assert.That(Found(other, Request(0)), Is.Empty);
        Assert.That(Found(other, Request(1)), Is.Empty);
        Assert.That(Found(device, Request(2)), Is.EqualTo(new[] { "advertising_id header x-device-ad-id plain" }), "the same string, another device");
        Assert.That(Found(device, Request(3)), Is.EqualTo(new[] { "advertising_id header x-device-ad-id plain" }), "found again in the next request");
    }

    [Test]
    public void A_header_is_named_in_lower_case_as_payload_fields_names_it_and_pseudo_headers_are_not_searched()
    {
        const string id = "38400000-8cf0-11bd-b23e-10b96e40000d";
        var m = Matcher((IdentityKinds.AdvertisingId, id));
        var e = new Exchange
        {
            Ordinal = 0,
            Method = "GET",
            Target = RequestTarget.TryParse($"https://ads.example/v1?gaid={id}")!,
            RequestHeaders = [new HttpHeader(":path", $"/v1?gaid={id}"), new HttpHeader("X-Ad-Id", id)],
        };
        Assert.That(Found(m, e), Is.EqualTo(new[] { "advertising_id header x-ad-id plain", "advertising_id query gaid plain" }));
    }

    /// <summary>RFC 6265bis 5.4: a cookie piece without '=' is a value with an empty name; decode and identify both read it so.</summary>
    [Test]
    public void A_cookie_without_equals_is_a_nameless_value_for_decode_and_identify_alike()
    {
        const string id = "38400000-8cf0-11bd-b23e-10b96e40000d";
        var m = Matcher((IdentityKinds.AdvertisingId, id));
        var e = new Exchange
        {
            Ordinal = 0,
            Method = "GET",
            Target = RequestTarget.TryParse("https://ads.example/v1")!,
            RequestHeaders = [new HttpHeader("Cookie", $"a=1; {id}")],
        };
        Assert.That(Found(m, e), Is.EqualTo(new[] { "advertising_id cookie [\"\"] plain" }));
        Assert.That(OneReading.Decode(e, DecodeLimits.Default).Fields.Where(f => f.Location == PayloadLocation.Cookie).Select(f => (f.KeyPath, f.Value)),
            Is.EqualTo(new[] { ("a", "1"), ("[\"\"]", id) }), "the bare value is the value, never a published name");
    }

    [Test]
    public void JSON_key_paths_name_array_indexes_and_nested_keys()
    {
        var json = "{\"custom_events\":[{\"_eventName\":\"a\"},{\"_eventName\":\"b\",\"u\":{\"m\":\"sdk_gphone_x86_64\"}}],\"x\":[1,\"sdk_gphone_x86_64\"]}";
        var m = Matcher((IdentityKinds.Model, "sdk_gphone_x86_64"));
        Assert.That(Found(m, Post(json, "application/json")), Is.EqualTo(new[] { "model body custom_events[1].u.m plain", "model body x[1] plain" }));
    }

    [Test]
    public void Needles_are_alike_when_they_find_the_same_bytes_by_the_same_letter_case_rule()
    {
        var same = Needle<string>.SamePattern;
        var needle = new Needle<string>("abc123"u8.ToArray(), true, "one");
        var copy = new Needle<string>("abc123"u8.ToArray(), true, "another tag");
        Assert.That(same.Equals(needle, copy), Is.True, "the tag is not what a needle finds");
        Assert.That(same.GetHashCode(needle), Is.EqualTo(same.GetHashCode(copy)));
        Assert.That(same.Equals(needle, needle with { IgnoreCase = false }), Is.False);
        Assert.That(same.Equals(needle, needle with { Pattern = "abc124"u8.ToArray() }), Is.False);
        Assert.That(same.Equals(needle, needle with { Pattern = "abc12"u8.ToArray() }), Is.False);
        var kept = new[] { needle, copy, needle with { IgnoreCase = false }, copy with { Tag = "third" } }.Distinct(same).Select(n => (n.Tag, n.IgnoreCase));
        Assert.That(kept, Is.EqualTo(new[] { ("one", true), ("one", false) }), "the first of each, in order");
    }

    // All states with a full row (a device's values), only the root with one (a study's many secrets), and the states
    // nearest the root with one, a search passing between the two kinds.
    [TestCase(16L << 20)]
    [TestCase(0L)]
    [TestCase(4096L)]
    public void One_pass_search_finds_what_a_search_per_needle_finds(long denseBudgetBytes)
    {
        var random = new Random(20240624);
        var alphabet = "abcAB-_012%=&"u8.ToArray();
        byte[] Text(int n) => Enumerable.Range(0, n).Select(_ => alphabet[random.Next(alphabet.Length)]).ToArray();
        var needles = Enumerable.Range(0, 60).Select(i => new Needle<int>(Text(random.Next(1, 6)), i % 3 == 0, i)).ToList();
        var search = new NeedleSearch<int>(needles, denseBudgetBytes);
        var allDense = new NeedleSearch<int>(needles);
        for (var round = 0; round < 50; round++)
        {
            var hay = Text(2000);
            var hits = new List<NeedleHit>();
            search.Search(hay, hits);
            Assert.That(hits.Select(h => (h.Start, h.Needle)).Order(), Is.EqualTo(SearchPerNeedle(needles, hay)));
            var denseHits = new List<NeedleHit>();
            allDense.Search(hay, denseHits);
            Assert.That(hits, Is.EqualTo(denseHits), "the same hits in the same order");
        }
    }

    // Needles over nearly every byte value: rows of some 230 entries, from whose offsets the search works out the
    // state that ends a needle, and needles planted in the text so that the long ones are found too.
    [TestCase(16L << 20)]
    [TestCase(65536L)]
    public void One_pass_search_over_needles_of_any_bytes_finds_what_a_search_per_needle_finds(long denseBudgetBytes)
    {
        var random = new Random(20261206);
        byte[] Bytes(int n)
        {
            var bytes = new byte[n];
            random.NextBytes(bytes);
            return bytes;
        }
        var needles = Enumerable.Range(0, 400).Select(i => new Needle<int>(Bytes(random.Next(1, 9)), i % 4 == 0, i)).ToList();
        var search = new NeedleSearch<int>(needles, denseBudgetBytes);
        for (var round = 0; round < 20; round++)
        {
            var hay = Bytes(4000);
            for (var k = 0; k < 40; k++)
            {
                var planted = needles[random.Next(needles.Count)].Pattern;
                planted.CopyTo(hay, random.Next(hay.Length - planted.Length));
            }
            var hits = new List<NeedleHit>();
            search.Search(hay, hits);
            var expected = SearchPerNeedle(needles, hay);
            Assert.That(expected.Count(e => needles[e.Needle].Pattern.Length >= 4), Is.GreaterThan(10), "long needles are found, not only single bytes");
            Assert.That(hits.Select(h => (h.Start, h.Needle)).Order(), Is.EqualTo(expected));
        }
    }

    /// <summary>Where each needle occurs, looked for at every offset in turn (ASCII letters folded for a needle that ignores case), in order.</summary>
    private static List<(int Start, int Needle)> SearchPerNeedle(List<Needle<int>> needles, byte[] hay)
    {
        static byte Fold(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
        var found = new List<(int Start, int Needle)>();
        for (var n = 0; n < needles.Count; n++)
        {
            var p = needles[n].Pattern;
            for (var i = 0; i + p.Length <= hay.Length; i++)
            {
                var equal = true;
                for (var j = 0; j < p.Length && equal; j++) equal = needles[n].IgnoreCase ? Fold(hay[i + j]) == Fold(p[j]) : hay[i + j] == p[j];
                if (equal) found.Add((i, n));
            }
        }
        return [.. found.Order()];
    }

    [Test]
    public void Devices_csv_gives_the_capture_its_device_and_the_only_device_when_apps_csv_names_none()
    {
        var raw = TestFiles.NewTempFolder("raw");
        File.WriteAllText(Path.Combine(raw, "devices.csv"), "device_id,advertising_id,model,notes\npixel,38400000-8cf0-11bd-b23e-10b96e40000d,Pixel 7,lab phone\nemu,,sdk_gphone_x86_64,\n");
        var devices = DevicesCatalog.Load(raw);
        Assert.That(devices.Devices.Select(d => d.DeviceId), Is.EqualTo(new[] { "pixel", "emu" }));
        Assert.That(devices.For("emu")!.Values, Is.EqualTo(ImmutableArray.Create(new KnownValue(IdentityKinds.Model, "sdk_gphone_x86_64"))));
        Assert.That(devices.For(null), Is.Null, "two devices and none named");
        Assert.That(devices.For("other"), Is.Null);
        File.WriteAllText(Path.Combine(raw, "devices.csv"), "device_id,model\nonly,Pixel 7\n");
        Assert.That(DevicesCatalog.Load(raw).For(null)!.DeviceId, Is.EqualTo("only"));
    }

    /// <summary>The advertising ID quizduel's Facebook SDK sends, read from the capture itself (decoded /activities form bodies).</summary>
    private static string QuizduelAdvertisingId(string har)
    {
        var ids = new HashSet<string>();
        foreach (var e in HarReaderTests.ReadAll(har).OfType<ExchangeRead>().Select(r => r.Exchange).Where(e => e.Target.Path.EndsWith("/activities")))
        {
            var body = ContentDecoding.Decode(e.RequestBody, e.RequestHeader("Content-Encoding"), DecodeLimits.From(ReadLimits.Default)).Body.ToArray();
            foreach (var pair in Encoding.UTF8.GetString(body).Split('&'))
            {
                if (pair.StartsWith("advertiser_id=", StringComparison.Ordinal)) ids.Add(Uri.UnescapeDataString(pair["advertiser_id=".Length..]));
            }
        }
        Assert.That(ids, Has.Count.EqualTo(1), "one advertising ID in the capture");
        return ids.Single();
    }

    [Test]
    public async Task Quizduel_every_request_carrying_the_advertising_ID_is_matched_and_the_ID_is_published_nowhere()
    {
        var har = TestFiles.Capture("har/quizduel-android.har");
        var adId = QuizduelAdvertisingId(har);
        var raw = TestFiles.NewTempFolder("raw");
        Directory.CreateDirectory(Path.Combine(raw, "quizduel"));
        File.Copy(har, Path.Combine(raw, "quizduel", "session1.har"));
        File.WriteAllText(Path.Combine(raw, "apps.csv"), "capture,app_id,platform,device_id\nquizduel,se.maginteractive.quizduel2,android,emulator-1\n");
        File.WriteAllText(Path.Combine(raw, "devices.csv"), $"device_id,advertising_id\nemulator-1,{adId}\n");
        var output = TestFiles.NewTempFolder("out");
        var summary = await new StudyRunner(new SilentProgress()).RunAsync(new RunOptions(raw, output, 2, ReadLimits.Default));
        Assert.That(summary.Leaks, Is.Empty);

        // Which requests carry it, found independently: the raw ID (any case) in the URL, a header, or the (decoded) body.
        var carrying = new List<int>();
        foreach (var e in HarReaderTests.ReadAll(har).OfType<ExchangeRead>().Select(r => r.Exchange))
        {
            var body = ContentDecoding.Decode(e.RequestBody, null, DecodeLimits.From(ReadLimits.Default)).Body.ToArray();
            var text = e.Target.Url + string.Join("\n", e.RequestHeaders.Select(h => h.Value)) + Encoding.UTF8.GetString(body);
            if (text.Contains(adId, StringComparison.OrdinalIgnoreCase)) carrying.Add(e.Ordinal);
        }
        Assert.That(carrying, Has.Count.EqualTo(3), "the three /activities posts");

        using var db = StudyRunnerTests.OpenDuckDb();
        var matched = StudyRunnerTests.Query(db, $"select distinct m.exchange_id, x.ordinal, m.location, m.key_path, m.transform, m.host, m.app_id from read_parquet('{output}/identifier_matches.parquet') m join read_parquet('{output}/exchanges.parquet') x using (exchange_id) where identity = 'advertising_id' order by x.ordinal");
        Assert.That(matched.Select(r => Convert.ToInt32(r[1])), Is.EqualTo(carrying));
        Assert.That(matched.Select(r => $"{r[2]} {r[3]} {r[4]} {r[5]} {r[6]}").Distinct(), Is.EqualTo(new[] { "body advertiser_id plain graph.facebook.com se.maginteractive.quizduel2" }));

        Assert.That(PublishedFiles.WhereIs(output, adId), Is.Empty);
        Assert.That(PublishedFiles.WhereIs(output, adId.Replace("-", "")), Is.Empty);
        foreach (var file in Directory.GetFiles(output))
            Assert.That(Encoding.Latin1.GetString(File.ReadAllBytes(file)), Does.Not.Contain(adId), Path.GetFileName(file));
    }
}
