namespace ResearchPipeline.Enrichment;

/// <summary>
/// The Public Suffix List's matching algorithm (publicsuffix.org/list/): the longest matching rule names the
/// public suffix, a wildcard rule (<c>*.ck</c>) matches any one label in its place, an exception rule
/// (<c>!www.ck</c>) wins over every other rule and makes its own parent the suffix, and a host no rule
/// matches has its last label as suffix. The registrable domain is the suffix plus one more label.
/// </summary>
public sealed class PublicSuffixList
{
    private readonly HashSet<string> _rules;
    private readonly HashSet<string> _wildcards;
    private readonly HashSet<string> _exceptions;

    private PublicSuffixList(HashSet<string> rules, HashSet<string> wildcards, HashSet<string> exceptions, string source)
    {
        _rules = rules;
        _wildcards = wildcards;
        _exceptions = exceptions;
        Source = source;
    }

    /// <summary>Which list answered (package@version/file), for citation.</summary>
    public string Source { get; }

    public int RuleCount => _rules.Count + _wildcards.Count + _exceptions.Count;

    /// <summary>
    /// Reads rules from the list's own format (<c>public_suffix_list.dat</c>: one rule per line, <c>//</c>
    /// comments) or from the psl package's <c>rules.js</c> (a JavaScript array of the same rules as strings).
    /// Rules written in Unicode are kept in their ASCII (xn--) form, as hosts are compared that way.
    /// </summary>
    public static PublicSuffixList Parse(TextReader text, string source)
    {
        var rules = new HashSet<string>(StringComparer.Ordinal);
        var wildcards = new HashSet<string>(StringComparer.Ordinal);
        var exceptions = new HashSet<string>(StringComparer.Ordinal);
        while (text.ReadLine() is { } line)
        {
            // Every run reads the list's ten thousand lines: each is looked at in place, and only its rule made a string.
            var rule = line.AsSpan().Trim();
            if (rule.StartsWith("//") || rule.IsEmpty) continue;
            if (JsString(rule, out var quoted)) rule = quoted;
            else if (rule.ContainsAny('"', '[', ']')) continue;
            // The list format: the rule is the first whitespace-delimited word of the line.
            rule = rule.TrimStart();
            var word = 0;
            while (word < rule.Length && !char.IsWhiteSpace(rule[word])) word++;
            rule = rule[..word];
            if (rule.IsEmpty) continue;

            var set = rules;
            if (rule.StartsWith('!'))
            {
                set = exceptions;
                rule = rule[1..];
            }
            else if (rule.StartsWith("*."))
            {
                set = wildcards;
                rule = rule[2..];
            }
            if (HostName.ToAscii(new string(rule.TrimEnd('.'))) is { Length: > 0 } ascii) set.Add(ascii);
        }
        return new PublicSuffixList(rules, wildcards, exceptions, source);
    }

    public static PublicSuffixList Load(string path, string source)
    {
        using var reader = new StreamReader(path);
        return Parse(reader, source);
    }

    /// <summary>The public suffix of an already normalised host name (lower case, ASCII, no trailing dot).</summary>
    public string PublicSuffix(string host)
    {
        var labels = host.Split('.');
        var n = labels.Length;
        for (var i = 1; i < n; i++)
        {
            if (_exceptions.Contains(Join(labels, i - 1))) return Join(labels, i);
        }
        for (var i = 0; i < n; i++)
        {
            if (_rules.Contains(Join(labels, i)) || (i + 1 < n && _wildcards.Contains(Join(labels, i + 1)))) return Join(labels, i);
        }
        return labels[^1];
    }

    /// <summary>The public suffix plus one label; null when the host is itself a public suffix.</summary>
    public string? RegistrableDomain(string host)
    {
        if (host.Length == 0) return null;
        var suffix = PublicSuffix(host);
        if (suffix.Length >= host.Length) return null;
        var rest = host[..(host.Length - suffix.Length - 1)];
        var dot = rest.LastIndexOf('.');
        return (dot >= 0 ? rest[(dot + 1)..] : rest) + "." + suffix;
    }

    private static string Join(string[] labels, int from) => string.Join('.', labels, from, labels.Length - from);

    /// <summary>A line of rules.js: one quoted rule (no quote inside), with a comma after it but for the last.</summary>
    private static bool JsString(ReadOnlySpan<char> line, out ReadOnlySpan<char> rule)
    {
        rule = default;
        if (line.Length < 3 || line[0] != '"') return false;
        var rest = line[1..];
        if (rest[^1] == ',') rest = rest[..^1];
        if (rest.Length < 2 || rest[^1] != '"' || rest[..^1].Contains('"')) return false;
        rule = rest[..^1];
        return true;
    }
}
