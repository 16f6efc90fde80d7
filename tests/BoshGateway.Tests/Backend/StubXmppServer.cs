using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BoshGateway.Tests.Backend;

/// <summary>
/// A many-connection XMPP server stand-in on loopback: answers every stream header with a header and
/// features (or, stalled, answers nothing), counts what it saw, and can close every open stream.
/// </summary>
internal sealed class StubXmppServer : IAsyncDisposable
{
    private const string Header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s{0}' from='localhost' version='1.0'>";
    private const string Features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _accept;
    private int _accepted;
    private int _headers;
    private int _open;
    private int _streamCloses;

    public StubXmppServer(bool stalled = false)
    {
        Stalled = stalled;
        _listener.Start(512);
        _accept = Task.Run(AcceptAsync);
    }

    public bool Stalled { get; set; }

    /// <summary>Which connections (numbered from 1 in accept order) get answers; all when unset (and not <see cref="Stalled"/>).</summary>
    public Func<int, bool>? Answers { get; set; }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Connections the gateway has not closed yet.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary><c>&lt;/stream:stream&gt;</c> received: streams the gateway closed politely.</summary>
    public int StreamCloses => Volatile.Read(ref _streamCloses);

    /// <summary>Stream headers received (a pooled stream handed to a session sends none).</summary>
    public int Headers => Volatile.Read(ref _headers);

    /// <summary>Closes every open stream as a server timing out unauthenticated streams would.</summary>
    public void CloseAll()
    {
        lock (_clients)
        {
            foreach (var client in _clients)
            {
                client.Dispose();
            }
            _clients.Clear();
        }
    }

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var number = Interlocked.Increment(ref _accepted);
                Interlocked.Increment(ref _open);
                lock (_clients)
                {
                    _clients.Add(client);
                }
                _ = ServeAsync(client, number);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client, int number)
    {
        try
        {
            var stream = client.GetStream();
            var buffer = new byte[4096];
            while (true)
            {
                var read = await stream.ReadAsync(buffer, _stop.Token);
                if (read == 0)
                {
                    return;
                }
                var text = Encoding.UTF8.GetString(buffer, 0, read);
                if (text.Contains("</stream:stream>", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref _streamCloses);
                }
                if (text.Contains("<stream:stream", StringComparison.Ordinal))
                {
                    var n = Interlocked.Increment(ref _headers);
                    if (!Stalled && (Answers?.Invoke(number) ?? true))
                    {
                        await stream.WriteAsync(Encoding.UTF8.GetBytes(Header.Replace("{0}", n.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + Features), _stop.Token);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
        }
        finally
        {
            Interlocked.Decrement(ref _open);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        CloseAll();
        await _accept;
        _stop.Dispose();
    }
}
