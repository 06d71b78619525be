using System.Collections.Immutable;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Payloads;

/// <summary>Which part of the request a field was sent in.</summary>
public enum PayloadLocation
{
    Query,
    Body,
    Header,
    Cookie,
}

/// <summary>What a field's value is, after decoding.</summary>
public static class ValueTypes
{
    public const string String = "string";
    public const string Number = "number";
    public const string Bool = "bool";
    public const string Null = "null";
    /// <summary>An empty JSON object, sent as such (e.g. <c>ud={}</c>): the key was sent without content.</summary>
    public const string EmptyObject = "object";
    public const string EmptyArray = "array";
    /// <summary>Bytes that are not text (a multipart file part); the value says how many.</summary>
    public const string Binary = "binary";
    /// <summary>A body that could not be decoded (bad gzip, invalid JSON, over the size cap); a quality row says why.</summary>
    public const string Undecoded = "undecoded";
    /// <summary>A placeholder the sender puts where it deliberately sends nothing (iOS SDK >= 17 disk slots <c>-1</c>).</summary>
    public const string NotSent = "not_sent";
}

/// <summary>
/// One decoded field of a request: where it was, its flattened key path (<c>extinfo[5]</c>,
/// <c>custom_events[0]._eventName</c>), its value as text, and the decoding steps that led to it
/// (<c>gzip&gt;form&gt;json</c>).
/// </summary>
public sealed record PayloadField(PayloadLocation Location, string KeyPath, string? Value, string ValueType, string Transforms)
{
    /// <summary>Key path of a field that stands for a whole body (undecoded, or plain text).</summary>
    public const string WholeBody = "$body";

    public static string LocationName(PayloadLocation location) => location switch
    {
        PayloadLocation.Query => "query",
        PayloadLocation.Body => "body",
        PayloadLocation.Header => "header",
        PayloadLocation.Cookie => "cookie",
        _ => throw new ArgumentOutOfRangeException(nameof(location)),
    };
}

/// <summary>A body or value that could not be decoded; becomes a quality row of stage <c>decode</c>.</summary>
public sealed record DecodeProblem(Severity Severity, string Message);

/// <summary>Every field of one request in the order it was sent, and what could not be decoded.</summary>
public sealed record DecodedRequest(ImmutableArray<PayloadField> Fields, ImmutableArray<DecodeProblem> Problems);
