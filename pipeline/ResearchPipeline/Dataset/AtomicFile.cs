using System.Security.Cryptography;
using System.Text;

namespace ResearchPipeline.Dataset;

/// <summary>A file as written: where it is, and the sha256 and length of its bytes.</summary>
public sealed record WrittenFile(string Path, string Sha256, long Bytes);

/// <summary>
/// Every output file is written under a temporary name beside its destination and renamed into place, so a
/// run killed at any moment leaves either the previous file or the new one, never a partial file. Its sha256
/// is taken from the bytes as they are written, so the manifest and SHA256SUMS need not read the file again.
/// </summary>
public static class AtomicFile
{
    public static async Task<WrittenFile> WriteAsync(string path, Func<Stream, Task> write, CancellationToken cancel = default)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(folder);
        var temp = Path.Combine(folder, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Environment.CurrentManagedThreadId}.tmp");
        try
        {
            string? sha256;
            long bytes;
            await using (var file = new FileStream(temp, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 0))
            {
                await using (var digesting = new DigestingStream(file))
                await using (var stream = new BlockingStream(digesting))
                {
                    await write(stream);
                    await stream.FlushAsync(cancel);
                    (sha256, bytes) = digesting.Finish();
                    file.Flush(flushToDisk: true);
                }
            }
            // A writer that moved back in the file (none of ours does) is read again.
            sha256 ??= Captures.FileHash.Sha256Hex(temp);
            File.Move(temp, path, overwrite: true);
            return new WrittenFile(path, sha256, bytes);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static Task<WrittenFile> WriteTextAsync(string path, string text, CancellationToken cancel = default) =>
        WriteAsync(path, s => s.WriteAsync(new UTF8Encoding(false).GetBytes(text), cancel).AsTask(), cancel);

    /// <summary>Removes temporary files a killed run left behind.</summary>
    public static void RemoveLeftovers(string folder)
    {
        if (!Directory.Exists(folder)) return;
        foreach (var f in Directory.EnumerateFiles(folder, ".*.tmp")) TryDelete(f);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>
    /// The file's buffer, hashing each block as it is handed to the file. The hash holds while the file is written
    /// front to back; once the writer moves elsewhere or reads, it is given up (<see cref="Finish"/> says so) and
    /// the blocks go on to the file as before.
    /// </summary>
    private sealed class DigestingStream(FileStream file) : Stream
    {
        private const int BlockBytes = 1 << 16;

        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private byte[]? _block = System.Buffers.ArrayPool<byte>.Shared.Rent(BlockBytes);
        private int _held;
        private long _written;
        private bool _inOrder = true;

        public override bool CanRead => file.CanRead;
        public override bool CanSeek => file.CanSeek;
        public override bool CanWrite => file.CanWrite;
        public override long Length => _inOrder ? _written + _held : Hand().Length;

        public override long Position
        {
            get => _inOrder ? _written + _held : file.Position;
            set => Seek(value, SeekOrigin.Begin);
        }

        /// <summary>The sha256 of the bytes written, and their count; a null sha256 when the writer moved back or read.</summary>
        public (string? Sha256, long Bytes) Finish()
        {
            Flush();
            return _inOrder ? (Convert.ToHexStringLower(_hash.GetHashAndReset()), _written) : (null, file.Length);
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (!_inOrder)
            {
                file.Write(buffer);
                return;
            }
            while (buffer.Length > 0)
            {
                // A block's worth with nothing held goes to the file as it is, not through the block.
                if (_held == 0 && buffer.Length >= BlockBytes)
                {
                    _hash.AppendData(buffer);
                    file.Write(buffer);
                    _written += buffer.Length;
                    return;
                }
                var take = Math.Min(buffer.Length, BlockBytes - _held);
                buffer[..take].CopyTo(_block.AsSpan(_held));
                _held += take;
                buffer = buffer[take..];
                if (_held == BlockBytes) Flush();
            }
        }

        public override void Flush()
        {
            if (_held > 0)
            {
                var block = _block.AsSpan(0, _held);
                _hash.AppendData(block);
                file.Write(block);
                _written += _held;
                _held = 0;
            }
            file.Flush();
        }

        public override long Seek(long offset, SeekOrigin origin)
        {
            // Asking where the end is, or moving to it, keeps the order.
            var end = _written + _held;
            // While in order, where the writer is is the end.
            var to = origin == SeekOrigin.Begin ? offset : end + offset;
            if (_inOrder && to == end) return end;
            return Hand().Seek(offset, origin);
        }

        public override int Read(byte[] buffer, int offset, int count) => Hand().Read(buffer, offset, count);

        public override void SetLength(long value) => Hand().SetLength(value);

        /// <summary>The file itself, everything held written to it, for a writer that no longer writes in order.</summary>
        private FileStream Hand()
        {
            if (_inOrder)
            {
                Flush();
                _inOrder = false;
            }
            return file;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _hash.Dispose();
                if (_block is not null) System.Buffers.ArrayPool<byte>.Shared.Return(_block);
                _block = null;
            }
            base.Dispose(disposing);
        }
    }
}
