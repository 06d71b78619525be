using System.Text;
using ResearchPipeline.Payloads;
using static ResearchPipeline.Tests.Payloads.Requests;

namespace ResearchPipeline.Tests.Payloads;

public class RequestDecoderTests
{
    private static DecodedRequest Decode(ResearchPipeline.Captures.Exchange e, DecodeLimits? limits = null) => OneReading.Decode(e, limits ?? DecodeLimits.Default);

    private static List<(string Key, string? Value)> Body(DecodedRequest d) =>
        d.Fields.Where(f => f.Location == PayloadLocation.Body).Select(f => (f.KeyPath, f.Value)).ToList();

    [Test]
    public void Form_keeps_repeated_and_indexed_keys_skips_trailing_ampersand_reads_plus_as_space_and_keeps_malformed_percent()
    {
        var d = Decode(Make("POST", "https://x.test/p", Utf8("a=1&a=2&dpo[0]=LDU&dpo[1]=X&name=hello+world&bad=100%&odd=%zz%41&"), ("Content-Type", "application/x-www-form-urlencoded")));
        Assert.That(Body(d), Is.EqualTo(new (string, string?)[]
        {
            ("a", "1"), ("a", "2"), ("dpo[0]", "LDU"), ("dpo[1]", "X"), ("name", "hello world"), ("bad", "100%"), ("odd", "%zzA"),
        }));
        Assert.That(d.Fields.Where(f => f.Location == PayloadLocation.Body).Select(f => f.Transforms).Distinct(), Is.EqualTo(new[] { "form" }));
        Assert.That(d.Problems, Is.Empty);
    }

    [Test]
    public void Query_parameters_are_fields_at_location_query()
    {
        var d = Decode(Make("GET", "https://x.test/p?fields=a%2Cb&advertiser_id=AB-1"));
        Assert.That(d.Fields.Select(f => (f.Location, f.KeyPath, f.Value)), Is.EqualTo(new[]
        {
            (PayloadLocation.Query, "fields", "a,b"), (PayloadLocation.Query, "advertiser_id", "AB-1"),
        }));
    }

    /// <summary>charles.har sends <c>https://mitmproxy.org/?=</c>: an empty key was an empty key path, which payload_fields cannot hold (the run failed).</summary>
    [Test]
    public void An_empty_key_and_a_scalar_JSON_body_have_key_paths_never_empty()
    {
        var d = Decode(Make("POST", "https://x.test/p?=&a=1", Utf8("\"just text\""), ("Content-Type", "application/json")));
        Assert.That(d.Fields.Where(f => f.Location != PayloadLocation.Header).Select(f => (f.Location, f.KeyPath, f.Value)), Is.EqualTo(new[]
        {
            (PayloadLocation.Query, "[\"\"]", ""), (PayloadLocation.Query, "a", "1"), (PayloadLocation.Body, PayloadField.WholeBody, "just text"),
        }));
    }

    [Test]
    public void The_empty_query_key_of_a_real_capture_is_published()
    {
        var outcome = ResearchPipeline.Run.CaptureParse.Run(new ResearchPipeline.Study.CaptureFile(TestFiles.Capture("har/charles.har"), "shared/charles.har", "shared", 1),
            ResearchPipeline.Study.AppsCatalog.Empty, ResearchPipeline.Captures.CaptureFormats.All, ResearchPipeline.Captures.ReadLimits.Default);
        Assert.That(outcome.Payloads.Where(p => p.ExchangeOrdinal == 0 && p.Location == "query").Select(p => p.KeyPath), Is.EqualTo(new[] { "[\"\"]" }));
        Assert.That(outcome.Payloads.Select(p => p.KeyPath), Has.None.Empty);
    }

    [Test]
    public void Gzip_body_named_by_its_header_is_inflated_and_the_chain_says_so()
    {
        var d = Decode(Make("POST", "https://x.test/p", Gzip("k=v&j=%5B1%2C2%5D"), ("Content-Encoding", "gzip"), ("Content-Type", "application/x-www-form-urlencoded")));
        Assert.That(d.Fields.Where(f => f.Location == PayloadLocation.Body).Select(f => (f.KeyPath, f.Value, f.Transforms)), Is.EqualTo(new[]
        {
            ("k", "v", "gzip>form"), ("j[0]", "1", "gzip>form>json"), ("j[1]", "2", "gzip>form>json"),
        }));
    }

    [Test]
    public void Body_already_inflated_by_the_capture_tool_is_read_despite_its_gzip_header()
    {
        var d = Decode(Make("POST", "https://x.test/p", Utf8("format=json&sdk=android&"), ("Content-Encoding", "gzip"), ("Content-Type", "application/x-www-form-urlencoded")));
        Assert.That(Body(d), Is.EqualTo(new (string, string?)[] { ("format", "json"), ("sdk", "android") }));
        Assert.That(d.Fields.Where(f => f.Location == PayloadLocation.Body).Select(f => f.Transforms).Distinct(), Is.EqualTo(new[] { "form" }));
        Assert.That(d.Problems, Is.Empty);
    }

    [Test]
    public void Gzip_body_without_a_header_is_recognised_by_its_magic_bytes()
    {
        var d = Decode(Make("POST", "https://x.test/p", Gzip("{\"a\":\"b\"}")));
        Assert.That(d.Fields.Single(f => f.Location == PayloadLocation.Body), Is.EqualTo(new PayloadField(PayloadLocation.Body, "a", "b", ValueTypes.String, "gzip>json")));
    }

    [Test]
    public void Deflate_and_brotli_bodies_are_inflated()
    {
        var zlib = Decode(Make("POST", "https://x.test/p", Zlib("{\"a\":1}"), ("Content-Encoding", "deflate")));
        Assert.That(zlib.Fields.Single(f => f.Location == PayloadLocation.Body).Transforms, Is.EqualTo("deflate>json"));
        var br = Decode(Make("POST", "https://x.test/p", Brotli("{\"a\":1}"), ("Content-Encoding", "br")));
        Assert.That(br.Fields.Single(f => f.Location == PayloadLocation.Body), Is.EqualTo(new PayloadField(PayloadLocation.Body, "a", "1", ValueTypes.Number, "br>json")));
    }

    [Test]
    public void Bad_gzip_becomes_one_undecoded_field_and_a_problem()
    {
        var bytes = Gzip("k=v&some=longer+text+to+compress");
        var truncated = bytes[..(bytes.Length / 2)];
        var d = Decode(Make("POST", "https://x.test/p", truncated, ("Content-Encoding", "gzip")));
        var body = d.Fields.Where(f => f.Location == PayloadLocation.Body).ToList();
        Assert.That(body, Has.Count.EqualTo(1));
        Assert.That(body[0].ValueType, Is.EqualTo(ValueTypes.Undecoded));
        Assert.That(body[0].KeyPath, Is.EqualTo(PayloadField.WholeBody));
        Assert.That(d.Problems.Single().Message, Does.Contain("gzip"));
    }

    [Test]
    public void Invalid_JSON_becomes_one_undecoded_field_and_a_problem()
    {
        var d = Decode(Make("POST", "https://x.test/p", Utf8("{\"event\": \"x\", "), ("Content-Type", "application/json")));
        Assert.That(d.Fields.Single(f => f.Location == PayloadLocation.Body).ValueType, Is.EqualTo(ValueTypes.Undecoded));
        Assert.That(d.Problems.Single().Message, Does.Contain("invalid JSON"));
    }

    [Test]
    public void Gzip_bomb_over_the_body_cap_is_not_inflated()
    {
        var bomb = Gzip(new byte[8 * 1024 * 1024]);
        var d = Decode(Make("POST", "https://x.test/p", bomb, ("Content-Encoding", "gzip")), DecodeLimits.Default with { MaxBodyBytes = 2 * 1024 * 1024, MaxCompressionRatio = int.MaxValue / 1024 });
        Assert.That(d.Fields.Single(f => f.Location == PayloadLocation.Body).ValueType, Is.EqualTo(ValueTypes.Undecoded));
        Assert.That(d.Problems.Single().Message, Does.Contain("exceeds the cap"));
    }

    [Test]
    public void Gzip_bomb_under_the_body_cap_is_stopped_by_the_ratio_cap()
    {
        var bomb = Gzip(new byte[8 * 1024 * 1024]);
        Assert.That((long)bomb.Length * DecodeLimits.Default.MaxCompressionRatio, Is.LessThan(8 * 1024 * 1024), "the input must be a bomb by ratio");
        var d = Decode(Make("POST", "https://x.test/p", bomb));
        Assert.That(d.Fields.Single(f => f.Location == PayloadLocation.Body).ValueType, Is.EqualTo(ValueTypes.Undecoded));
        Assert.That(d.Problems.Single().Message, Does.Contain("exceeds the cap"));
    }

    private const string Boundary = "q3Xk-9_boundary";

    private static string Part(string name, string content, string? fileName = null) =>
        $"--{Boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{(fileName is null ? "" : $"; filename=\"{fileName}\"")}\r\n\r\n{content}\r\n";

    [Test]
    public void Multipart_parts_become_fields_and_files_are_binary()
    {
        var body = Part("event", "CUSTOM_APP_EVENTS") + Part("extinfo", "[\"i2\",\"com.x\"]") + Part("file0", "\u0001\u0002\u0003", "photo.jpg") + $"--{Boundary}--\r\n";
        var d = Decode(Make("POST", "https://x.test/p", Utf8(body), ("Content-Type", $"multipart/form-data; boundary={Boundary}")));
        Assert.That(d.Fields.Where(f => f.Location == PayloadLocation.Body).Select(f => (f.KeyPath, f.ValueType, f.Transforms)), Is.EqualTo(new[]
        {
            ("event", ValueTypes.String, "multipart"), ("extinfo[0]", ValueTypes.String, "multipart>json"), ("extinfo[1]", ValueTypes.String, "multipart>json"),
            ("file0", ValueTypes.Binary, "multipart"),
        }));
        Assert.That(d.Problems, Is.Empty);
    }

    [Test]
    public void Truncated_multipart_keeps_complete_parts_and_reports_the_rest()
    {
        var body = Part("event", "CUSTOM_APP_EVENTS") + $"--{Boundary}\r\nContent-Disposition: form-data; name=\"extinfo\"\r\n\r\n[\"i2\",\"com.";
        var d = Decode(Make("POST", "https://x.test/p", Utf8(body), ("Content-Type", $"multipart/form-data; boundary={Boundary}")));
        Assert.That(d.Fields.Where(f => f.Location == PayloadLocation.Body).Select(f => (f.KeyPath, f.ValueType)), Is.EqualTo(new[] { ("event", ValueTypes.String), (PayloadField.WholeBody, ValueTypes.Undecoded) }));
        Assert.That(d.Problems.Single().Message, Does.Contain("truncated after 1 complete part"));
    }

    [Test]
    public void JSON_inside_string_values_is_decoded_down_to_a_bounded_depth()
    {
        // Each level is a JSON document written into a string of the level above, as the iOS SDK writes extinfo.
        var inner = "\"deep\"";
        for (var i = 0; i < 10; i++) inner = System.Text.Json.JsonSerializer.Serialize($"{{\"n\":{inner}}}");
        var d = Decode(Make("POST", "https://x.test/p", Utf8($"{{\"n\":{inner}}}"), ("Content-Type", "application/json")));
        var leaf = d.Fields.Single(f => f.Location == PayloadLocation.Body);
        var limit = DecodeLimits.Default.MaxNestingDepth;
        Assert.That(leaf.KeyPath, Is.EqualTo(string.Join('.', Enumerable.Repeat("n", limit + 1))));
        Assert.That(leaf.Transforms.Split('>').Count(s => s == "json"), Is.EqualTo(limit + 1));
        Assert.That(leaf.Value, Does.StartWith("{\"n\":"), "below the limit the value stays a string");
    }

    [Test]
    public void Base64_JSON_is_decoded_when_confident_and_hashes_are_left_alone()
    {
        var b64 = Convert.ToBase64String(Encoding.UTF8.GetBytes("{\"user\":\"abc\",\"ts\":1}"));
        var d = Decode(Make("GET", $"https://x.test/p?ctx={Uri.EscapeDataString(b64)}&md5=841660ebdffe94a600bb873f9fae834f&cert=bmk0ngCXcX6kRNYEfLwb8yJvtNE%3D"));
        Assert.That(d.Fields.Select(f => (f.KeyPath, f.Value, f.Transforms)), Is.EqualTo(new[]
        {
            ("ctx.user", "abc", "form>base64>json"), ("ctx.ts", "1", "form>base64>json"),
            ("md5", "841660ebdffe94a600bb873f9fae834f", "form"), ("cert", "bmk0ngCXcX6kRNYEfLwb8yJvtNE=", "form"),
        }));
    }

    [Test]
    public void Cookies_are_read_from_the_cookie_header_one_by_one()
    {
        var d = Decode(Make("GET", "https://x.test/", null, ("Cookie", "datr=abc; c_user=42"), ("Accept", "*/*")));
        Assert.That(d.Fields.Select(f => (f.Location, f.KeyPath, f.Value)), Is.EqualTo(new[]
        {
            (PayloadLocation.Header, "accept", "*/*"), (PayloadLocation.Cookie, "datr", "abc"), (PayloadLocation.Cookie, "c_user", "42"),
        }));
    }

    [Test]
    public void Binary_body_of_no_known_type_is_undecoded_with_an_info_problem()
    {
        var d = Decode(Make("POST", "https://x.test/p", [0x0a, 0x03, 0x00, 0x01, 0x02, 0xff], ("Content-Type", "application/x-protobuf")));
        Assert.That(d.Fields.Single(f => f.Location == PayloadLocation.Body).ValueType, Is.EqualTo(ValueTypes.Undecoded));
        Assert.That(d.Problems.Single().Severity, Is.EqualTo(ResearchPipeline.Captures.Severity.Info));
    }

    [Test]
    public void A_form_with_more_fields_than_the_limit_is_cut_there_with_one_problem()
    {
        var body = string.Join('&', Enumerable.Range(0, 5_000).Select(i => $"k{i}=v{i}"));
        var decoded = Decode(Requests.Make("POST", "https://t.example/collect", Requests.Utf8(body), ("Content-Type", "application/x-www-form-urlencoded")),
            DecodeLimits.Default with { MaxFieldsPerRequest = 1_000 });
        Assert.That(decoded.Fields.Count(f => f.Location == PayloadLocation.Body), Is.LessThanOrEqualTo(1_000));
        Assert.That(decoded.Fields.Count, Is.EqualTo(1_000));
        Assert.That(decoded.Problems.Count(p => p.Message.Contains("more than 1000 fields")), Is.EqualTo(1));
    }

    [Test]
    public void JSON_nested_deeper_than_the_reader_follows_is_one_undecoded_field_not_a_crash()
    {
        var json = new string('[', 10_000) + new string(']', 10_000);
        var decoded = Decode(Requests.Make("POST", "https://t.example/j", Requests.Utf8(json), ("Content-Type", "application/json")));
        Assert.That(decoded.Problems, Is.Not.Empty);
        Assert.That(decoded.Fields.Any(f => f.ValueType == "undecoded"), Is.True);
    }
}
