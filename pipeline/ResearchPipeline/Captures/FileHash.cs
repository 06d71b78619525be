using System.Security.Cryptography;

namespace ResearchPipeline.Captures;

/// <summary>
/// A file's sha256, lower-case hex: a capture's id, a published table's and an input's digest in the manifest
/// and SHA256SUMS, a reference artefact's pin. One reading, so every stage names a file by the same bytes.
/// </summary>
public static class FileHash
{
    public static string Sha256Hex(string path)
    {
        // A pooled buffer and an unbuffered stream: a 1 MB stream buffer per file was a large-object
        // allocation per capture, and those set off most of the run's full garbage collections.
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 0, FileOptions.SequentialScan);
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            int read;
            while ((read = stream.Read(buffer, 0, buffer.Length)) > 0) hash.AppendData(buffer, 0, read);
            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
