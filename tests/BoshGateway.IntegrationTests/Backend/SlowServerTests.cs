using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// A slow link to the server (robustness.md E7's shapes: 2 s of latency on every chunk, then 1 KB/s), through
/// <see cref="FaultProxy"/>: slow is not broken. Nothing times out or is refused, and every stanza of both
/// transports arrives whole and in the order it was sent. The stopped server, where backpressure takes
/// over, is <c>WebSockets.ServerStallTests</c> and <c>Bosh.BoshServerStallTests</c>.
/// </summary>
public sealed class SlowServerTests(XmppServers servers)
{
    private const int Count = 3;

    [Theory]
    [InlineData("latency")]
    [InlineData("throttle")]
    public async Task SlowServer_BothTransports_DeliverEverythingInOrder_AndNoSessionEnds(string shape)
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var proxy = FaultProxy.Start(server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, "Gateway:Backends:Pool:Size=0");
        var (wsUser, boshUser, receiverUser) = (TestUsers.Take(server), TestUsers.Take(server), TestUsers.Take(server));
        await using var ws = new WebSocketTestClient();
        await ws.LoginAsync(gateway.WebSocketUrl, server.Domain, wsUser);
        await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await bosh.LoginAsync(boshUser);
        await using var receiver = new WebSocketTestClient();
        await receiver.LoginAsync(gateway.WebSocketUrl, server.Domain, receiverUser);

        if (shape == "latency")
        {
            proxy.Delay = TimeSpan.FromSeconds(2);
        }
        else
        {
            proxy.BytesPerSecond = 1024;
        }
        // About 300 bytes a message: at 1 KB/s the six take a few seconds each way.
        var padding = new string('p', 200);
        var to = $"{receiverUser}@{server.Domain}";
        for (var i = 0; i < Count; i++)
        {
            await ws.SendMessageAsync(to, $"{shape}-ws-{i} {padding}");
            await bosh.SendMessageAsync(to, $"{shape}-bosh-{i} {padding}");
        }

        var bodies = await receiver.MessagesAsync(shape, 2 * Count, TimeSpan.FromSeconds(90));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"{shape}-ws-{i} {padding}"), bodies.Where(b => b.StartsWith($"{shape}-ws-", StringComparison.Ordinal)));
        Assert.Equal(Enumerable.Range(0, Count).Select(i => $"{shape}-bosh-{i} {padding}"), bodies.Where(b => b.StartsWith($"{shape}-bosh-", StringComparison.Ordinal)));

        // Every session is still up: each answers a ping through the slow link.
        await ws.SendAsync("<iq xmlns='jabber:client' type='get' id='ws-ping'><ping xmlns='urn:xmpp:ping'/></iq>");
        await ws.WaitForAsync(e => (string?)e.Attribute("id") == "ws-ping", TimeSpan.FromSeconds(60));
        await bosh.SendAsync("<iq type='get' id='bosh-ping'><ping xmlns='urn:xmpp:ping'/></iq>");
        await bosh.WaitForAsync(e => (string?)e.Attribute("id") == "bosh-ping", TimeSpan.FromSeconds(60));
        Assert.Null(bosh.Terminate);
        Assert.Equal(3, gateway.Sessions.Count);
    }
}
