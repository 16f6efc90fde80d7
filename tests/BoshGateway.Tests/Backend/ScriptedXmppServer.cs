using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BoshGateway.Tests.Backend;

/// <summary>A one-connection TCP peer on loopback that plays a scripted (often broken) XMPP server.</summary>
internal sealed class ScriptedXmppServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Task _script;

    public ScriptedXmppServer(Func<NetworkStream, Task> script)
    {
        _listener.Start();
        _script = Task.Run(async () =>
        {
            using var client = await _listener.AcceptTcpClientAsync();
            await script(client.GetStream());
        });
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static async Task<string> ReadSomeAsync(NetworkStream stream)
    {
        var buffer = new byte[4096];
        var read = await stream.ReadAsync(buffer);
        return Encoding.UTF8.GetString(buffer, 0, read);
    }

    public static Task WriteAsync(NetworkStream stream, string text) => stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        try
        {
            await _script.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception ex) when (ex is SocketException or IOException or TimeoutException or ObjectDisposedException)
        {
        }
    }
}
