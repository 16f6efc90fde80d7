using System.Threading.Tasks.Sources;

namespace BoshGateway.Backend;

/// <summary>
/// The per-connection queue of writes (toward the server, or toward a WebSocket client): any number of
/// writers, one reader (the connection's write loop). Bounded by the caller in bytes, not here.
/// </summary>
/// <remarks>
/// Written for idle memory: an idle connection holds this object and one lock, about 130 bytes, where a <see cref="System.Threading.Channels.Channel{T}"/> with its
/// reader, writer, completion task and cached wait operations held about 800 (heap dump at 8,000 idle
/// WebSocket sessions, two queues per session; docs/benchmarks.md). The reader waits without a
/// cancellation token (nothing registered while idle); <see cref="Complete"/> ends the wait.
/// The waiting reader is resumed on the thread pool, never inline in a writer (which may hold its
/// session's lock).
/// </remarks>
internal sealed class SendQueue : IValueTaskSource<bool>
{
    private const int FirstCapacity = 4;

    private readonly Lock _lock = new();
    private ReadOnlyMemory<byte>[]? _items;
    private int _head;
    private int _count;
    private bool _completed;
    private bool _readerWaiting;
    private ManualResetValueTaskSourceCore<bool> _wait = new() { RunContinuationsAsynchronously = true };

    /// <summary>Queues <paramref name="data"/>; false once the queue is completed.</summary>
    public bool TryWrite(ReadOnlyMemory<byte> data)
    {
        lock (_lock)
        {
            if (_completed)
            {
                return false;
            }
            if (_items is null || _count == _items.Length)
            {
                Grow();
            }
            _items![(_head + _count) % _items.Length] = data;
            _count++;
            if (!_readerWaiting)
            {
                return true;
            }
            _readerWaiting = false;
        }
        _wait.SetResult(true);
        return true;
    }

    /// <summary>No more writes; the reader gets what is queued, then false from <see cref="WaitToReadAsync"/>.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            if (_completed)
            {
                return;
            }
            _completed = true;
            if (!_readerWaiting)
            {
                return;
            }
            _readerWaiting = false; // waiting means empty: nothing more will come
        }
        _wait.SetResult(false);
    }

    /// <summary>The single reader: takes the oldest write, if any.</summary>
    public bool TryRead(out ReadOnlyMemory<byte> data)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                data = default;
                return false;
            }
            data = _items![_head];
            _items[_head] = default; // do not keep the bytes alive
            _head = (_head + 1) % _items.Length;
            if (--_count == 0)
            {
                _head = 0;
                _items = null; // an idle connection holds no array (the next write allocates four slots)
            }
            return true;
        }
    }

    /// <summary>The single reader: true when something is queued, false when completed and drained.</summary>
    public ValueTask<bool> WaitToReadAsync()
    {
        lock (_lock)
        {
            if (_count > 0)
            {
                return new ValueTask<bool>(true);
            }
            if (_completed)
            {
                return new ValueTask<bool>(false);
            }
            _wait.Reset();
            _readerWaiting = true;
            return new ValueTask<bool>(this, _wait.Version);
        }
    }

    private void Grow()
    {
        var larger = new ReadOnlyMemory<byte>[_items is null ? FirstCapacity : _items.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            larger[i] = _items![(_head + i) % _items.Length];
        }
        _items = larger;
        _head = 0;
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _wait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);
}
