using System.Text.Encodings.Web;
using System.Text.Json;
using ResearchPipeline.Privacy;

namespace ResearchPipeline.Tests.Privacy;

public class EncodedFormsTests
{
    // Values as secrets come: with quotes, slashes, HTML characters, '+', control characters, letters outside
    // ASCII, an emoji and an unpaired surrogate (a capture can hold any UTF-16 a decoder let through).
    private static readonly string[] Values =
    [
        "EAAB+token/with\"quotes\"&<tags>'", "line\nbreak\ttab\u0001", "Zürich Ελλάδα 日本", "emoji 😀", "half \ud83d surrogate", "plain-ascii_123",
    ];

    [TestCaseSource(nameof(Values))]
    public void The_JSON_escaped_forms_are_the_strings_JSON_serialisers_write(string value)
    {
        // What System.Text.Json writes (strict) and what JSON.stringify-like writers leave unescaped (relaxed).
        static string Written(string v, JavaScriptEncoder encoder) => JsonSerializer.Serialize(v, new JsonSerializerOptions { Encoder = encoder })[1..^1];
        var escaped = EncodedForms.Of(value).Where(f => f.Encoding == "JSON-escaped").Select(f => f.Text).ToList();
        var expected = new[] { Written(value, JavaScriptEncoder.Default), Written(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping) }
            .Where(t => t != value).Distinct().ToList();
        Assert.That(escaped, Is.EqualTo(expected.Where(t => !OtherForms(value).Contains(t)).ToList()));
    }

    private static HashSet<string> OtherForms(string value) =>
        EncodedForms.Of(value).Where(f => f.Encoding != "JSON-escaped").Select(f => f.Text).ToHashSet(StringComparer.Ordinal);
}
