using System.Globalization;
using System.Net;

namespace ResearchPipeline.Enrichment;

/// <summary>
/// A host as the pipeline compares it: lower case, ASCII (IDN labels in their xn-- form), without a trailing
/// dot, port or brackets. An IP literal keeps its canonical address text and has no registrable domain.
/// </summary>
public sealed record HostName(string Value, IPAddress? Address)
{
    private static readonly IdnMapping Idn = new() { AllowUnassigned = true, UseStd3AsciiRules = false };

    public bool IsIpLiteral => Address is not null;

    /// <summary>The normalised host, or null with the reason when the text is not a usable host name.</summary>
    public static HostName? Parse(string? raw, out string? problem)
    {
        problem = null;
        var text = (raw ?? "").Trim();
        if (text.Length == 0)
        {
            problem = "empty host";
            return null;
        }

        // "[2001:db8::1]:443", "[2001:db8::1]", "1.2.3.4:80", "example.com:8080"
        if (text.StartsWith('['))
        {
            var close = text.IndexOf(']');
            if (close < 0)
            {
                problem = $"unbalanced bracket in host '{raw}'";
                return null;
            }
            text = text[1..close];
        }
        else if (text.Count(c => c == ':') == 1)
        {
            text = text[..text.IndexOf(':')];
        }

        if (text.Contains(':') || IsDottedQuad(text))
        {
            var zone = text.IndexOf('%');
            if (IPAddress.TryParse(zone >= 0 ? text[..zone] : text, out var address))
            {
                var canonical = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
                return new HostName(canonical.ToString(), canonical);
            }
            problem = $"'{raw}' looks like an IP address but does not parse as one";
            return null;
        }

        text = text.TrimEnd('.');
        if (text.Length == 0 || text.Contains(".."))
        {
            problem = $"'{raw}' has an empty label";
            return null;
        }
        string ascii;
        try
        {
            ascii = text.All(char.IsAscii) ? text : Idn.GetAscii(text);
        }
        catch (ArgumentException)
        {
            problem = $"'{raw}' is not a valid internationalised domain name";
            return null;
        }
        ascii = ascii.ToLowerInvariant();
        if (ascii.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '*')))
        {
            problem = $"'{raw}' has characters no host name has";
            return null;
        }
        return new HostName(ascii, null);
    }

    /// <summary>Four decimal labels: inet_aton's shorter and hex forms are not addresses an app would send.</summary>
    private static bool IsDottedQuad(string text)
    {
        // Every host of every request is asked this: its labels are looked at in place, not cut into strings.
        var labels = 0;
        foreach (var range in text.AsSpan().Split('.'))
        {
            var label = text.AsSpan()[range];
            if (++labels > 4 || label.Length is 0 or > 3 || label.ContainsAnyExceptInRange('0', '9')) return false;
        }
        return labels == 4;
    }

    /// <summary>The ASCII form of one name, for rules read from lists written in Unicode; null when it has none.</summary>
    internal static string? ToAscii(string name)
    {
        if (name.All(char.IsAscii)) return name.ToLowerInvariant();
        try
        {
            return Idn.GetAscii(name).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public override string ToString() => Value;
}
