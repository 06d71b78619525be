using System.Text;

namespace CaptureLab.Wire;

/// <summary>The percent-encodings the SDKs use; each keeps a different set of characters as they are.</summary>
public static class Percent
{
    /// <summary>iOS FBSDKUtility URLEncode: only RFC 3986 unreserved characters stay as they are.</summary>
    public static string Ios(string s) => Encode(s, c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~', spaceAsPlus: false);

    /// <summary>Android Uri.encode (query strings built with Uri.Builder): also keeps ! ' ( ) *.</summary>
    public static string AndroidUri(string s) => Encode(s, c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '\'' or '(' or ')' or '*', spaceAsPlus: false);

    /// <summary>java.net.URLEncoder (Android form bodies): keeps . - * _, writes space as '+'.</summary>
    public static string JavaForm(string s) => Encode(s, c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '*' or '_', spaceAsPlus: true);

    private static string Encode(string s, Func<char, bool> keep, bool spaceAsPlus)
    {
        var sb = new StringBuilder(s.Length);
        foreach (var b in Encoding.UTF8.GetBytes(s))
        {
            var c = (char)b;
            if (b < 0x80 && keep(c)) sb.Append(c);
            else if (c == ' ' && spaceAsPlus) sb.Append('+');
            else sb.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb.ToString();
    }
}
