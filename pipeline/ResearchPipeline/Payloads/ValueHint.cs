namespace ResearchPipeline.Payloads;

/// <summary>How a string value at some key path is itself encoded, when its shape alone does not say.</summary>
public enum ValueForm
{
    /// <summary>A relative or absolute URL: split into <c>.path</c> and <c>.query.&lt;key&gt;</c>.</summary>
    Url,
    /// <summary>A form-urlencoded string: its pairs become <c>.&lt;key&gt;</c>.</summary>
    Form,
    /// <summary>A protobuf message read without a schema: fields become <c>.&lt;number&gt;</c>, messages <c>.&lt;number&gt;[i]</c>.</summary>
    Protobuf,
    /// <summary>Lines of JSON (a Sentry envelope): line i's keys become <c>[i].&lt;key&gt;</c>.</summary>
    JsonLines,
}

/// <summary>An adapter's statement that values at <paramref name="Pattern"/> are encoded as <paramref name="Form"/>.</summary>
public sealed record ValueHint(KeyPattern Pattern, ValueForm Form, string Reason);
