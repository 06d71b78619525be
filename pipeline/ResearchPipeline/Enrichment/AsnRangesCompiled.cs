using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using ResearchPipeline.Captures;
using ResearchPipeline.Reference;

namespace ResearchPipeline.Enrichment;

public sealed partial class AsnRanges
{
    /// <summary>
    /// The table as read from its files, in a form a run takes in place, without parsing or copying: its columns as
    /// the numbers they are in memory, the organisation names as one run of UTF-8. Reading half a million CSV rows
    /// was a large part of a small study's run (bench/NOTES.md). The compiled file is named by the sha256 of the files it
    /// was read from, so an edited or updated file is read again, never answered from an older table, and it ends
    /// with the sha256 of its own bytes, so a damaged one is read from the files again.
    /// <code>
    /// "RPASNv2\n", then int32: rows rejected, IPv4 ranges, IPv6 ranges, names, bytes of names, IPv4 and IPv6 overlaps
    /// per family: starts, ends, largest ends so far (uint32 or uint128), AS numbers (uint32), names (int32, -1 none)
    /// names: starts, lengths (int32), then their UTF-8
    /// sha256 of all before it, "RPASNEND"
    /// </code>
    /// Each section starts at a multiple of 16 bytes; numbers are little-endian, as this machine's memory holds them.
    /// </summary>
    internal static class Compiled
    {
        // Part of every compiled file's name: raised whenever what a row is read as changes (FileRows.Read,
        // TryParseAddress), so that no table compiled by an earlier reading is taken.
        public const string Version = "asn-ranges-2";
        private static ReadOnlySpan<byte> Magic => "RPASNv2\n"u8;
        private static ReadOnlySpan<byte> EndMagic => "RPASNEND"u8;
        private const int HeaderFields = 7;
        private const int TrailerBytes = 32 + 8;

        /// <summary>Where the table of these files is kept in <paramref name="folder"/>: named by their bytes, in their order.</summary>
        /// <param name="sha256Of">How a file's digest is had: read and hashed where not given.</param>
        public static string PathFor(IReadOnlyList<string> csvFiles, string folder, Func<string, string>? sha256Of = null)
        {
            sha256Of ??= FileHash.Sha256Hex;
            var digests = new string[csvFiles.Count];
            SideBySide.For(csvFiles.Count, i => digests[i] = sha256Of(csvFiles[i]));
            var key = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Version + "\n" + string.Join("\n", digests))));
            return Path.Combine(folder, $"asn-ranges-{key[..16]}.bin");
        }

        /// <summary>Where each section begins, from the counts in the header.</summary>
        private readonly record struct Layout(int V4, int V6, int Names, int NameBytes)
        {
            private static long Aligned(long at) => (at + 15) & ~15L;

            public long V4Starts => Aligned(Magic.Length + 4 * HeaderFields);
            public long V6Starts => Aligned(V4Starts + (long)V4 * (3 * 4 + 4 + 4));
            public long NameStarts => Aligned(V6Starts + (long)V6 * (3 * 16 + 4 + 4));
            public long Text => NameStarts + (long)Names * 8;
            public long Length => Text + NameBytes + TrailerBytes;
        }

        /// <summary>Writes the table as it goes, column by column, hashing what it writes for the trailer.</summary>
        public static void Write(AsnRanges table, Stream output)
        {
            var (v4, v6, names) = (table._v4, table._v6, table._organisations);
            var layout = new Layout(v4.Count, v6.Count, names.Count, names.Text.Length);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long at = 0;
            void Put(ReadOnlySpan<byte> bytes)
            {
                output.Write(bytes);
                hash.AppendData(bytes);
                at += bytes.Length;
            }
            void PutColumn<T>(ReadOnlyMemory<T> column) where T : unmanaged => Put(MemoryMarshal.AsBytes(column.Span));
            void PadTo(long offset)
            {
                ReadOnlySpan<byte> zeros = stackalloc byte[16];
                while (at < offset) Put(zeros[..(int)Math.Min(zeros.Length, offset - at)]);
            }

            Put(Magic);
            Span<byte> header = stackalloc byte[4 * HeaderFields];
            int[] fields = [table.RowsRejected, v4.Count, v6.Count, names.Count, names.Text.Length, v4.Overlapping, v6.Overlapping];
            for (var i = 0; i < fields.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(header[(4 * i)..], fields[i]);
            Put(header);
            PadTo(layout.V4Starts);
            foreach (var column in new[] { v4.Starts, v4.Ends, v4.MaxEnds }) PutColumn(column);
            PutColumn(v4.Asns);
            PutColumn(v4.Organisations);
            PadTo(layout.V6Starts);
            foreach (var column in new[] { v6.Starts, v6.Ends, v6.MaxEnds }) PutColumn(column);
            PutColumn(v6.Asns);
            PutColumn(v6.Organisations);
            PadTo(layout.NameStarts);
            PutColumn(names.Starts);
            PutColumn(names.Lengths);
            PutColumn(names.Text);
            output.Write(hash.GetHashAndReset());
            output.Write(EndMagic);
        }

        /// <summary>
        /// The table a compiled file holds, its columns the file's bytes in place (the table, once disposed, lets the
        /// file go); null where the file is missing or not one whole table of this version.
        /// </summary>
        /// <param name="digests">
        /// Where a table found whole is remembered (by its file's sha256 and identity), so that the next run takes it
        /// without reading all of it to check it again, while the file is as it was. Only this check remembers a compiled
        /// table's file: a remembered one is one it found whole.
        /// </param>
        public static AsnRanges? TryOpen(string path, string source, RememberedDigests? digests = null)
        {
            if (!BitConverter.IsLittleEndian || !File.Exists(path)) return null;
            MappedFile? mapped = null;
            try
            {
                FileIdentity? before = null;
                var checkedBefore = digests?.Remembered(path, out before) is not null;
                mapped = new MappedFile(path);
                var table = Read(mapped, source, checkedBefore ? null : sha256 => digests?.Remember(path, before, sha256));
                if (table is not null) return table;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException) { }
            mapped?.Dispose();
            return null;
        }

        /// <param name="whole">
        /// Given, the content is checked against its trailer, and the whole file's sha256 handed to it once it is;
        /// null takes the table as already checked.
        /// </param>
        private static AsnRanges? Read(MappedFile file, string source, Action<string>? whole)
        {
            var bytes = file.Bytes(0, file.Length);
            if (bytes.Length < Magic.Length + 4 * HeaderFields + TrailerBytes || !bytes.StartsWith(Magic) || !bytes.EndsWith(EndMagic)) return null;
            Span<int> header = stackalloc int[HeaderFields];
            for (var i = 0; i < header.Length; i++) header[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(Magic.Length + 4 * i)..]);
            if (header.ContainsAnyInRange(int.MinValue, -1)) return null;
            var layout = new Layout(header[1], header[2], header[3], header[4]);
            if (layout.Length != bytes.Length) return null;
            if (whole is not null)
            {
                // One pass gives both: the content's digest, which the trailer must repeat, and the whole file's.
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                hash.AppendData(bytes[..^TrailerBytes]);
                Span<byte> digest = stackalloc byte[32];
                hash.GetCurrentHash(digest);
                if (!digest.SequenceEqual(bytes[^TrailerBytes..^EndMagic.Length])) return null;
                hash.AppendData(bytes[^TrailerBytes..]);
                whole(Convert.ToHexStringLower(hash.GetHashAndReset()));
            }

            var at = layout.V4Starts;
            ReadOnlyMemory<T> Next<T>(int count) where T : unmanaged
            {
                var column = file.Column<T>(at, count);
                at += (long)count * Unsafe.SizeOf<T>();
                return column;
            }
            var v4 = new Family<uint>(Next<uint>(layout.V4), Next<uint>(layout.V4), Next<uint>(layout.V4), Next<uint>(layout.V4), Next<int>(layout.V4), header[5]);
            at = layout.V6Starts;
            var v6 = new Family<UInt128>(Next<UInt128>(layout.V6), Next<UInt128>(layout.V6), Next<UInt128>(layout.V6), Next<uint>(layout.V6), Next<int>(layout.V6), header[6]);
            at = layout.NameStarts;
            var names = new Names(file.Column<byte>(layout.Text, layout.NameBytes), Next<int>(layout.Names), Next<int>(layout.Names));
            return new AsnRanges(v4, v6, names, source, header[0], file);
        }

        /// <summary>
        /// Keeps the table for the next run, in place of the tables of earlier files (a lock file moved on) and of what
        /// a run killed while keeping one left (its temporary file). A folder that cannot be written (a shared,
        /// read-only copy of the reference data) only means the next run reads the files again.
        /// </summary>
        public static void TryKeep(AsnRanges table, string path)
        {
            var folder = Path.GetDirectoryName(path)!;
            var temp = $"{path}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp";
            try
            {
                Directory.CreateDirectory(folder);
                using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16)) Write(table, file);
                File.Move(temp, path, overwrite: true);
                // A run keeping the same table at this moment loses its temporary file, and only reads the files again.
                foreach (var older in Directory.GetFiles(folder, "asn-ranges-*").Where(f => f != path)) File.Delete(older);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                try { File.Delete(temp); } catch (Exception f) when (f is IOException or UnauthorizedAccessException) { }
            }
        }
    }
}
