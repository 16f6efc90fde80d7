using System.Net.Sockets;
using System.Text;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// Slowloris and slow bodies (robustness.md D3, D4): Kestrel's limits, which the gateway leaves at their defaults
/// and which operators set under <c>Kestrel:Limits</c>, cut the slow connection off while a conversation beside it
/// goes on. The headers timeout is lowered here to 2 s (default 30 s) so the test proves the setting is honoured.
/// </summary>
public class SlowClientTests(XmppServers servers)
{
    [Fact]
    public async Task SlowHeaders_AreCutOffAtTheHeadersTimeout_AndAConversationGoesOn()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Kestrel:Limits:RequestHeadersTimeout=00:00:02");
        await using var conversation = await Conversation.StartAsync(gateway, server);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.BaseUrl.Host, gateway.BaseUrl.Port);
        var stream = tcp.GetStream();
        var started = DateTime.UtcNow;
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /http-bind HTTP/1.1\r\nHost: {gateway.BaseUrl.Authority}\r\n"));
        var cutOff = await TrickleUntilClosedAsync(stream, Encoding.ASCII.GetBytes("X-Slow: " + new string('a', 200)), TimeSpan.FromMilliseconds(250));
        var after = DateTime.UtcNow - started;
        Assert.True(cutOff, "the connection was still open after the trickle");
        Assert.InRange(after, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(10));
        await conversation.AssertGoesOnAsync();
    }

    [Fact]
    public async Task SlowBody_IsCutOffByTheMinimumDataRate_AndOpensNoSession()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, log);
        await using var conversation = await Conversation.StartAsync(gateway, server);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(gateway.BaseUrl.Host, gateway.BaseUrl.Port);
        var stream = tcp.GetStream();
        var body = Encoding.ASCII.GetBytes($"<body rid='1' to='{server.Domain}' wait='5' hold='1' xmlns='http://jabber.org/protocol/httpbind'>{new string(' ', 4000)}</body>");
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /http-bind HTTP/1.1\r\nHost: {gateway.BaseUrl.Authority}\r\nContent-Type: text/xml\r\nContent-Length: {body.Length}\r\n\r\n"));
        // 20 bytes a second: far under Kestrel's minimum request body rate (240 B/s once its 5 s grace is over).
        var cutOff = await TrickleUntilClosedAsync(stream, body, TimeSpan.FromMilliseconds(50));
        Assert.True(cutOff, "the whole slow body was accepted");
        Assert.Equal(2, gateway.Sessions.Count);
        await conversation.AssertGoesOnAsync();
        // The client's doing, logged as such: not as an unhandled exception.
        Assert.Contains(log.Lines, line => line.Contains("BOSH request body not read, HTTP 408", StringComparison.Ordinal));
        Assert.DoesNotContain(log.Lines, line => line.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Writes <paramref name="bytes"/> one at a time; true once the peer closed or reset the connection before the last.</summary>
    private static async Task<bool> TrickleUntilClosedAsync(NetworkStream stream, byte[] bytes, TimeSpan pause)
    {
        var read = stream.ReadAsync(new byte[4096]).AsTask();
        foreach (var b in bytes)
        {
            try
            {
                await stream.WriteAsync(new[] { b });
            }
            catch (IOException)
            {
                return true;
            }
            await Task.WhenAny(read, Task.Delay(pause));
            if (read.IsCompleted)
            {
                // A 408 or a close: either way the server is done with this connection.
                return true;
            }
        }
        return false;
    }

    /// <summary>Two users chatting over BOSH beside the slow connection.</summary>
    private sealed class Conversation(BoshTestClient alice, BoshTestClient bob, string bobJid) : IAsyncDisposable
    {
        public static async Task<Conversation> StartAsync(GatewayHost gateway, XmppServer server)
        {
            var alice = new BoshTestClient(gateway.BoshUrl, server.Domain);
            var bob = new BoshTestClient(gateway.BoshUrl, server.Domain);
            var bobUser = TestUsers.Take(server);
            await alice.LoginAsync(TestUsers.Take(server));
            await bob.LoginAsync(bobUser);
            return new Conversation(alice, bob, $"{bobUser}@{server.Domain}");
        }

        public async Task AssertGoesOnAsync()
        {
            await alice.SendMessageAsync(bobJid, "beside the slow one");
            await bob.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "beside the slow one");
        }

        public async ValueTask DisposeAsync()
        {
            await alice.DisposeAsync();
            await bob.DisposeAsync();
        }
    }
}
