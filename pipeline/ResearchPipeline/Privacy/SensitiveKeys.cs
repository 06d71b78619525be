using ResearchPipeline.Payloads;

namespace ResearchPipeline.Privacy;

/// <summary>What the last key of a field's key path says of the field's value.</summary>
public enum SensitiveKey : byte
{
    /// <summary>A key that names neither a secret nor an identifier, or no key (a path that ends at the root: a whole body).</summary>
    None,
    /// <summary>A secret parameter's name (<see cref="SecretRedaction.IsSecret(ReadOnlySpan{char})"/>).</summary>
    Secret,
    /// <summary>An identifier parameter's name (<see cref="SensitiveValues.IsIdentifier(ReadOnlySpan{char})"/>).</summary>
    Identifier,
}

/// <summary>
/// A field's key path classified by its last key (<see cref="KeyPaths.LastKey"/>), the one reading the published value's
/// redaction, the secrets collector and the pseudonymiser all take, so that a value removed from its own field is also
/// collected and removed wherever else it was sent.
/// </summary>
public static class SensitiveKeys
{
    // Asked for every decoded field twice (its published value, the secrets collected), of key paths that repeat request
    // after request as the same string (Interned): remembered per thread by the string itself.
    [ThreadStatic] private static (string? KeyPath, SensitiveKey Kind)[]? t_kinds;

    public static SensitiveKey Of(string keyPath) => ReferenceMemo.Get(ref t_kinds, 1024, keyPath, static path => OfName(KeyPaths.LastKeySpan(path)));

    /// <summary>What a parameter's name (a pair's key, or a key path's last key) says of its value: a secret first.</summary>
    public static SensitiveKey OfName(ReadOnlySpan<char> name) =>
        SecretRedaction.IsSecret(name) ? SensitiveKey.Secret
        : SensitiveValues.IsIdentifier(name) ? SensitiveKey.Identifier
        : SensitiveKey.None;
}
