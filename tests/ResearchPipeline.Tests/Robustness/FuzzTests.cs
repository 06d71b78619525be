using CsCheck;
using ResearchPipeline.Captures;

namespace ResearchPipeline.Tests.Robustness;

/// <summary>
/// Property-based fuzzing of every capture reader: mutated real captures (CsCheck generates the mutation and
/// shrinks a failing one to the simplest) must never make a reader throw or hang. `make fuzz FUZZ_SECONDS=600`
/// runs it for longer; the suite runs a few seconds per format. A failure prints CsCheck's seed: pass it as
/// <c>seed:</c> in a test below to keep it as a regression test.
/// </summary>
[Category("Fuzz")]
public class FuzzTests
{
    private static int Seconds => int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SECONDS"), out var s) && s > 0 ? s : 3;

    /// <summary>What to do to a seed: which seed, which mutation, where, and with what bytes.</summary>
    public sealed record Mutation(int Seed, int Kind, int[] Positions, byte[] Bytes);

    private static readonly Gen<Mutation> Mutations =
        Gen.Select(Gen.Int[0, 1000], Gen.Int[0, 4], Gen.Int[0, int.MaxValue].Array[1, 8], Gen.Byte.Array[1, 64],
            (seed, kind, positions, bytes) => new Mutation(seed, kind, positions, bytes));

    internal static byte[] Apply(byte[] seed, Mutation m)
    {
        var at = (int)((uint)m.Positions[0] % (uint)Math.Max(1, seed.Length));
        switch (m.Kind)
        {
            case 0: // truncate
                return seed[..at];
            case 1: // flip bits
            {
                var copy = (byte[])seed.Clone();
                foreach (var p in m.Positions) copy[(int)((uint)p % (uint)copy.Length)] ^= m.Bytes[p % m.Bytes.Length];
                return copy;
            }
            case 2: // insert bytes
                return [.. seed.AsSpan(0, at), .. m.Bytes, .. seed.AsSpan(at)];
            case 3: // delete a span
            {
                var length = Math.Min(seed.Length - at, 1 + m.Positions.Length * 37);
                return [.. seed.AsSpan(0, at), .. seed.AsSpan(at + length)];
            }
            default: // overwrite with bytes (large length fields when they are 0xFF)
            {
                var copy = (byte[])seed.Clone();
                for (var i = 0; i < m.Bytes.Length && at + i < copy.Length; i++) copy[at + i] = m.Bytes[i];
                return copy;
            }
        }
    }

    private static List<(ICaptureReader Reader, byte[] Bytes)> SeedsOf(string format)
    {
        var folder = TestFiles.SharedCaptures;
        var seeds = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(path => (Reader: CaptureFormats.All.Detect(path), Path: path))
            .Where(s => s.Reader?.Format == format && new FileInfo(s.Path).Length < 300_000)
            .Select(s => (s.Reader!, File.ReadAllBytes(s.Path)))
            .ToList();
        if (seeds.Count == 0) Assert.Ignore($"no shared {format} seed under 300 KB (or no reader registered for {format})");
        return seeds;
    }

    [TestCase("har")]
    [TestCase("mitmproxy")]
    [TestCase("pcap")]
    [TestCase("pcapng")]
    public void Mutated_captures_never_make_a_reader_throw_or_hang(string format)
    {
        var seeds = SeedsOf(format);
        Mutations.Sample(m =>
        {
            var (reader, bytes) = seeds[m.Seed % seeds.Count];
            CaptureSeeds.ReadGuarded(reader, Apply(bytes, m), seconds: 10);
        }, time: Seconds, threads: 1);
    }

    // Found by the fuzzer: a flipped byte made a property name invalid UTF-8 and the HAR scanner threw.
    [TestCase("har", "dd4el6HtOCa1")]
    public void Regression(string format, string seed)
    {
        var seeds = SeedsOf(format);
        Mutations.Sample(m =>
        {
            var (reader, bytes) = seeds[m.Seed % seeds.Count];
            CaptureSeeds.ReadGuarded(reader, Apply(bytes, m), seconds: 10);
        }, seed: seed, iter: 1, threads: 1);
    }
}
