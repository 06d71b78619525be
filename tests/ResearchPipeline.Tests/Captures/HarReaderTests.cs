using System.Text;
using System.Text.Json;
using ResearchPipeline.Captures;
using ResearchPipeline.Captures.Har;
using ResearchPipeline.Tests.Lab;

namespace ResearchPipeline.Tests.Captures;

public class HarReaderTests
{
    internal static List<CaptureRecord> ReadAll(string path, ReadLimits? limits = null)
    {
        using var stream = File.OpenRead(path);
        return new HarReader().Read(stream, limits ?? ReadLimits.Default).ToList();
    }

    internal static List<CaptureRecord> ReadAll(byte[] bytes, ReadLimits? limits = null) =>
        new HarReader().Read(new MemoryStream(bytes), limits ?? ReadLimits.Default).ToList();

    private static List<Exchange> Exchanges(IEnumerable<CaptureRecord> records) =>
        records.OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    // Entry counts as the files themselves say (PROVENANCE.md), and the tool that wrote each.
    [TestCase("har/charles.har", 1, "Charles Proxy")]
    [TestCase("har/chrome.har", 3, "WebInspector")]
    [TestCase("har/diff_data.har", 5, "mitmproxy")]
    [TestCase("har/expressen.har", 607, "WebPagetest")]
    [TestCase("har/firefox.har", 14, "Firefox")]
    [TestCase("har/insomnia.har", 1, "Insomnia REST Client")]
    [TestCase("har/postdata.har", 1, "WebInspector")]
    [TestCase("har/quizduel-android.har", 12, "cyanoacrylate")]
    public void Every_shared_HAR_reads_with_all_its_entries_and_no_problem(string file, int entries, string creator)
    {
        var records = ReadAll(TestFiles.Capture(file));
        Assert.That(records.OfType<RecordQuarantined>(), Is.Empty);
        Assert.That(records.OfType<CaptureProblem>().Where(p => p.Severity == Severity.Error), Is.Empty);
        var exchanges = Exchanges(records);
        Assert.That(exchanges, Has.Count.EqualTo(entries));
        Assert.That(exchanges.Select(e => e.Ordinal), Is.EqualTo(Enumerable.Range(0, entries)));
        Assert.That(records.OfType<CreatorFound>().Single().Name, Does.StartWith(creator));
    }

    [Test]
    public void Safari_and_nytimes_HARs_read_completely()
    {
        foreach (var file in new[] { "har/safari.har", "har/www.nytimes.com.har" })
        {
            var path = TestFiles.Capture(file);
            var expected = CountEntriesWithDom(path);
            var records = ReadAll(path);
            Assert.That(Exchanges(records), Has.Count.EqualTo(expected), file);
            Assert.That(records.OfType<RecordQuarantined>(), Is.Empty, file);
        }
    }

    [Test]
    public void Quizduel_activities_POST_keeps_its_gzip_body_as_bytes()
    {
        var exchanges = Exchanges(ReadAll(TestFiles.Capture("har/quizduel-android.har")));
        var activities = exchanges.Where(e => e.Target.Host == "graph.facebook.com" && e.Target.Path.EndsWith("/activities")).ToList();
        Assert.That(activities, Has.Count.EqualTo(3));
        Assert.That(activities.Select(a => a.Method), Is.All.EqualTo("POST"));
        Assert.That(activities.Select(a => a.Status), Is.All.EqualTo(200));
        // The Android SDK sends a gzip-compressed form body (wire-format doc 1.2); the bytes must survive as bytes.
        foreach (var a in activities)
        {
            var body = a.RequestBody.Span;
            Assert.That(body.Length, Is.GreaterThan(100));
            Assert.That(body[0] == 0x1f && body[1] == 0x8b || body.IndexOf("advertiser_id"u8) >= 0, Is.True,
                "body is either gzip bytes or already-decoded form text");
        }
        Assert.That(activities[0].Target.Path, Does.StartWith("/v16.0/"));
    }

    [Test]
    public void Chrome_entries_have_method_host_status_server_ip_and_time()
    {
        var exchanges = Exchanges(ReadAll(TestFiles.Capture("har/chrome.har")));
        Assert.That(exchanges.Select(e => e.Target.Host).Distinct().Order(), Is.EqualTo(new[] { "mitmproxy.org", "www.google.com" }));
        Assert.That(exchanges.Select(e => e.Method), Is.All.EqualTo("GET"));
        // The second entry never got an answer (Chrome writes status 0 and _error ERR_INTERNET_DISCONNECTED).
        Assert.That(exchanges.Select(e => e.Status), Is.EqualTo(new int?[] { 304, null, 200 }));
        Assert.That(exchanges.Select(e => e.StartedUtc), Is.All.Not.Null);
        Assert.That(exchanges.Where(e => e.ServerIp is not null), Is.Not.Empty);
        Assert.That(exchanges.All(e => e.ServerIp is null || !e.ServerIp.StartsWith('[')), "brackets of IPv6 addresses are removed");
    }

    [Test]
    public void Postdata_HAR_keeps_the_posted_body_text()
    {
        var e = Exchanges(ReadAll(TestFiles.Capture("har/postdata.har"))).Single();
        Assert.That(e.Method, Is.EqualTo("POST"));
        Assert.That(e.Target.Host, Is.EqualTo("signal-metrics-collector-beta.s-onetag.com"));
        Assert.That(e.RequestBody.Length, Is.GreaterThan(0));
        Assert.That(e.RequestHeader("content-type"), Is.Not.Null);
    }

    [Test]
    public void Response_content_is_measured_as_the_bytes_it_stands_for_and_not_kept()
    {
        // firefox.har carries images as base64 content and pages as text. A response's size is that of the bytes its
        // content stands for (the image's, not its base64 text's); the bytes themselves are not kept, since of a
        // response the tables publish only its size.
        var path = TestFiles.Capture("har/firefox.har");
        using var har = JsonDocument.Parse(File.ReadAllBytes(path));
        var contents = har.RootElement.GetProperty("log").GetProperty("entries").EnumerateArray()
            .Select(entry => entry.GetProperty("response").TryGetProperty("content", out var content) && content.TryGetProperty("text", out var text)
                ? (Text: text.GetString() ?? "", Base64: content.TryGetProperty("encoding", out var coding) && coding.GetString() == "base64")
                : (Text: "", Base64: false))
            .ToList();
        var expected = contents.Select(c => c.Text.Length == 0 ? (int?)null : c.Base64 ? Convert.FromBase64String(c.Text).Length : Encoding.UTF8.GetByteCount(c.Text));

        var exchanges = Exchanges(ReadAll(path));

        Assert.That(contents.Count(c => c.Base64 && c.Text.Length > 0), Is.GreaterThan(0), "the capture has base64 bodies");
        Assert.That(exchanges.Select(e => e.ResponseBodyBytes), Is.EqualTo(expected));
        Assert.That(exchanges.Where(e => !e.ResponseBody.IsEmpty), Is.Empty);
    }

    [Test]
    public void Truncated_HAR_keeps_its_good_entries_and_reports_one_quarantined_entry()
    {
        var full = File.ReadAllBytes(TestFiles.Capture("har/expressen.har"));
        var cut = full.AsSpan(0, full.Length / 2).ToArray();
        var records = ReadAll(cut);
        var good = Exchanges(records);
        var quarantined = records.OfType<RecordQuarantined>().ToList();
        Assert.That(good, Has.Count.GreaterThan(100));
        Assert.That(quarantined, Has.Count.EqualTo(1));
        Assert.That(quarantined[0].Ordinal, Is.EqualTo(good.Count));
        Assert.That(quarantined[0].Location, Does.Contain($"entry {good.Count}"));
        // The good entries are the same as in the whole file.
        var whole = Exchanges(ReadAll(full)).Take(good.Count);
        Assert.That(good.Select(e => e.Target.Url), Is.EqualTo(whole.Select(e => e.Target.Url)));
    }

    [Test]
    public void Entry_missing_its_request_is_quarantined_and_later_entries_are_kept()
    {
        var har = """
            {"log":{"version":"1.2","creator":{"name":"t","version":"1"},"entries":[
              {"startedDateTime":"2024-06-24T10:00:00.000Z","request":{"method":"GET","url":"https://a.example/x","headers":[]},"response":{"status":200,"headers":[],"content":{"size":0}}},
              {"startedDateTime":"2024-06-24T10:00:01.000Z","response":{"status":200}},
              {"startedDateTime":"2024-06-24T10:00:02.000Z","request":{"method":"POST","url":"https://b.example/y?q=1","headers":[{"name":"Content-Type","value":"text/plain"}],"postData":{"mimeType":"text/plain","text":"hello"}},"response":{"status":204,"headers":[],"content":{"size":0}},"_private":{"x":1}}
            ]}}
            """;
        var records = ReadAll(Encoding.UTF8.GetBytes(har));
        var exchanges = Exchanges(records);
        Assert.That(exchanges.Select(e => e.Ordinal), Is.EqualTo(new[] { 0, 2 }));
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That(q.Ordinal, Is.EqualTo(1));
        Assert.That(q.Reason, Does.Contain("no request"));
        Assert.That(Encoding.UTF8.GetString(exchanges[1].RequestBody.Span), Is.EqualTo("hello"));
        Assert.That(exchanges[1].Target.Query, Is.EqualTo("q=1"));
    }

    [Test]
    public void Not_JSON_gives_an_error_problem_and_no_exchange()
    {
        var records = ReadAll("{\"log\": {\"entries\": [ nonsense ]}}"u8.ToArray());
        Assert.That(Exchanges(records), Is.Empty);
        Assert.That(records.OfType<CaptureProblem>().Single().Message, Does.Contain("invalid JSON"));
    }

    [Test]
    public void Entry_over_the_record_limit_is_quarantined_without_buffering_it_and_reading_goes_on()
    {
        var big = new string('A', 3_000_000);
        var har = "{\"log\":{\"entries\":[" +
                  "{\"startedDateTime\":\"2024-01-01T00:00:00Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://a.example/\"}}," +
                  "{\"startedDateTime\":\"2024-01-01T00:00:01Z\",\"request\":{\"method\":\"POST\",\"url\":\"https://big.example/\",\"postData\":{\"text\":\"" + big + "\"}}}," +
                  "{\"startedDateTime\":\"2024-01-01T00:00:02Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://c.example/\"}}]}}";
        var records = ReadAll(Encoding.UTF8.GetBytes(har), ReadLimits.Default with { MaxRecordBytes = 1024 * 1024 });
        Assert.That(Exchanges(records).Select(e => e.Target.Host), Is.EqualTo(new[] { "a.example", "c.example" }));
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That(q.Ordinal, Is.EqualTo(1));
        Assert.That(q.Reason, Does.Contain("record limit"));
    }

    [Test]
    public void Entry_larger_than_the_read_buffer_reads_whole_with_its_headers_and_body()
    {
        // The scanner takes an entry's fields while it passes over it and starts the entry again when its
        // buffer ends inside it; an entry far larger than the buffer must come out whole.
        var body = Convert.ToBase64String(Enumerable.Range(0, 300_000).Select(i => (byte)(i * 7)).ToArray());
        var headers = string.Join(",", Enumerable.Range(0, 2_000).Select(i => $"{{\"name\":\"X-H{i}\",\"value\":\"v{i}\"}}"));
        var har = "{\"log\":{\"entries\":[{\"startedDateTime\":\"2024-01-01T00:00:00Z\",\"request\":{\"method\":\"GET\",\"url\":\"https://a.example/\",\"headers\":[" + headers +
                  "]},\"response\":{\"status\":200,\"content\":{\"encoding\":\"base64\",\"text\":\"" + body + "\"}}}]}}";
        var exchange = Exchanges(ReadAll(Encoding.UTF8.GetBytes(har))).Single();
        Assert.That(exchange.RequestHeaders, Has.Length.EqualTo(2_000));
        Assert.That(exchange.RequestHeaders[1_999], Is.EqualTo(new HttpHeader("X-H1999", "v1999")));
        Assert.That(exchange.ResponseBodyBytes, Is.EqualTo(300_000), "the whole base64 content, measured as the bytes it stands for");
    }

    [Test]
    public void Repeated_fields_count_by_their_last_value_and_escaped_text_is_unescaped()
    {
        var har = """
            {"log":{"entries":[
              {"startedDateTime":"2024-06-24T10:00:00Z","request":{"method":"GET","url":"https://a.example/x","method":"post",
               "headers":[{"name":"A","value":"1"},{"value":"no name"},{"name":"B","name":"C","value":2}],
               "postData":{"text":"{\"k\":\"caf\u00e9\"}"}},
               "response":{"status":500,"status":204,"content":{"encoding":"base64","text":"aGk\/"}}}
            ]}}
            """;
        var exchange = Exchanges(ReadAll(Encoding.UTF8.GetBytes(har))).Single();
        Assert.That(exchange.Method, Is.EqualTo("POST"));
        Assert.That(exchange.Status, Is.EqualTo(204));
        Assert.That(exchange.RequestHeaders, Is.EqualTo(new[] { new HttpHeader("A", "1"), new HttpHeader("C", "2") }));
        Assert.That(Encoding.UTF8.GetString(exchange.RequestBody.Span), Is.EqualTo("{\"k\":\"café\"}"));
        Assert.That(exchange.ResponseBodyBytes, Is.EqualTo(Convert.FromBase64String("aGk/").Length));
    }

    [Test]
    public void Header_that_is_not_valid_UTF8_quarantines_its_entry_only_and_earlier_problems_stay()
    {
        var head = Encoding.UTF8.GetBytes("""{"log":{"entries":[{"request":{"method":"GET","url":"https://a.example/","headers":[{"name":"X","value":" """);
        var tail = Encoding.UTF8.GetBytes("""
            "}]}},{"startedDateTime":"2024-01-01T00:00:00Z","request":{"method":"GET","url":"https://b.example/"}}]}}
            """);
        var records = ReadAll([.. head, 0xFF, 0xFE, .. tail]);
        Assert.That(records.OfType<CaptureProblem>().Single().Message, Is.EqualTo("startedDateTime is missing"));
        var q = records.OfType<RecordQuarantined>().Single();
        Assert.That((q.Ordinal, q.Location), Is.EqualTo((0, "entry 0 at byte 19")));
        Assert.That(q.Reason, Does.Contain("UTF-8"));
        Assert.That(Exchanges(records).Single().Target.Host, Is.EqualTo("b.example"));
    }

    [Test]
    public void Recognises_HAR_by_content_not_by_name()
    {
        var reader = new HarReader();
        Assert.That(reader.Recognises("{\n  \"log\": {"u8), Is.True);
        Assert.That(reader.Recognises([0xEF, 0xBB, 0xBF, .. "{\"log\":{}}"u8]), Is.True);
        Assert.That(reader.Recognises("123:4:flow,"u8), Is.False);
        Assert.That(reader.Recognises("{\"other\": 1}"u8), Is.False);
    }

    // Whole HARs from several tools, the demonstration study's, and damaged ones: each way a scan can end.
    private static IEnumerable<TestCaseData> HarsToReadApart()
    {
        foreach (var file in new[] { "chrome", "safari", "expressen", "postdata", "www.nytimes.com", "charles", "diff_data", "firefox", "quizduel-android", "insomnia" })
            yield return new TestCaseData($"har/{file}.har", null).SetArgDisplayNames(file);
        yield return new TestCaseData("demonstration", null).SetArgDisplayNames("demonstration session.har");
        yield return new TestCaseData("har/expressen.har", "truncated").SetArgDisplayNames("expressen cut in half");
        yield return new TestCaseData("har/expressen.har", "oversized").SetArgDisplayNames("expressen under a record limit some entries pass");
        yield return new TestCaseData("har/quizduel-android.har", "bad-utf8").SetArgDisplayNames("quizduel with a header that is not UTF-8");
        yield return new TestCaseData("har/chrome.har", "invalid").SetArgDisplayNames("chrome with invalid JSON in its second entry");
    }

    [TestCaseSource(nameof(HarsToReadApart))]
    public void Entries_read_apart_by_workers_give_the_records_of_one_pass(string file, string? damage)
    {
        var (bytes, limits) = Damaged(file, damage);
        var onePass = new HarReader().Read(new MemoryStream(bytes), limits).Select(Describe).ToList();
        var apart = new HarReader().ReadForWorkers(new MemoryStream(bytes), limits).ToList();
        Assert.That(apart.OfType<RecordsToRead>(), Is.Not.Empty, "entries are left to the workers");
        // Read in reverse, as workers may: each entry's records do not depend on another's.
        var read = apart.Select((r, i) => (r, i)).Reverse().Select(x => (x.i, Records: x.r is RecordsToRead p ? p.Read() : [x.r])).Reverse()
            .SelectMany(x => x.Records).Select(Describe).ToList();
        Assert.That(read, Is.EqualTo(onePass));
        if (damage is not null) Assert.That(onePass.Any(r => !r.StartsWith("ExchangeRead", StringComparison.Ordinal) && !r.StartsWith("CreatorFound", StringComparison.Ordinal)), "the damage shows");
    }

    // What the fast tokens read (true) or leave to the system's reader, valid or not: each must give the system reader's records.
    private static IEnumerable<TestCaseData> HarsForBothReaders()
    {
        foreach (var c in HarsToReadApart())
        {
            var damage = (string?)c.Arguments[1];
            yield return new TestCaseData(c.Arguments[0], damage, damage is null or "bad-utf8").SetArgDisplayNames(c.TestName ?? $"{c.Arguments[0]} {damage}");
        }
        foreach (var (damage, fast) in new[]
        {
            ("numbers", true), ("escapes", true), ("literals", true), ("comment", false), ("trailing-comma", false), ("escaped-name", false), ("bom", false),
            ("control-character", false), ("bad-escape", false), ("leading-zero", false), ("deep", false), ("truex", false),
        })
            yield return new TestCaseData("har/chrome.har", damage, fast).SetArgDisplayNames($"chrome with {damage}");
    }

    [TestCaseSource(nameof(HarsForBothReaders))]
    public void The_fast_tokens_give_the_records_of_the_system_reader(string file, string? damage, bool readToTheEnd)
    {
        var (bytes, limits) = Damaged(file, damage);
        var system = HarReader.Read(new MemoryStream(bytes), limits, forWorkers: false, fast: false).Select(Describe).ToList();
        var fast = HarReader.Read(new MemoryStream(bytes), limits, forWorkers: false).Select(Describe).ToList();
        Assert.That(fast, Is.EqualTo(system));
        Assert.That(system, Is.Not.Empty);

        using var scanner = new HarJsonScanner(new MemoryStream(bytes), limits.MaxRecordBytes, limits.MaxJsonDepth);
        while (scanner.Next().Kind is not (HarJsonScanner.EventKind.End or HarJsonScanner.EventKind.Truncated or HarJsonScanner.EventKind.Invalid)) { }
        Assert.That(scanner.ReadsWhole, Is.EqualTo(readToTheEnd), readToTheEnd ? "the fast tokens read the file to its end" : "the fast tokens left the file to the system's reader");
    }

    [Test]
    public void The_tokens_searches_find_the_first_byte_asked_for_wherever_it_stands_in_a_vector()
    {
        // Every length up to three vectors and a tail, the byte looked for at every place, and none.
        foreach (var (fill, stops) in new[] { ((byte)'a', new byte[] { (byte)'"', (byte)'\\', 0x00, 0x1F, (byte)'\n' }), ((byte)'~', new byte[] { 0x7F, 0xFF, 0x80 }) })
        {
            for (var length = 0; length <= 100; length++)
            {
                var bytes = Enumerable.Repeat(fill, length).ToArray();
                Assert.That(JsonByteSearch.FirstStringStop(bytes), Is.EqualTo(length));
                foreach (var stop in stops)
                {
                    for (var at = 0; at < length; at++)
                    {
                        var with = (byte[])bytes.Clone();
                        with[at] = stop;
                        var isStop = stop is (byte)'"' or (byte)'\\' or < 0x20;
                        Assert.That(JsonByteSearch.FirstStringStop(with), Is.EqualTo(isStop ? at : length), $"{stop:X2} at {at} of {length}");
                    }
                }
                var white = Enumerable.Range(0, length).Select(i => " \t\n\r"u8[i % 4]).ToArray();
                Assert.That(JsonByteSearch.FirstNotWhiteSpace(white), Is.EqualTo(length));
                for (var at = 0; at < length; at++)
                {
                    var with = (byte[])white.Clone();
                    with[at] = fill;
                    Assert.That(JsonByteSearch.FirstNotWhiteSpace(with), Is.EqualTo(at), $"{fill:X2} at {at} of {length}");
                }
            }
        }
    }

    [Test]
    public void The_tokens_read_what_the_system_reader_reads_and_stop_where_it_throws()
    {
        // Documents made of the pieces a HAR is made of, strings of every escape placed across the blocks' ends, each
        // whole and with one byte changed; the tokens must give the system reader's tokens, never accept what it
        // refuses, and read every whole document to its end.
        var random = new Random(1206);
        var pieces = new[]
        {
            "\"name\"", "\"\"", "\"a\\\"b\"", "\"\\\\\"", "\"\\\\\\\"x\"", "\"\\u00e9\\n\\t\\/\\b\\f\\r\"", "\"héllo\"",
            "0", "-1.5e+3", "12345678901234567890", "true", "false", "null", "{}", "[]", "[1,2]", "{\"k\":\"v\"}",
            // A body's escaped JSON, over several blocks.
            "\"" + string.Concat(Enumerable.Repeat("{\\\"a\\\":\\\"b\\\\\\\\\\\"}", 20)) + "\"",
        };
        for (var n = 0; n < 600; n++)
        {
            var text = new StringBuilder("{");
            var members = random.Next(1, 12);
            for (var m = 0; m < members; m++)
            {
                if (m > 0) text.Append(',');
                text.Append(new string(' ', random.Next(0, 70))).Append("\"p").Append(m).Append("\":").Append(new string('\n', random.Next(0, 3)));
                var value = pieces[random.Next(pieces.Length)];
                text.Append(random.Next(3) == 0 ? "[" + value + "," + pieces[random.Next(pieces.Length)] + "]" : value);
            }
            text.Append('}');
            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            Assert.That(Compare(bytes), Is.True, $"a whole document read to its end: {text}");
            var damaged = (byte[])bytes.Clone();
            damaged[random.Next(damaged.Length)] = "\"\\ \u0001x,:]}0u"u8[random.Next(11)];
            Compare(damaged);
        }

        // True where the tokens read the document to its end.
        static bool Compare(byte[] bytes)
        {
            var system = new List<string>();
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 64 });
            var threw = false;
            try
            {
                while (reader.Read()) system.Add(Token(reader.TokenType, reader.TokenStartIndex, reader.ValueSpan, reader.ValueIsEscaped, reader.CurrentDepth, reader.BytesConsumed));
            }
            catch (JsonException)
            {
                threw = true;
            }
            var tokens = new HarJsonTokens(bytes, 64);
            var fast = new List<string>();
            // As the scan does, the tokens stop at the root's end; the system reader would go on to what follows it.
            var ended = false;
            while (!ended && tokens.Read())
            {
                fast.Add(Token(tokens.TokenType, tokens.TokenStartIndex, tokens.ValueSpan, tokens.ValueIsEscaped, tokens.CurrentDepth, tokens.BytesConsumed));
                ended = tokens.CurrentDepth == 0 && tokens.TokenType == JsonTokenType.EndObject;
            }
            var text = Encoding.UTF8.GetString(bytes);
            Assert.That(fast, Is.EqualTo(system.Take(fast.Count)), text.Replace("\n", "~"));
            if (threw) Assert.That(tokens.Failed || ended, Is.True, $"the tokens stop where the system reader throws: {text}");
            return ended && fast.Count == system.Count;
        }

        // A token as the scanner and the entry reader ask for it: a container's start or end has no value they read.
        static string Token(JsonTokenType type, long start, ReadOnlySpan<byte> value, bool escaped, int depth, long consumed) =>
            type is JsonTokenType.StartObject or JsonTokenType.StartArray or JsonTokenType.EndObject or JsonTokenType.EndArray
                ? $"{type} {start} {depth} {consumed}"
                : $"{type} {start} {Convert.ToHexString(value)} {escaped} {depth} {consumed}";
    }

    /// <summary>A capture of the tests, or the demonstration study's HAR, with the damage or the unusual JSON named written into it.</summary>
    private static (byte[] Bytes, ReadLimits Limits) Damaged(string file, string? damage)
    {
        var path = file == "demonstration" ? Path.Combine(DemonstrationCorpus.Raw, "calmnest-ios-2026", "session.har") : TestFiles.Capture(file);
        var bytes = File.ReadAllBytes(path);
        var limits = ReadLimits.Default;
        var text = Encoding.UTF8.GetString(bytes);
        // Before the second entry's first property.
        byte[] InSecondEntry(ReadOnlySpan<byte> json)
        {
            var entries = text.IndexOf("\"entries\"", StringComparison.Ordinal);
            var second = text.IndexOf("\"startedDateTime\"", text.IndexOf("\"startedDateTime\"", entries, StringComparison.Ordinal) + 1, StringComparison.Ordinal);
            var cut = Encoding.UTF8.GetByteCount(text[..second]);
            return [.. bytes[..cut], .. json, .. bytes[cut..]];
        }
        switch (damage)
        {
            case "truncated":
                bytes = bytes[..(bytes.Length / 2)];
                break;
            case "oversized":
                limits = limits with { MaxRecordBytes = 4096 };
                break;
            case "bad-utf8":
                var at = text.IndexOf("\"value\"", text.IndexOf("\"headers\"", text.IndexOf("\"entries\"", StringComparison.Ordinal), StringComparison.Ordinal), StringComparison.Ordinal);
                var quote = Encoding.UTF8.GetByteCount(text[..text.IndexOf('"', at + 8)]) + 1;
                bytes = [.. bytes[..quote], 0xFF, 0xFE, .. bytes[quote..]];
                break;
            case "invalid": bytes = InSecondEntry("nonsense "u8); break;
            case "numbers": bytes = InSecondEntry("\"_n\": [-0, 0, 1.5e+3, 2E-2, -0.25, 12345678901234567890, 1e999], \"time\": 7.5e1, "u8); break;
            case "escapes": bytes = InSecondEntry("\"_s\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\\ud800\", "u8); break;
            case "literals": bytes = InSecondEntry("\"_l\": [true, false, null, {}, [], [{}]], \"connection\": null, "u8); break;
            case "comment": bytes = InSecondEntry("/* a comment */ "u8); break;
            case "trailing-comma": bytes = InSecondEntry("\"_t\": [1, 2,], "u8); break;
            case "escaped-name": bytes = InSecondEntry("\"\\u0074ime\": 5, \"_x\": 1, "u8); break;
            case "bom": bytes = [0xEF, 0xBB, 0xBF, .. bytes]; break;
            case "control-character": bytes = InSecondEntry([.. "\"_c\": \"a"u8, 0x01, .. "b\", "u8]); break;
            case "bad-escape": bytes = InSecondEntry("\"_e\": \"a\\qb\", "u8); break;
            case "leading-zero": bytes = InSecondEntry("\"_z\": 01, "u8); break;
            case "deep": bytes = InSecondEntry(Encoding.ASCII.GetBytes("\"_d\": " + new string('[', 70) + new string(']', 70) + ", ")); break;
            case "truex": bytes = InSecondEntry("\"_x\": truex, "u8); break;
        }
        return (bytes, limits);
    }

    /// <summary>A record as text, its bodies and headers included (an exchange's bodies are memory, compared by reference otherwise).</summary>
    private static string Describe(CaptureRecord record) => record is ExchangeRead { Exchange: var e }
        ? string.Join(" | ", "ExchangeRead", e with { RequestBody = default, ResponseBody = default, RequestHeaders = [], ResponseHeaders = [], RequestCookies = [] },
            string.Join(";", e.RequestHeaders), string.Join(";", e.RequestCookies), string.Join(";", e.ResponseHeaders),
            Convert.ToHexString(e.RequestBody.Span), Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(e.ResponseBody.Span)))
        : record.ToString();

    private static int CountEntriesWithDom(string path)
    {
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(path));
        return doc.RootElement.GetProperty("log").GetProperty("entries").GetArrayLength();
    }
}
