using System.Buffers;
using System.Net;
using System.Net.Sockets;
using BoshGateway.Protocol.Xml;
using BoshGateway.Telemetry;

namespace BoshGateway.Backend;

/// <summary>
/// One c2s TCP stream to the XMPP server, owned by one session.
/// <code>
///   Socket → NetworkStream → [SslStream after STARTTLS or for direct TLS] → read loop → XmlStreamReader → IBackendEvents
///                                                                        ← write loop ← Channel&lt;bytes&gt; ← session
/// </code>
/// The read loop parks on a zero-byte read, so an idle stream holds no rented buffer. Bytes queued
/// toward the server are counted: a session asks <see cref="HasRoomFor"/> before it sends a client's
/// payload and waits (<see cref="WaitForRoomAsync"/>) while the server is behind by more than
/// <c>Gateway:Backends:MaxQueuedBytes</c>, so a fast client in front of a slow server cannot grow memory.
/// The other way, a session whose client is behind pauses the read loop (<see cref="PauseReading"/>): it
/// waits between two reads, and the server's TCP window fills instead of the gateway's memory.
/// </summary>
internal sealed partial class BackendConnection : IBackendLink, IXmlStreamHandler, IDisposable
{
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan CloseDeadline = TimeSpan.FromSeconds(10);
    private static readonly byte[] StreamClose = "</stream:stream>"u8.ToArray();
    private static readonly byte[] Whitespace = " "u8.ToArray();

    private readonly Socket _socket;
    private readonly BackendTarget _target;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly XmlStreamReader _reader;
    private readonly SendQueue _outbound = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly List<object> _handshakeEvents = [];
    private Stream _stream;
    private IBackendEvents? _events;
    private XmlStreamHeader? _header;
    private Task _readLoop = Task.CompletedTask;
    private Exception? _failure; // why this side dropped the connection (a write failed, the server stalled): the read loop reports it
    private int _state; // 0 open, 1 closing, 2 aborted/disposed

    private readonly long _keepAliveMs;
    private readonly long _maxQueuedBytes;
    private long _lastWriteMs = Environment.TickCount64;
    private long _queuedBytes;
    private TaskCompletionSource? _roomWaiter;
    private TaskCompletionSource? _readGate; // set while reading is paused; the read loop waits on it between reads
    private Task? _idleWatch; // a pooled stream's zero-byte read, started while it waits for a session; the read loop takes it over
    private int _countedAsSession;

    public BackendConnection(Socket socket, Stream stream, BackendTarget target, XmlLimits limits, BackendStreamSettings settings, GatewayMetrics metrics, ILogger logger)
    {
        _metrics = metrics;
        metrics.BackendConnectionOpened(target.Host, target.Port);
        _keepAliveMs = (long)settings.KeepAliveInterval.TotalMilliseconds;
        _maxQueuedBytes = settings.MaxQueuedBytes;
        _pingIntervalMs = (long)settings.PingInterval.TotalMilliseconds;
        _pingTimeoutMs = (long)settings.PingTimeout.TotalMilliseconds;
        _socket = socket;
        _stream = stream;
        _target = target;
        _logger = logger;
        _reader = new XmlStreamReader(this, limits, documentMode: false, allowRestart: true);
    }

    public bool IsTls { get; private set; }

    public bool IsSecure => IsTls || (_socket.RemoteEndPoint is IPEndPoint ep && IPAddress.IsLoopback(ep.Address));

    /// <summary>The destination this stream is on (its session count and health).</summary>
    internal BackendDestination? Destination { get; set; }

    /// <summary>
    /// True while a pooled stream waits untouched: the server has sent nothing since the features (an
    /// unauthenticated stream hears from the server only when it is closed or timed out).
    /// </summary>
    internal bool IdleIntact => Volatile.Read(ref _state) == 0 && _idleWatch is { IsCompleted: false };

    /// <summary>Pooled: notice the server closing (or writing to) the stream while nobody reads it.</summary>
    internal void WatchWhileIdle()
    {
#pragma warning disable CA2022 // A zero-byte read only waits for data.
        _idleWatch = _stream.ReadAsync(Memory<byte>.Empty, CancellationToken.None).AsTask();
#pragma warning restore CA2022
    }

    /// <summary>Handed to a session: counted on its destination until the stream is gone.</summary>
    internal void CountAsSession()
    {
        if (Interlocked.Exchange(ref _countedAsSession, 1) == 0)
        {
            Destination?.SessionStarted();
        }
    }

    public void Start(IBackendEvents events)
    {
        _events = events;
        foreach (var e in _handshakeEvents)
        {
            Dispatch(e);
        }
        _handshakeEvents.Clear();
        // The loops outlive the request that starts them (a BOSH session's first request): flowing its execution
        // context would keep that request's Activity and log scopes on the heap for the whole session.
        using (ExecutionContext.SuppressFlow())
        {
            _readLoop = ReadLoopAsync();
            _ = WriteLoopAsync();
        }
    }

    public void Send(ReadOnlyMemory<byte> data)
    {
        AwaitAnswerWhileLoggingIn();
        Enqueue(data);
    }

    public bool HasRoomFor(int bytes)
    {
        var queued = Volatile.Read(ref _queuedBytes);
        // An empty queue always takes one payload (its size is bounded by the client-side limits);
        // a connection that is going away takes anything (it is dropped, not written).
        return queued == 0 || queued + bytes <= _maxQueuedBytes || Volatile.Read(ref _state) != 0;
    }

    public Task WaitForRoomAsync(int bytes)
    {
        if (HasRoomFor(bytes))
        {
            return Task.CompletedTask;
        }
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        waiter = Interlocked.CompareExchange(ref _roomWaiter, waiter, null) ?? waiter;
        // Checked again once the waiter is visible to the write loop, so a drain in between is not missed.
        if (HasRoomFor(bytes))
        {
            WakeRoomWaiter();
        }
        return waiter.Task;
    }

    public void KeepAlive()
    {
        if (Volatile.Read(ref _state) != 0)
        {
            return;
        }
        var now = Environment.TickCount64;
        // Nothing while writes are pending: they keep the stream alive, and a stalled server would only pile up spaces.
        if (!CheckLiveness(now) && Volatile.Read(ref _queuedBytes) == 0 && now - Volatile.Read(ref _lastWriteMs) >= _keepAliveMs)
        {
            Enqueue(Whitespace);
        }
    }

    public void Restart(string? language)
    {
        AwaitAnswerWhileLoggingIn();
        Enqueue(StreamHeader(_target.Domain, language));
    }

    public void PauseReading()
    {
        if (Volatile.Read(ref _readGate) is null && Volatile.Read(ref _state) == 0)
        {
            Interlocked.CompareExchange(ref _readGate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), null);
        }
    }

    public void ResumeReading() => Interlocked.Exchange(ref _readGate, null)?.TrySetResult();

    public void Close()
    {
        if (_events is null)
        {
            if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
            {
                _ = CloseUnstartedAsync();
            }
            return;
        }
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            Enqueue(StreamClose);
            _outbound.Complete();
            WakeRoomWaiter();
            ResumeReading();
            DropAfterCloseDeadline();
        }
    }

    /// <summary>
    /// Ends a stream that was never started (a pooled one, a health check's): it has no write loop to get
    /// <c>&lt;/stream:stream&gt;</c> out, so it is written here (at most <see cref="CloseGrace"/>), then the
    /// connection is dropped.
    /// </summary>
    private async Task CloseUnstartedAsync()
    {
        try
        {
            using var grace = new CancellationTokenSource(CloseGrace);
            await _stream.WriteAsync(StreamClose, grace.Token);
            await _stream.FlushAsync(grace.Token);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Gone already, or not reading: dropped below either way.
        }
        finally
        {
            Abort();
        }
    }

    private void Enqueue(ReadOnlyMemory<byte> data)
    {
        Interlocked.Add(ref _queuedBytes, data.Length);
        if (!_outbound.TryWrite(data))
        {
            Interlocked.Add(ref _queuedBytes, -data.Length);
        }
    }

    /// <summary>
    /// A closing stream whose server does not take the last writes (stalled, not reading) would keep the
    /// write loop, the socket and the queue for as long as TCP lets it: cancel the writes after a deadline
    /// (the write loop then drops the connection).
    /// </summary>
    private void DropAfterCloseDeadline()
    {
        try
        {
            _abort.CancelAfter(CloseDeadline);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void WakeRoomWaiter() => Interlocked.Exchange(ref _roomWaiter, null)?.TrySetResult();

    /// <summary>Drops the connection because of a failure on this side; the read loop reports it to the session.</summary>
    private void FailWith(Exception failure)
    {
        Interlocked.CompareExchange(ref _failure, failure, null);
        Abort();
    }

    public void Abort()
    {
        if (Interlocked.Exchange(ref _state, 2) != 2)
        {
            _outbound.Complete();
            _abort.Cancel();
            DisposeTransport();
            WakeRoomWaiter();
        }
    }

    public void AbortAfter(IReadOnlyList<ReadOnlyMemory<byte>> lastWrites)
    {
        if (lastWrites.Count == 0)
        {
            Abort();
            return;
        }
        // As Close, but without </stream:stream>: the write loop drains the queue, then drops the connection.
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 0)
        {
            foreach (var data in lastWrites)
            {
                Enqueue(data);
            }
            _outbound.Complete();
            WakeRoomWaiter();
            ResumeReading();
            DropAfterCloseDeadline();
        }
    }

    internal static byte[] StreamHeader(string domain, string? language)
    {
        var lang = StreamLanguage(language);
        return System.Text.Encoding.UTF8.GetBytes(
            $"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0' xml:lang='{lang}'>");
    }

    /// <summary>The <c>xml:lang</c> a stream header opened for <paramref name="language"/> carries: it, when a valid tag, else <c>en</c>.</summary>
    internal static string StreamLanguage(string? language) => IsLanguageTag(language) ? language : "en";

    internal static bool IsLanguageTag([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? tag) =>
        !string.IsNullOrEmpty(tag) && tag.Length <= 35 && tag.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');

    void IXmlStreamHandler.OnStreamHeader(XmlStreamHeader header)
    {
        _header = header;
        if (_events is null)
        {
            _handshakeEvents.Add(header);
        }
        else
        {
            _events.OnBackendHeader(header);
        }
    }

    void IXmlStreamHandler.OnElement(XmlElement element)
    {
        if (_events is null)
        {
            _handshakeEvents.Add(element);
        }
        else if (ObserveForLiveness(element))
        {
            _events.OnBackendElement(element, _header!.Namespaces);
        }
    }

    void IXmlStreamHandler.OnStreamEnd()
    {
    }

    private void Dispatch(object e)
    {
        if (e is XmlStreamHeader header)
        {
            _events!.OnBackendHeader(header);
        }
        else
        {
            _events!.OnBackendElement((XmlElement)e, _header!.Namespaces);
        }
    }

    private async Task ReadLoopAsync()
    {
        await Task.Yield(); // started from Start: never read (and dispatch) on the caller's thread
        Exception? error = null;
        try
        {
            var token = _abort.Token;
            while (true)
            {
                if (Volatile.Read(ref _readGate) is { } gate)
                {
                    // The session's client is behind: read nothing more until it catches up (or the stream ends).
                    await gate.Task.WaitAsync(token);
                }
                if (Interlocked.Exchange(ref _idleWatch, null) is { } watch)
                {
                    await watch; // the pooled stream's pending zero-byte read: a second read may not start beside it
                }
                else
                {
#pragma warning disable CA2022 // A zero-byte read only waits for data.
                    // No token: an idle stream registers nothing; Abort disposes the socket, which ends the read.
                    await _stream.ReadAsync(Memory<byte>.Empty, CancellationToken.None);
#pragma warning restore CA2022
                }
                var buffer = ArrayPool<byte>.Shared.Rent(8192);
                int read;
                try
                {
                    read = await _stream.ReadAsync(buffer, token);
                    if (read > 0)
                    {
                        MarkRead();
                        _reader.Feed(buffer.AsSpan(0, read));
                    }
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
                if (_reader.RootClosed)
                {
                    break;
                }
                if (read == 0)
                {
                    error = new EndOfStreamException(_reader.IsInsideElement
                        ? "the server closed the connection in the middle of an element"
                        : "the server closed the connection");
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException && Volatile.Read(ref _state) == 2)
        {
            // Dropped on purpose: the session ended it, unless a failure on this side did (reported below).
        }
        catch (Exception ex)
        {
            error = ex;
        }
        var failure = Volatile.Read(ref _failure);
        if (failure is not null || Volatile.Read(ref _state) != 2)
        {
            error = failure ?? error;
            Log.StreamEnded(_logger, _target.Host, _target.Port, error?.Message ?? "closed by server");
            _events!.OnBackendClosed(error);
        }
        if (Volatile.Read(ref _state) == 0)
        {
            Abort();
        }
    }

    private async Task WriteLoopAsync()
    {
        await Task.Yield(); // started from Start: never write on the caller's thread
        try
        {
            while (await _outbound.WaitToReadAsync())
            {
                while (_outbound.TryRead(out var data))
                {
                    await _stream.WriteAsync(data, _abort.Token);
                    Interlocked.Add(ref _queuedBytes, -data.Length);
                }
                await _stream.FlushAsync(_abort.Token);
                Volatile.Write(ref _lastWriteMs, Environment.TickCount64);
                WakeRoomWaiter();
            }
            if (Volatile.Read(ref _state) == 1)
            {
                // Closing: give the server a moment to answer </stream:stream>, then close.
                await Task.WhenAny(_readLoop, Task.Delay(CloseGrace));
                Abort();
            }
        }
        catch (Exception ex) when (Volatile.Read(ref _state) == 2 || ex is OperationCanceledException)
        {
            // Aborted, or closing past CloseDeadline: make sure the transport is gone.
            Abort();
        }
        catch (Exception ex)
        {
            Log.WriteFailed(_logger, _target.Host, _target.Port, ex.Message);
            FailWith(ex);
        }
    }

    public void Dispose()
    {
        Abort();
        _abort.Dispose();
    }

    private void DisposeTransport()
    {
        _metrics.BackendConnectionClosed(_target.Host, _target.Port);
        if (Interlocked.Exchange(ref _countedAsSession, 2) == 1)
        {
            Destination?.SessionEnded();
        }
        try
        {
            _stream.Dispose();
        }
        catch (Exception ex)
        {
            Log.WriteFailed(_logger, _target.Host, _target.Port, ex.Message);
        }
        _socket.Dispose();
    }
}
