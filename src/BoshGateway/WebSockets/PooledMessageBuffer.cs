using System.Buffers;

namespace BoshGateway.WebSockets;

/// <summary>
/// Collects one WebSocket message in arrays rented from the shared pool, and gives them back as soon as
/// the message is handled, so an idle connection keeps no buffer.
/// </summary>
internal sealed class PooledMessageBuffer : IDisposable
{
    private byte[]? _array;
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlyMemory<byte> WrittenMemory => _array is null ? ReadOnlyMemory<byte>.Empty : _array.AsMemory(0, _written);

    /// <summary>Room for at least <paramref name="sizeHint"/> more bytes.</summary>
    public Memory<byte> GetMemory(int sizeHint)
    {
        if (_array is null)
        {
            _array = ArrayPool<byte>.Shared.Rent(sizeHint);
        }
        else if (_array.Length - _written < sizeHint)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, _written + sizeHint));
            _array.AsSpan(0, _written).CopyTo(larger);
            ArrayPool<byte>.Shared.Return(_array);
            _array = larger;
        }
        return _array.AsMemory(_written);
    }

    public void Advance(int count) => _written += count;

    /// <summary>Forgets what was written and returns the array to the pool.</summary>
    public void Release()
    {
        _written = 0;
        if (_array is { } array)
        {
            _array = null;
            ArrayPool<byte>.Shared.Return(array);
        }
    }

    public void Dispose() => Release();
}
