// Cost of the identify stage's search, over every request of a folder of HARs:
//   dotnet run -c Release --project bench/IdentitySearch -- tests/fixtures/captures/har
using System.Diagnostics;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Identity;

// Identity search cost: one-pass needle search vs one IndexOf per needle, over every request of the shared HARs.
var hars = Directory.GetFiles(args[0], "*.har");
var exchanges = new List<Exchange>();
foreach (var h in hars)
{
    using var s = File.OpenRead(h);
    var reader = CaptureFormats.All.Detect(h)!;
    exchanges.AddRange(reader.Read(s, ReadLimits.Default).OfType<ExchangeRead>().Select(r => r.Exchange));
}
var device = new DeviceProfile("d", [
    new(IdentityKinds.AdvertisingId, "eefc9fd3-1cfb-4717-b774-eaae02f212a3"), new(IdentityKinds.Idfv, "6D92078A-8246-4BA4-AE5B-76104861E7DC"),
    new(IdentityKinds.AndroidId, "9774d56d682e549c"), new(IdentityKinds.Model, "sdk_gphone_x86_64"), new(IdentityKinds.OsVersion, "11"),
    new(IdentityKinds.Carrier, "Android"), new(IdentityKinds.Locale, "en_US"), new(IdentityKinds.TimeZone, "Europe/Berlin"),
    new(IdentityKinds.Email, "test.user@example.com"), new(IdentityKinds.Phone, "+46 70 123 45 67"),
    new(IdentityKinds.Latitude, "52.520008"), new(IdentityKinds.Longitude, "13.404954")]);
var matcher = new IdentifierMatcher(device, ReadLimits.Default);
var needles = KnownValueNeedles.For(device.Values).ToList();
var haystacks = exchanges.SelectMany(e => new[] { Encoding.UTF8.GetBytes(e.Target.Query), e.RequestBody.ToArray() }
    .Concat(e.RequestHeaders.Select(h => Encoding.UTF8.GetBytes(h.Value)))).ToList();
long bytes = haystacks.Sum(h => (long)h.Length);
Console.WriteLine($"{hars.Length} HARs, {exchanges.Count} requests, {haystacks.Count} haystacks, {bytes} bytes, {needles.Count} needles");

var search = new NeedleSearch<KnownValueForm>(needles);
var hits = new List<NeedleHit>();
for (var w = 0; w < 3; w++) foreach (var h in haystacks) { hits.Clear(); search.Search(h, hits); }
const int rounds = 200;
var sw = Stopwatch.StartNew();
long found = 0;
for (var r = 0; r < rounds; r++) foreach (var h in haystacks) { hits.Clear(); search.Search(h, hits); found += hits.Count; }
var onePass = sw.Elapsed.TotalMilliseconds / rounds;

// Baseline: lower-case copy of each haystack, then one vectorised IndexOf loop per needle.
sw.Restart();
long foundNaive = 0;
for (var r = 0; r < rounds; r++)
    foreach (var h in haystacks)
    {
        var lower = new byte[h.Length];
        for (var i = 0; i < h.Length; i++) lower[i] = h[i] is >= (byte)'A' and <= (byte)'Z' ? (byte)(h[i] + 32) : h[i];
        foreach (var n in needles)
        {
            ReadOnlySpan<byte> span = n.IgnoreCase ? lower : h;
            var at = 0;
            while (true) { var i = span[at..].IndexOf(n.Pattern); if (i < 0) break; foundNaive++; at += i + 1; }
        }
    }
var perNeedle = sw.Elapsed.TotalMilliseconds / rounds;
Console.WriteLine($"one-pass search: {onePass:F1} ms per pass ({bytes / onePass / 1000:F0} MB/s), hits {found / rounds}");
Console.WriteLine($"IndexOf per needle: {perNeedle:F1} ms per pass ({bytes / perNeedle / 1000:F0} MB/s), hits {foundNaive / rounds}");

sw.Restart();
long m = 0;
var limits = ResearchPipeline.Payloads.DecodeLimits.Default;
var views = exchanges.Select(e => ResearchPipeline.Payloads.RequestView.Of(e, limits)).ToList();
var fields = views.Select(v => ResearchPipeline.Decoders.TrackerDecoders.All.Decode(v, limits).Fields.Select(a => a.Field).ToList()).ToList();
for (var r = 0; r < rounds; r++) for (var i = 0; i < views.Count; i++) m += matcher.Find(views[i], fields[i]).Count;
Console.WriteLine($"IdentifierMatcher.Find over all requests: {sw.Elapsed.TotalMilliseconds / rounds:F1} ms per pass, {m / rounds} matches");
sw.Restart();
for (var r = 0; r < 100; r++) _ = new IdentifierMatcher(device, ReadLimits.Default);
Console.WriteLine($"building the matcher: {sw.Elapsed.TotalMilliseconds / 100:F2} ms");
