using System.Buffers;

namespace BoshGateway.WebSockets;

/// <summary>
/// Collects one WebSocket message in arrays rented from the shared pool, and gives them back as soon as
/// the message is handled, so an idle connection keeps no buffer. It never grows past the capacity its
/// caller allows (the message size limit): not by doubling, nor by the pool's rounding to a power of two.
/// </summary>
internal sealed class PooledMessageBuffer : IDisposable
{
    private byte[]? _array;
    private bool _rented;
    private int _written;

    public int WrittenCount => _written;

    /// <summary>The size of the array held now (0 when none), for tests.</summary>
    public int Capacity => _array?.Length ?? 0;

    public ReadOnlyMemory<byte> WrittenMemory => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, _written);

    /// <summary>Room for at least <paramref name="sizeHint"/> more bytes.</summary>
    public Memory<byte> GetMemory(int sizeHint) => GetMemory(sizeHint, int.MaxValue);

    /// <summary>
    /// Room for up to <paramref name="sizeHint"/> more bytes (more when the array has it), but never for
    /// more than <paramref name="maxCapacity"/> bytes in all: empty once that many were written.
    /// </summary>
    public Memory<byte> GetMemory(int sizeHint, int maxCapacity)
    {
        var needed = (int)Math.Min((long)_written + sizeHint, maxCapacity);
        if (_array is null || _array.Length < needed)
        {
            var size = (int)Math.Min(Math.Max(2L * (_array?.Length ?? 0), needed), maxCapacity);
            var rented = ArrayPool<byte>.Shared.Rent(size);
            byte[] larger;
            bool isRented;
            if (rented.Length > maxCapacity)
            {
                // The pool rounds up to a power of two, which may be nearly twice the cap: take exactly the cap.
                ArrayPool<byte>.Shared.Return(rented);
                larger = GC.AllocateUninitializedArray<byte>(size);
                isRented = false;
            }
            else
            {
                larger = rented;
                isRented = true;
            }
            if (_array is { } old)
            {
                old.AsSpan(0, _written).CopyTo(larger);
                ReturnArray();
            }
            _array = larger;
            _rented = isRented;
        }
        return _array.AsMemory(_written, Math.Min(_array.Length, maxCapacity) - _written);
    }

    public void Advance(int count) => _written += count;

    /// <summary>Forgets what was written and returns the array to the pool.</summary>
    public void Release()
    {
        _written = 0;
        ReturnArray();
    }

    public void Dispose() => Release();

    private void ReturnArray()
    {
        if (_array is { } array)
        {
            _array = null;
            if (_rented)
            {
                ArrayPool<byte>.Shared.Return(array);
            }
        }
    }
}
