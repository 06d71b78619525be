using System.Runtime.CompilerServices;

namespace ResearchPipeline.Identity;

/// <summary>One byte pattern to look for. <paramref name="IgnoreCase"/> folds ASCII letters on both sides.</summary>
public sealed record Needle<TTag>(byte[] Pattern, bool IgnoreCase, TTag Tag)
{
    /// <summary>Needles that find the same thing (the same bytes, the same rule for letter case), whatever they stand for.</summary>
    public static IEqualityComparer<Needle<TTag>> SamePattern { get; } = new PatternComparer();

    private sealed class PatternComparer : IEqualityComparer<Needle<TTag>>
    {
        public bool Equals(Needle<TTag>? a, Needle<TTag>? b) =>
            ReferenceEquals(a, b) || a is not null && b is not null && a.IgnoreCase == b.IgnoreCase && a.Pattern.AsSpan().SequenceEqual(b.Pattern);

        public int GetHashCode(Needle<TTag> needle)
        {
            var hash = new HashCode();
            hash.AddBytes(needle.Pattern);
            hash.Add(needle.IgnoreCase);
            return hash.ToHashCode();
        }
    }
}

/// <summary>Where a needle was found: start offset in the haystack and the needle's index.</summary>
public readonly record struct NeedleHit(int Start, int Length, int Needle);

/// <summary>
/// Finds every needle of a fixed set in one pass over a haystack (Aho-Corasick), so the cost is the haystack's
/// length whatever the number of needles; a search per needle would read every body once per needle and transform.
/// The states nearest the root, as many as fit a fixed budget, have a full row of transitions over the bytes the
/// needles use (one lookup per byte); deeper states, which in a set of long random tokens almost always have a
/// single child, keep only their children and a failure link. A study's thousands of secrets and identifiers would
/// otherwise make a table of hundreds of megabytes, nearly all of it copies of the root's row.
/// Built once, immutable, safe to share between threads.
/// </summary>
public sealed class NeedleSearch<TTag>
{
    /// <summary>Bytes of full transition rows at most; a device's known values fit whole, a study's secrets do not.</summary>
    private const long DenseBudgetBytes = 4 << 20;

    /// <summary>Entries of full rows at most, whatever the budget: the division by a row's length (<see cref="_perRow"/>) is exact below it.</summary>
    private const int MostRowEntries = 1 << 24;

    private readonly IReadOnlyList<Needle<TTag>> _needles;
    private readonly byte[] _class = new byte[256];
    private readonly int _classes;
    /// <summary>
    /// Full rows, one per dense state (the first <see cref="_denseStates"/> states, in breadth-first order). Once
    /// built, an entry is the code of the state it leads to (<see cref="Code"/>), complemented when that state ends
    /// a needle: the search's next lookup is then the entry plus a byte class, with no multiplication, and a state
    /// with nothing to report is told from one with something by the entry's sign alone. The search is a chain of
    /// lookups each waiting on the one before, so what each step adds to the chain sets its speed.
    /// </summary>
    private readonly int[] _dense;
    private readonly int _denseStates;
    /// <summary>Codes below this are dense states' rows in <see cref="_dense"/>; a sparse state's code is this plus its rank among them.</summary>
    private readonly int _denseLimit;
    /// <summary>
    /// A dense row's code divided by the row's length as a multiplication and a shift, for a state that ends a
    /// needle: exact for every code below <see cref="MostRowEntries"/> (2^24), as the error of the rounded-up
    /// reciprocal (at most the row's length, below 2^8), times a code, stays below 2^32.
    /// </summary>
    private readonly ulong _perRow;
    /// <summary>
    /// For a sparse state: its children's byte classes in <see cref="_childClass"/> from <see cref="_firstChild"/> (the
    /// k-th child listed is state k + 1), and its failure state.
    /// </summary>
    private readonly int[] _firstChild;
    private readonly byte[] _childClass;
    private readonly int[] _fail;
    /// <summary>The needles that end at state s (its own, then its failure state's): <see cref="_outputNeedles"/> from <see cref="_outputStart"/>[s] to [s + 1].</summary>
    private readonly int[] _outputStart;
    private readonly int[] _outputNeedles;

    public NeedleSearch(IEnumerable<Needle<TTag>> needles) : this(needles, DenseBudgetBytes) { }

    /// <param name="denseBudgetBytes">Bytes of full rows at most (tests make it small to search through the sparse states; the pseudonymiser keeps fewer).</param>
    internal NeedleSearch(IEnumerable<Needle<TTag>> needles, long denseBudgetBytes)
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

        // The trie, built from the needles in the order of their byte classes: each needle then shares with the one
        // before it the longest prefix it shares with any, so its path is the previous path up to that point and new
        // states after it, and no map of edges is needed. States are made in depth-first order, a state's children
        // in byte class order.
        var sorted = new int[_needles.Count];
        for (var i = 0; i < sorted.Length; i++) sorted[i] = i;
        Array.Sort(sorted, (a, b) => CompareClasses(_needles[a].Pattern, _needles[b].Pattern) is var c and not 0 ? c : a.CompareTo(b));
        var mostStates = 1L + _needles.Sum(n => (long)n.Pattern.Length);
        // Every state has a code (Code): the rows' entries, fewer than MostRowEntries, then the states without a row.
        if (mostStates > Array.MaxLength - (long)MostRowEntries) throw new ArgumentException($"needles of {mostStates} bytes in all: too many for one search");
        // State k + 1 is made by an edge from edgeParent[k] (every state but the root is made by one edge).
        var edgeParent = new int[mostStates - 1];
        var edgeClassMade = new byte[mostStates - 1];
        // A state's depth, until it is replaced by the state's breadth-first number below.
        var number = new int[mostStates];
        var longest = _needles.Count == 0 ? 0 : _needles.Max(n => n.Pattern.Length);
        var atDepth = new int[longest + 2];
        atDepth[0] = 1;
        // The state each needle ends at, in sorted order (equal needles are neighbours).
        var endOf = new int[sorted.Length];
        var path = new int[longest + 1];
        var states = 1;
        byte[]? previous = null;
        for (var at = 0; at < sorted.Length; at++)
        {
            var pattern = _needles[sorted[at]].Pattern;
            var shared = 0;
            if (previous is not null)
            {
                var most = Math.Min(previous.Length, pattern.Length);
                while (shared < most && _class[previous[shared]] == _class[pattern[shared]]) shared++;
            }
            for (var depth = shared; depth < pattern.Length; depth++)
            {
                edgeParent[states - 1] = path[depth];
                edgeClassMade[states - 1] = _class[pattern[depth]];
                number[states] = depth + 1;
                atDepth[depth + 1]++;
                path[depth + 1] = states++;
            }
            endOf[at] = path[pattern.Length];
            previous = pattern;
        }

        // States are numbered breadth first, so that a state's failure state, being shallower, comes before it. In a
        // tree whose children are ordered, the states of one depth stand in the same order breadth first as depth
        // first: a state's number is the states of lesser depth plus those of its depth made before it. The children
        // of a state are then consecutive numbers, in byte class order, and the children of all states in turn are
        // the states 1, 2, 3...: the k-th child listed is state k + 1, and only its byte class need be kept.
        for (int depth = 0, before = 0; depth < atDepth.Length; depth++) (atDepth[depth], before) = (before, before + atDepth[depth]);
        _firstChild = new int[states + 1];
        _childClass = new byte[states - 1];
        number[0] = atDepth[0]++;
        for (var state = 1; state < states; state++)
        {
            var n = number[state] = atDepth[number[state]]++;
            // The parent was made, and numbered, before its child.
            _firstChild[number[edgeParent[state - 1]] + 1]++;
            _childClass[n - 1] = edgeClassMade[state - 1];
        }
        for (var s = 0; s < states; s++) _firstChild[s + 1] += _firstChild[s];
        // Where the needles ending at a state begin in sorted order, plus one (0: none).
        var endsFrom = new int[states];
        for (var at = 0; at < endOf.Length; at++)
        {
            endOf[at] = number[endOf[at]];
            if (endsFrom[endOf[at]] == 0) endsFrom[endOf[at]] = at + 1;
        }

        _denseStates = (int)Math.Clamp(denseBudgetBytes / (4L * _classes), 1, Math.Min(states, MostRowEntries / _classes));
        _dense = new int[_denseStates * _classes];
        _fail = new int[states];
        _outputStart = new int[states + 1];
        var outputNeedles = new List<int>(_needles.Count);
        for (var s = 0; s < states; s++)
        {
            _outputStart[s] = outputNeedles.Count;
            if (endsFrom[s] > 0)
                for (var at = endsFrom[s] - 1; at < sorted.Length && endOf[at] == s; at++) outputNeedles.Add(sorted[at]);
            if (s > 0)
                for (var k = _outputStart[_fail[s]]; k < _outputStart[_fail[s] + 1]; k++) outputNeedles.Add(outputNeedles[k]);
            for (var k = _firstChild[s]; k < _firstChild[s + 1]; k++)
                _fail[k + 1] = s == 0 ? 0 : Next(_fail[s], _childClass[k]);
            if (s < _denseStates)
            {
                // A state's row is its failure state's row (shallower, so dense and complete) with its own children
                // written over it: the transition function, without a search per byte class.
                var row = s * _classes;
                if (s > 0) Array.Copy(_dense, _fail[s] * _classes, _dense, row, _classes);
                for (var k = _firstChild[s]; k < _firstChild[s + 1]; k++) _dense[row + _childClass[k]] = k + 1;
            }
        }
        _outputStart[states] = outputNeedles.Count;
        _outputNeedles = [.. outputNeedles];
        _denseLimit = _denseStates * _classes;
        _perRow = (1UL << 32) / (ulong)_classes + 1;
        for (var i = 0; i < _dense.Length; i++) _dense[i] = Entry(_dense[i]);
    }

    /// <summary>Where a dense state's row begins in <see cref="_dense"/>; past the rows, a sparse state's rank.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Code(int state) => state < _denseStates ? state * _classes : _denseLimit + (state - _denseStates);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int StateOf(int code) => code < _denseLimit ? (int)((ulong)code * _perRow >> 32) : _denseStates + (code - _denseLimit);

    /// <summary>A transition as a row of <see cref="_dense"/> holds it once built: the state's code, complemented when it ends a needle.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Entry(int state) => _outputStart[state + 1] > _outputStart[state] ? ~Code(state) : Code(state);

    /// <summary>
    /// The automaton's transition while it is built (rows hold states): a dense state's row, else its child, else its
    /// failure state's transition.
    /// </summary>
    private int Next(int state, int cls)
    {
        while (state >= _denseStates)
        {
            for (var k = _firstChild[state]; k < _firstChild[state + 1]; k++)
                if (_childClass[k] == cls) return k + 1;
            state = _fail[state];
        }
        return _dense[state * _classes + cls];
    }

    /// <summary>The transition from a sparse state once built, as an entry of <see cref="_dense"/>.</summary>
    private int SparseEntry(int state, int cls)
    {
        while (state >= _denseStates)
        {
            for (var k = _firstChild[state]; k < _firstChild[state + 1]; k++)
                if (_childClass[k] == cls) return Entry(k + 1);
            state = _fail[state];
        }
        return _dense[state * _classes + cls];
    }

    public IReadOnlyList<Needle<TTag>> Needles => _needles;

    public bool IsEmpty => _needles.Count == 0;

    /// <summary>Every occurrence of every needle, verified byte for byte (exact for case-sensitive needles).</summary>
    public void Search(ReadOnlySpan<byte> haystack, List<NeedleHit> hits)
    {
        if (_needles.Count == 0) return;
        var code = 0;
        var dense = _dense;
        var denseLimit = _denseLimit;
        var cls = _class;
        var outputStart = _outputStart;
        var outputNeedles = _outputNeedles;
        for (var i = 0; i < haystack.Length; i++)
        {
            var c = cls[haystack[i]];
            var entry = code < denseLimit ? dense[code + c] : SparseEntry(StateOf(code), c);
            if (entry >= 0)
            {
                code = entry;
                continue;
            }
            code = ~entry;
            var state = StateOf(code);
            for (var k = outputStart[state]; k < outputStart[state + 1]; k++)
            {
                var needle = _needles[outputNeedles[k]];
                var start = i - needle.Pattern.Length + 1;
                if (needle.IgnoreCase || haystack.Slice(start, needle.Pattern.Length).SequenceEqual(needle.Pattern))
                    hits.Add(new NeedleHit(start, needle.Pattern.Length, outputNeedles[k]));
            }
        }
    }

    /// <summary>Two patterns in the order of their byte classes, a prefix first.</summary>
    private int CompareClasses(byte[] a, byte[] b)
    {
        var most = Math.Min(a.Length, b.Length);
        for (var k = 0; k < most; k++)
        {
            var d = _class[a[k]] - _class[b[k]];
            if (d != 0) return d;
        }
        return a.Length - b.Length;
    }

    private static byte Fold(byte b) => b is >= (byte)'A' and <= (byte)'Z' ? (byte)(b + 32) : b;
}
