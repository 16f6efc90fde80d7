using System.Net;
using System.Net.Sockets;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A TCP proxy on loopback between the gateway and an XMPP server that breaks the link on purpose, for every
/// connection through it: <see cref="CutTowardGatewayAfter"/> (the server's next N bytes pass, then both sides
/// are closed, mid-element if N says so), <see cref="Stall"/> (nothing is read or forwarded either way; the
/// sockets stay open, as with a hung server), <see cref="Delay"/> and <see cref="BytesPerSecond"/> (each chunk
/// waits, or is paced). It counts the bytes that reach the server and the connections made, and with
/// <c>recordToServer</c> keeps what reached the server (up to <see cref="MaxRecordedBytes"/>), so a test can check that
/// nothing of a refused input was forwarded, byte for byte, rather than infer it from what a server answered.
/// </summary>
internal sealed class FaultProxy : IAsyncDisposable
{
    private const int Chunk = 4096;

    /// <summary>How much of what reached the server a recording proxy keeps; past it <see cref="RecordedToServerSince"/> throws.</summary>
    public const int MaxRecordedBytes = 64 * 1024 * 1024;
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly List<Socket> _sockets = [];
    private readonly Lock _sync = new();
    private TaskCompletionSource _flowing = NewOpenGate();
    private long _cutAfter = -1;
    private long _toServer;
    private long _toGateway;
    private readonly MemoryStream? _recorded;
    private bool _recordingOverflowed;
    private int _open;
    private int _mostOpen;
    private int _accepted;

    private FaultProxy(int targetPort, bool recordToServer)
    {
        _targetPort = targetPort;
        _recorded = recordToServer ? new MemoryStream() : null;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _ = AcceptAsync();
    }

    public static FaultProxy Start(int targetPort, bool recordToServer = false) => new(targetPort, recordToServer);

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes that reached the server, every connection together.</summary>
    public long BytesToServer => Interlocked.Read(ref _toServer);

    public long BytesToGateway => Interlocked.Read(ref _toGateway);

    /// <summary>Connections whose two sides are both still open.</summary>
    public int OpenConnections => Volatile.Read(ref _open);

    /// <summary>Connections accepted since the start: the gateway's dials toward the server.</summary>
    public int Connections => Volatile.Read(ref _accepted);

    /// <summary>A mark in what reached the server (a recording proxy's length so far), for <see cref="RecordedToServerSince"/>.</summary>
    public long RecordedToServerMark
    {
        get
        {
            lock (_sync)
            {
                return Recorded.Length;
            }
        }
    }

    /// <summary>What reached the server after <paramref name="mark"/> (every connection, in arrival order), as UTF-8.</summary>
    public string RecordedToServerSince(long mark)
    {
        lock (_sync)
        {
            if (_recordingOverflowed)
            {
                throw new InvalidOperationException($"more than {MaxRecordedBytes} bytes reached the server: the recording stopped");
            }
            return System.Text.Encoding.UTF8.GetString(Recorded.GetBuffer(), (int)mark, (int)(Recorded.Length - mark));
        }
    }

    /// <summary>Asserts that none of <paramref name="markers"/> is in what reached the server after <paramref name="mark"/>.</summary>
    public void AssertNotRecordedSince(long mark, params IEnumerable<string> markers)
    {
        var forwarded = RecordedToServerSince(mark);
        foreach (var marker in markers)
        {
            Assert.DoesNotContain(marker, forwarded, StringComparison.Ordinal);
        }
    }

    private MemoryStream Recorded => _recorded ?? throw new InvalidOperationException("this proxy was started without recordToServer");

    /// <summary>The most connections that were open at once.</summary>
    public int MostOpenConnections => Volatile.Read(ref _mostOpen);

    /// <summary>Latency added to every chunk, each way.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Pace of each direction of each connection; 0 (default) is unpaced.</summary>
    public int BytesPerSecond { get; set; }

    /// <summary>Lets exactly <paramref name="bytes"/> more bytes from the server through (on whichever connection), then closes that connection.</summary>
    public void CutTowardGatewayAfter(long bytes) => Interlocked.Exchange(ref _cutAfter, bytes);

    /// <summary>Stops reading and forwarding both ways until <see cref="Resume"/>; the sockets stay open.</summary>
    public void Stall()
    {
        lock (_sync)
        {
            if (_flowing.Task.IsCompleted)
            {
                _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    public void Resume()
    {
        lock (_sync)
        {
            _flowing.TrySetResult();
        }
    }

    private static TaskCompletionSource NewOpenGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private Task Flowing
    {
        get
        {
            lock (_sync)
            {
                return _flowing.Task;
            }
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var gateway = await _listener.AcceptSocketAsync(_stop.Token);
                var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, _targetPort), _stop.Token);
                gateway.NoDelay = true;
                Interlocked.Increment(ref _accepted);
                var open = Interlocked.Increment(ref _open);
                for (var most = Volatile.Read(ref _mostOpen); open > most; most = Volatile.Read(ref _mostOpen))
                {
                    Interlocked.CompareExchange(ref _mostOpen, open, most);
                }
                lock (_sync)
                {
                    _sockets.Add(gateway);
                    _sockets.Add(server);
                    var closed = 0;
                    void Closed()
                    {
                        if (Interlocked.Exchange(ref closed, 1) == 0)
                        {
                            Interlocked.Decrement(ref _open);
                        }
                    }
                    _pumps.Add(PumpAsync(gateway, server, towardGateway: false, Closed));
                    _pumps.Add(PumpAsync(server, gateway, towardGateway: true, Closed));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(Socket from, Socket to, bool towardGateway, Action closed)
    {
        var buffer = new byte[Chunk];
        try
        {
            while (true)
            {
                await Flowing.WaitAsync(_stop.Token);
                var pace = BytesPerSecond;
                var want = pace > 0 ? Math.Clamp(pace / 10, 1, Chunk) : Chunk;
                var read = await from.ReceiveAsync(buffer.AsMemory(0, want), SocketFlags.None, _stop.Token);
                if (read == 0)
                {
                    break;
                }
                await Flowing.WaitAsync(_stop.Token);
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, _stop.Token);
                }
                var forward = read;
                var cut = false;
                if (towardGateway && Interlocked.Read(ref _cutAfter) is >= 0 and var left)
                {
                    forward = (int)Math.Min(read, left);
                    cut = forward == left;
                    Interlocked.Add(ref _cutAfter, -forward);
                    if (cut)
                    {
                        Interlocked.Exchange(ref _cutAfter, -1);
                    }
                }
                if (!towardGateway && _recorded is not null)
                {
                    Record(buffer.AsSpan(0, forward));
                }
                await to.SendAsync(buffer.AsMemory(0, forward), SocketFlags.None, _stop.Token);
                Interlocked.Add(ref towardGateway ? ref _toGateway : ref _toServer, forward);
                if (cut)
                {
                    break;
                }
                if (pace > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)read / pace), _stop.Token);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            closed();
            Close(from);
            Close(to);
        }
    }

    private void Record(ReadOnlySpan<byte> bytes)
    {
        lock (_sync)
        {
            if (_recorded!.Length + bytes.Length > MaxRecordedBytes)
            {
                _recordingOverflowed = true;
                return;
            }
            _recorded.Write(bytes);
        }
    }

    private static void Close(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
        socket.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Task[] pumps;
        lock (_sync)
        {
            pumps = [.. _pumps];
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }
        await Task.WhenAll(pumps);
        _stop.Dispose();
        _recorded?.Dispose();
    }
}
