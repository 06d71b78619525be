using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace ResearchPipeline.Captures.Mitmproxy;

/// <summary>
/// One value of a tnetstring (typed netstring), the container mitmproxy writes its flows in. Values are
/// immutable, so that each flow-format upgrade step returns a new flow instead of editing a shared one.
/// </summary>
internal abstract record TNetValue;

/// <summary>
/// A string: <c>,</c> is raw bytes, <c>;</c> is UTF-8 text. Python 2 era files (mitmproxy up to 0.17) write
/// every string, even the names of fields, as bytes; readers treat both alike where they want text.
/// </summary>
internal sealed record TNetString(ReadOnlyMemory<byte> Bytes, bool IsText) : TNetValue
{
    public static TNetString Of(string text) => new(Encoding.UTF8.GetBytes(text), true);

    /// <summary>UTF-8 where the bytes are UTF-8, else Latin-1, so that every byte survives and the result never depends on culture.</summary>
    public string Text => Decode(Bytes.Span);

    internal static string Decode(ReadOnlySpan<byte> bytes) =>
        System.Text.Unicode.Utf8.IsValid(bytes) ? Encoding.UTF8.GetString(bytes) : Encoding.Latin1.GetString(bytes);
}

internal sealed record TNetInteger(long Value) : TNetValue;

internal sealed record TNetFloat(double Value) : TNetValue;

internal sealed record TNetBoolean(bool Value) : TNetValue
{
    public static TNetBoolean True { get; } = new(true);
    public static TNetBoolean False { get; } = new(false);
}

internal sealed record TNetNull : TNetValue
{
    public static TNetNull Value { get; } = new();
}

internal sealed record TNetList(ImmutableArray<TNetValue> Items) : TNetValue
{
    public static TNetList Empty { get; } = new(ImmutableArray<TNetValue>.Empty);
    public static TNetList Of(params TNetValue[] items) => new([.. items]);
}

/// <summary>
/// A dictionary in file order. Keys are decoded to text whatever their tnetstring type, because mitmproxy
/// wrote them as bytes until 0.17 and as text since; its own <c>convert_unicode</c> step did the same.
/// </summary>
internal sealed record TNetDict(ImmutableArray<KeyValuePair<string, TNetValue>> Entries) : TNetValue
{
    public static TNetDict Empty { get; } = new(ImmutableArray<KeyValuePair<string, TNetValue>>.Empty);

    public TNetValue? this[string key]
    {
        get
        {
            foreach (var e in Entries)
            {
                if (e.Key == key) return e.Value;
            }
            return null;
        }
    }

    public bool Has(string key) => this[key] is not null;

    /// <summary>The field as a dictionary; null where it is absent, None or another type.</summary>
    public TNetDict? Dict(string key) => this[key] as TNetDict;

    public TNetList? List(string key) => this[key] as TNetList;

    /// <summary>The field as text, whether stored as bytes or text; numbers are written invariantly.</summary>
    public string? Text(string key) => AsText(this[key]);

    public long? Integer(string key) => this[key] is TNetInteger i ? i.Value : null;

    /// <summary>A number field as a double: mitmproxy writes timestamps as floats, but an integral one may come as an integer.</summary>
    public double? Number(string key) => this[key] switch
    {
        TNetFloat f when double.IsFinite(f.Value) => f.Value,
        TNetInteger i => i.Value,
        _ => null,
    };

    /// <summary>Python truthiness, which the upgrade steps of mitmproxy test with a bare <c>if</c>.</summary>
    public bool IsTruthy(string key) => Truthy(this[key]);

    public TNetDict With(string key, TNetValue value)
    {
        for (var i = 0; i < Entries.Length; i++)
        {
            if (Entries[i].Key == key) return new TNetDict(Entries.SetItem(i, new(key, value)));
        }
        return new TNetDict(Entries.Add(new(key, value)));
    }

    public TNetDict WithDefault(string key, TNetValue value) => Has(key) ? this : With(key, value);

    public TNetDict Without(params string[] keys) =>
        new(Entries.RemoveAll(e => Array.IndexOf(keys, e.Key) >= 0));

    /// <summary>Moves a field to a new name (None where it was absent), as Python's <c>d[new] = d.pop(old, None)</c>.</summary>
    public TNetDict Renamed(string from, string to)
    {
        var value = this[from] ?? TNetNull.Value;
        return Without(from).With(to, value);
    }

    /// <summary>Applies <paramref name="update"/> to the dictionary under <paramref name="key"/>; leaves the flow alone where there is none (a flow without a response).</summary>
    public TNetDict Updated(string key, Func<TNetDict, TNetDict> update) =>
        this[key] is TNetDict inner ? With(key, update(inner)) : this;

    internal static string? AsText(TNetValue? value) => value switch
    {
        TNetString s => s.Text,
        TNetInteger i => i.Value.ToString(CultureInfo.InvariantCulture),
        TNetFloat f => f.Value.ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };

    internal static bool Truthy(TNetValue? value) => value switch
    {
        null or TNetNull => false,
        TNetBoolean b => b.Value,
        TNetString s => s.Bytes.Length > 0,
        TNetInteger i => i.Value != 0,
        TNetFloat f => f.Value != 0,
        TNetList l => l.Items.Length > 0,
        TNetDict d => d.Entries.Length > 0,
        _ => false,
    };
}
