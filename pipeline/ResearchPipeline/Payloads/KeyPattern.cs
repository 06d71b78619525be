using System.Text;
using System.Text.RegularExpressions;

namespace ResearchPipeline.Payloads;

/// <summary>
/// A pattern over flattened key paths, written the way paths are: <c>extinfo[5]</c>, <c>custom_events[*]._logTime</c>
/// (<c>[*]</c> = any index), <c>ud.*</c> (<c>*</c> = any one key), <c>crash_reports**</c> (<c>**</c> = anything that follows).
/// Where a source does not say whether a step is an array item or an object key (TrackHAR's JSONPath, protobuf
/// field numbers), <c>events{*}.user.id</c> is one step of either kind and <c>1{*}{14}</c> the step named 14
/// (<c>.14</c> or <c>[14]</c>). Matching is exact and case-sensitive, as the senders' keys are.
/// </summary>
public sealed class KeyPattern
{
    // Null for a pattern without a wildcard, which is the key path itself: most of the adapters' thousands of patterns.
    private readonly string? _expression;
    private Regex? _regex;

    public KeyPattern(string text)
    {
        Text = text;
        if (text.AsSpan().IndexOfAny('*', '{') < 0) return;
        var sb = new StringBuilder("^");
        for (var i = 0; i < text.Length; i++)
        {
            if (text.AsSpan(i).StartsWith("[*]")) { sb.Append(@"\[\d+\]"); i += 2; }
            else if (text[i] == '{' && text.IndexOf('}', i) is var close and > 0)
            {
                var step = text[(i + 1)..close];
                var lead = i == 0 ? "" : @"\.";
                sb.Append(step == "*" ? $@"(?:{lead}[^.\[\]]+|\[\d+\])" : $@"(?:{lead}{Regex.Escape(step)}|\[{Regex.Escape(step)}\])");
                i = close;
            }
            else if (text.AsSpan(i).StartsWith("**")) { sb.Append(".*"); i += 1; }
            else if (text[i] == '*') sb.Append(@"[^.\[\]]+");
            else sb.Append(Regex.Escape(text[i].ToString()));
        }
        // The end of the text, not $, which also matches before a final line feed.
        sb.Append(@"\z");
        _expression = sb.ToString();
    }

    public string Text { get; }

    public bool Matches(string keyPath)
    {
        if (_expression is null) return string.Equals(keyPath, Text, StringComparison.Ordinal);
        // Built on first use: a study meets the endpoints of a few adapters, and only their patterns are asked.
        // Interpreted, not compiled: each is matched against a distinct key path once (the semantic dictionaries
        // remember the answers), so compiling them cost more than it saved.
        var regex = Volatile.Read(ref _regex);
        if (regex is null)
        {
            // Two threads may each build one; either serves.
            regex = new Regex(_expression, RegexOptions.CultureInvariant);
            Volatile.Write(ref _regex, regex);
        }
        return regex.IsMatch(keyPath);
    }

    public override string ToString() => Text;
}
