using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using CaptureLab.Demo;
using CaptureLab.Wire;

namespace CaptureLab;

/// <summary>
/// capture-lab list | catalog | run: the SDK-traffic emulator that lab/record.sh drives through mitmproxy.
/// </summary>
public static class Program
{
    private const string Usage = """
        usage:
          capture-lab list    --raw DIR                       demonstration app folders, one per line
          capture-lab catalog --raw DIR                       apps.csv for the demonstration corpus, on stdout
          capture-lab run     --raw DIR --app FOLDER --proxy HOST:PORT --ca PEM --truth CSV --log FILE
                                                              send one app's session through the proxy
          capture-lab truth   --raw DIR --app FOLDER --truth CSV --log FILE
                                                              write one app's truth and request log without
                                                              sending (the script's bytes do not depend on the run)
        """;

    public static async Task<int> Main(string[] args)
    {
        try
        {
            if (args.Length == 0) throw new ArgumentException("no command");
            var options = Options(args[1..]);
            var apps = DemoApps.All(DeviceProfile.Load(Path.Combine(Required(options, "raw"), "devices.csv")));
            switch (args[0])
            {
                case "list":
                    foreach (var app in apps) Console.WriteLine(app.Profile.Folder);
                    return 0;
                case "catalog":
                    Console.Write(Catalog(apps));
                    return 0;
                case "run":
                    var demo = apps.SingleOrDefault(a => a.Profile.Folder == Required(options, "app"))
                        ?? throw new ArgumentException($"no demonstration app '{options["app"]}'");
                    await Run(demo, Required(options, "proxy"), Required(options, "ca"), Required(options, "truth"), Required(options, "log"));
                    return 0;
                case "truth":
                    var scripted = apps.SingleOrDefault(a => a.Profile.Folder == Required(options, "app"))
                        ?? throw new ArgumentException($"no demonstration app '{options["app"]}'");
                    var session = Session(scripted, scripted.Requests());
                    await File.WriteAllTextAsync(Required(options, "truth"), session.Truth);
                    await File.WriteAllTextAsync(Required(options, "log"), session.Log);
                    return 0;
                default:
                    throw new ArgumentException($"unknown command '{args[0]}'");
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine($"capture-lab: {e.Message}");
            Console.Error.WriteLine(Usage);
            return 2;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidOperationException)
        {
            Console.Error.WriteLine($"capture-lab: {e.Message}");
            return 1;
        }
    }

    private static Dictionary<string, string> Options(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
                throw new ArgumentException($"expected --name value, found '{args[i]}'");
            options[args[i][2..]] = args[i + 1];
        }
        return options;
    }

    private static string Required(Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required");

    private static string Catalog(IReadOnlyList<DemoApp> apps)
    {
        // One session per app folder: its .har, .mitm and .pcapng are the same traffic recorded three ways.
        var sb = new StringBuilder("capture,app_id,platform,app_name,app_version,device_id,session\n");
        foreach (var app in apps)
        {
            var p = app.Profile;
            var platform = p.Platform == Platform.Ios ? "ios" : "android";
            sb.Append(Csv.Row([p.Folder, p.BundleId, platform, $"{p.AppName} (demonstration data)", p.Version, p.Device.DeviceId, "session-1"]));
        }
        return sb.ToString();
    }

    /// <summary>
    /// Sends the session one request at a time, so the proxy records them in script order and the truth's request
    /// ordinals are the flows' positions in the capture. The log lets record.sh check that with mitmproxy itself.
    /// </summary>
    private static async Task Run(DemoApp demo, string proxy, string caPem, string truthPath, string logPath)
    {
        using var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caPem));
        using var handler = new SocketsHttpHandler
        {
            Proxy = new WebProxy($"http://{proxy}"),
            UseProxy = true,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                EnabledSslProtocols = demo.Stack.TlsVersions,
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => TrustedBy(ca, certificate, errors),
            },
        };
        using var client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.ExpectContinue = false;

        var requests = demo.Requests();
        foreach (var request in requests)
        {
            using var message = request.ToHttp(demo.Stack.HttpVersion);
            using var response = await client.SendAsync(message);
            if (response.Version != demo.Stack.HttpVersion)
                throw new InvalidOperationException($"{request.Method} {request.Url} went over HTTP/{response.Version}, not HTTP/{demo.Stack.HttpVersion}");
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.NotModified))
                throw new InvalidOperationException($"{request.Method} {request.Url} answered {(int)response.StatusCode}: the reply addon does not know it");
        }
        var session = Session(demo, requests);
        await File.WriteAllTextAsync(truthPath, session.Truth);
        await File.WriteAllTextAsync(logPath, session.Log);
        Console.WriteLine($"{demo.Profile.Folder}: {requests.Count} requests sent ({demo.Stack.Describe()}), {requests.Count(r => r.Truthful)} to Meta hosts");
    }

    /// <summary>
    /// The ground truth and the request log (METHOD URL SHA-256 of the body, one line per request in script
    /// order) of an app's session. Both follow from the requests alone, and every time and identifier in a
    /// request comes from the script, so the script's requests are the same at every run: `truth` writes them
    /// without sending, and lab/record.sh checks them against the recorded flow file.
    /// </summary>
    private static (string Truth, string Log) Session(DemoApp demo, IReadOnlyList<LabRequest> requests)
    {
        var truth = new StringBuilder("app,request,location,key_path,semantic,value,not_sent\n");
        var log = new StringBuilder();
        for (var ordinal = 0; ordinal < requests.Count; ordinal++)
        {
            var request = requests[ordinal];
            log.Append(request.Method).Append(' ').Append(request.Url).Append(' ').Append(Convert.ToHexStringLower(SHA256.HashData(request.BodyBytes() ?? []))).Append('\n');
            foreach (var f in request.TruthFields())
                truth.Append(Csv.Row([demo.Profile.BundleId, ordinal.ToString(System.Globalization.CultureInfo.InvariantCulture), f.Location, f.KeyPath, f.Semantic, f.Value, f.NotSent ? "true" : "false"]));
        }
        return (truth.ToString(), log.ToString());
    }

    /// <summary>The proxy's leaf certificate must chain to the lab's mitmproxy CA and nothing else.</summary>
    private static bool TrustedBy(X509Certificate2 ca, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None) return false;
        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}

/// <summary>RFC 4180 rows: quoted when a value holds a comma, quote or line break.</summary>
public static class Csv
{
    public static string Row(IEnumerable<string> values) =>
        string.Join(',', values.Select(v => v.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{v.Replace("\"", "\"\"")}\"" : v)) + "\n";
}
