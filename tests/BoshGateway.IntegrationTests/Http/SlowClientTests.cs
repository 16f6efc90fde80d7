using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// Slowloris, slow bodies and clients that read nothing (robustness.md D3, D4, D5): Kestrel's limits, which the gateway leaves at their defaults
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

    // D5: a client that asks for its queued messages and then reads nothing. An answer the kernel can buffer (its send
    // buffer grows to net.ipv4.tcp_wmem's 4 MiB) is written at once and costs the gateway nothing more; the connection
    // then ends at Kestrel's keep-alive timeout. A larger one would wait on Kestrel's minimum response rate, which gives
    // a write time in proportion to its size (6 MB at 240 B/s: seven hours), so the gateway closes a connection that
    // takes none of a 64 KiB piece for Bosh:SendTimeout (3 s here). Bosh:MaxQueuedBytes is raised to 8 MiB so one
    // answer (6 MB) outgrows the buffers. The session is not harmed: the client resends the same rid, as after any
    // broken connection, and gets the whole answer again, so nothing is lost.
    [Fact]
    public async Task NonReadingClient_IsCutOffAtTheSendTimeout_AndTheResentRidGetsTheWholeAnswer()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, log, "Gateway:Bosh:MaxQueuedBytes=8388608", "Gateway:Bosh:SendTimeout=00:00:03");
        await using var conversation = await Conversation.StartAsync(gateway, server);
        await using var reader = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var sender = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await reader.LoginAsync(TestUsers.Take(server));
        await sender.LoginAsync(TestUsers.Take(server));
        await reader.StopPollingAsync();
        const int Count = 100;
        var text = new string('x', 60_000);
        for (var i = 0; i < Count; i++)
        {
            await sender.SendMessageAsync(reader.Jid!, $"{i} {text}");
        }
        Assert.True(gateway.Sessions.TryGet(reader.Sid!, out var session));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (session.OutboxBytes < Count * 60_000)
        {
            Assert.True(DateTime.UtcNow < deadline, $"only {session.OutboxBytes} bytes queued for the reader");
            await Task.Delay(50);
        }

        // A receive buffer of 4 KiB and nothing read: 6 MB cannot fit in what the kernel and Kestrel buffer.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(IPAddress.Loopback, gateway.BaseUrl.Port);
        var rid = reader.NextRid();
        var pollXml = $"<body rid='{rid}' sid='{reader.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>";
        var poll = Encoding.ASCII.GetBytes(pollXml);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"POST /http-bind HTTP/1.1\r\nHost: {gateway.BaseUrl.Authority}\r\nContent-Type: text/xml\r\nContent-Length: {poll.Length}\r\n\r\n").Concat(poll).ToArray());
        var clientPort = ((IPEndPoint)socket.LocalEndPoint!).Port;
        var sent = DateTime.UtcNow;
        while (TcpConnections.IsEstablished(gateway.BaseUrl.Port, clientPort))
        {
            Assert.True(DateTime.UtcNow - sent < TimeSpan.FromSeconds(20), "the gateway still holds the connection of a client that reads nothing");
            await Task.Delay(100);
        }
        Assert.True(gateway.Sessions.TryGet(reader.Sid!, out _), "the session ended with its client's connection");

        var resent = XElement.Parse(await reader.PostRawAsync(pollXml));
        var bodies = resent.Elements(BoshTestClient.Client + "message").Select(m => m.Element(BoshTestClient.Client + "body")?.Value.Split(' ')[0]).ToList();
        Assert.Equal(Enumerable.Range(0, Count).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), bodies);
        await conversation.AssertGoesOnAsync();
        Assert.DoesNotContain(log.Lines, line => line.Contains("unhandled exception", StringComparison.OrdinalIgnoreCase));
        Assert.Single(log.Lines, line => line.Contains("was not read for 00:00:03", StringComparison.Ordinal));
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
