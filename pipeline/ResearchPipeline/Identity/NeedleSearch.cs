namespace ResearchPipeline.Identity;

/// <summary>One byte pattern to look for. <paramref name="IgnoreCase"/> folds ASCII letters on both sides.</summary>
public sealed record Needle<TTag>(byte[] Pattern, bool IgnoreCase, TTag Tag);

/// <summary>Where a needle was found: start offset in the haystack and the needle's index.</summary>
public readonly record struct NeedleHit(int Start, int Length, int Needle);

/// <summary>
/// Finds every needle of a fixed set in one pass over a haystack (Aho-Corasick, as a full transition table
/// over the bytes the needles use), so the cost is the haystack's length whatever the number of needles;
/// a search per needle would read every body once per needle and transform.
/// Built once, immutable, safe to share between threads.
/// </summary>
public sealed class NeedleSearch<TTag>
{
    private readonly IReadOnlyList<Needle<TTag>> _needles;
    private readonly byte[] _class = new byte[256];
    private readonly int _classes;
    private readonly int[] _next;
    private readonly int[][] _outputs;

    public NeedleSearch(IEnumerable<Needle<TTag>> needles)
    {
        _needles = needles.Where(n => n.Pattern.Length > 0).ToList();
        // Byte classes: each folded byte some needle uses gets its own column; every other byte shares column 0.
        var classCount = 1;
        foreach (var n in _needles)
        {
            foreach (var b in n.Pattern)
            {
                var f = Fold(b);
                if (_class[f] == 0)
                {
                    if (classCount == 255) throw new ArgumentException("too many distinct bytes in the needles");
                    _class[f] = (byte)classCount++;
                }
            }
        }
        _classes = classCount;
        for (var b = 0; b < 256; b++) _class[b] = _class[Fold((byte)b)];

        // Trie, built straight into the transition table (one flat array: a row per state, a column per byte
        // class), whose empty cells the breadth-first pass below fills with the failure transitions. A row
        // array per state would double the memory and make a million small objects for a long needle list.
        // Sized once for the most states the needles can make (one per byte, plus the root): a table grown by
        // doubling and copied out at the end held up to three times its size at the moment it was largest.
        var maxStates = 1L + _needles.Sum(n => (long)n.Pattern.Length);
        if (maxStates * _classes > Array.MaxLength) throw new ArgumentException("too many needle bytes for one transition table");
        int[]? table = new int[maxStates * _classes];
        // Most states end no needle: their output list stays null.
        var outputs = new List<List<int>?> { null };
        for (var i = 0; i < _needles.Count; i++)
        {
            var state = 0;
            foreach (var b in _needles[i].Pattern)
            {
                var cell = state * _classes + _class[b];
                if (table[cell] <= 0)
                {
                    var child = outputs.Count;
                    outputs.Add(null);
                    table[cell] = child;
                }
                state = table[cell];
            }
            (outputs[state] ??= []).Add(i);
        }

        // Failure links, breadth first: a state's children are the cells set above (always a deeper state,
        // so never 0); every other cell takes the transition of the state's failure state, already complete.
        var states = outputs.Count;
        // Shared prefixes leave rows unused at the end; cut them off only when that saves much.
        _next = states * 4L < maxStates * 3 ? table.AsSpan(0, states * _classes).ToArray() : table!;
        table = null;
        var fail = new int[states];
        var queue = new Queue<int>();
        for (var c = 0; c < _classes; c++)
        {
            var s = _next[c];
            if (s > 0)
            {
                fail[s] = 0;
                queue.Enqueue(s);
            }
        }
        while (queue.Count > 0)
        {
            var r = queue.Dequeue();
            if (outputs[fail[r]] is { } inherited) (outputs[r] ??= []).AddRange(inherited);
            for (var c = 0; c < _classes; c++)
            {
                var s = _next[r * _classes + c];
                if (s > 0)
                {
                    fail[s] = _next[fail[r] * _classes + c];
                    queue.Enqueue(s);
                }
                else
                {
                    _next[r * _classes + c] = _next[fail[r] * _classes + c];
                }
            }
        }
        _outputs = outputs.Select(o => o is null ? [] : o.ToArray()).ToArray();

    }

    public IReadOnlyList<Needle<TTag>> Needles => _needles;

    public bool IsEmpty => _needles.Count == 0;

    /// <summary>Every occurrence of every needle, verified byte for byte (exact for case-sensitive needles).</summary>
    public void Search(ReadOnlySpan<byte> haystack, List<NeedleHit> hits)
    {
        if (_needles.Count == 0) return;
        var state = 0;
        var next = _next;
        var cls = _class;
        var classes = _classes;
        for (var i = 0; i < haystack.Length; i++)
        {
            state = next[state * classes + cls[haystack[i]]];
            var outs = _outputs[state];
            if (outs.Length == 0) continue;
            foreach (var n in outs)
            {
                var needle = _needles[n];
                var start = i - needle.Pattern.Length + 1;
                if (needle.IgnoreCase || haystack.Slice(start, needle.Pattern.Length).SequenceEqual(needle.Pattern))
                    hits.Add(new NeedleHit(start, needle.Pattern.Length, n));
            }
        }
    }

    /// <summary>True when any needle occurs in the haystack.</summary>
    public bool Contains(ReadOnlySpan<byte> haystack)
    {
        var hits = new List<NeedleHit>();
        Search(haystack, hits);
        return hits.Count > 0;
    }

    private static byte Fold(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
}
