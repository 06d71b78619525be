using System.Buffers;
using System.IO.MemoryMappedFiles;

namespace ResearchPipeline.Reference;

/// <summary>
/// A reference file mapped read-only into memory and read where it lies: its pages come from the file cache, and
/// nothing is copied into the managed heap. A file of megabytes read into an array was a large object, and a run's
/// start made enough of them to set off a full, blocking collection before its first capture (bench/NOTES.md).
/// </summary>
internal sealed unsafe class MappedFile : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _start;

    /// <exception cref="InvalidDataException">The file is empty, or longer than a span holds.</exception>
    public MappedFile(string path)
    {
        Length = new FileInfo(path).Length;
        if (Length == 0) throw new InvalidDataException("the file is empty");
        if (Length > int.MaxValue) throw new InvalidDataException($"{Length} bytes is more than one read holds");
        _file = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            _view = _file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* start = null;
            _view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            _start = start + _view.PointerOffset;
        }
        catch
        {
            _view?.Dispose();
            _file.Dispose();
            throw;
        }
    }

    public long Length { get; }

    /// <summary>The file's bytes [offset, offset + count): valid until the file is disposed.</summary>
    public ReadOnlySpan<byte> Bytes(long offset, long count) => new(_start + offset, (int)count);

    /// <summary>Numbers that lie in the file, as memory: valid until the file is disposed.</summary>
    public ReadOnlyMemory<T> Column<T>(long offset, int count) where T : unmanaged => new InPlace<T>((T*)(_start + offset), count).Memory;

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }

    /// <summary>Numbers that lie in a mapped file, as memory the readers take: the file owns them.</summary>
    private sealed class InPlace<T>(T* start, int count) : MemoryManager<T> where T : unmanaged
    {
        public override Span<T> GetSpan() => new(start, count);
        public override MemoryHandle Pin(int elementIndex = 0) => new(start + elementIndex);
        public override void Unpin() { }
        protected override void Dispose(bool disposing) { }
    }
}
