using System.Text.RegularExpressions;

namespace ResearchPipeline.Site;

/// <summary>A reference to SDK source code inside a semantic source text, and where it can be read.</summary>
public sealed record SdkSourceLink(string Text, string Url);

/// <summary>
/// Turns the SDK references of the semantic dictionary's source column ("I18 CK/GraphAPI/FBSDKGraphRequestConnection.m
/// L1276-1291") into links to that file at that release. The tags and path abbreviations are the ones
/// semantics.csv declares in its header; a reference with a full path links to the lines, one with a bare file
/// name to a search for that file in the release's repository, since the dictionary does not say its folder.
/// </summary>
public static partial class SdkSources
{
    private sealed record Release(string Repository, string Tag);

    private static readonly Dictionary<string, Release> Releases = new(StringComparer.Ordinal)
    {
        ["I18"] = new("facebook/facebook-ios-sdk", "v18.1.0"),
        ["I17"] = new("facebook/facebook-ios-sdk", "v17.0.0"),
        ["A18"] = new("facebook/facebook-android-sdk", "sdk-version-18.3.0"),
        ["A4"] = new("facebook/facebook-android-sdk", "sdk-version-4.0.0"),
    };

    private static readonly (string Prefix, string Path)[] Abbreviations =
    [
        ("CK/", "FBSDKCoreKit/FBSDKCoreKit/"),
        ("core/", "facebook-core/src/main/java/com/facebook/"),
    ];

    [GeneratedRegex(@"\b(?<tag>[IA]\d+) (?<file>[A-Za-z0-9_./]+\.(?:m|h|swift|kt|java))(?: L(?<from>\d+)(?:-(?<to>\d+))?)?")]
    private static partial Regex Reference();

    /// <summary>The SDK references in one source text, in the order written.</summary>
    public static IReadOnlyList<SdkSourceLink> Links(string source)
    {
        var links = new List<SdkSourceLink>();
        foreach (Match m in Reference().Matches(source))
        {
            if (!Releases.TryGetValue(m.Groups["tag"].Value, out var release)) continue;
            var file = m.Groups["file"].Value;
            var expanded = Abbreviations.Where(a => file.StartsWith(a.Prefix, StringComparison.Ordinal)).Select(a => a.Path + file[a.Prefix.Length..]).FirstOrDefault();
            string url;
            if (expanded is not null || file.Contains('/'))
            {
                var lines = m.Groups["from"].Success ? "#L" + m.Groups["from"].Value + (m.Groups["to"].Success ? "-L" + m.Groups["to"].Value : "") : "";
                url = $"https://github.com/{release.Repository}/blob/{release.Tag}/{expanded ?? file}{lines}";
            }
            else
            {
                var name = file[(file.LastIndexOf('/') + 1)..];
                url = $"https://github.com/search?type=code&q={Uri.EscapeDataString($"repo:{release.Repository} path:{name}")}";
            }
            links.Add(new SdkSourceLink(m.Value, url));
        }
        return links;
    }
}
