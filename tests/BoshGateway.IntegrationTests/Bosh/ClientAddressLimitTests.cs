using System.Net;
using System.Net.WebSockets;
using System.Text;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>One client address may hold only so many sessions: the server sees the gateway, so the gateway counts.</summary>
public class ClientAddressLimitTests(XmppServers servers)
{
    private static async Task<HttpStatusCode> CreateStatusAsync(GatewayHost gateway)
    {
        using var http = new HttpClient();
        using var content = new StringContent("<body rid='10' to='localhost' wait='5' hold='1' xmlns='http://jabber.org/protocol/httpbind'/>", Encoding.UTF8, "text/xml");
        using var response = await http.PostAsync(gateway.BoshUrl, content);
        return response.StatusCode;
    }

    [Fact]
    public async Task SessionsOverTheCap_AreRefusedWith429_UntilOneEnds()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:MaxSessionsPerClientAddress=2");
        await using var first = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var second = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await first.CreateAsync();
        await second.CreateAsync();

        Assert.Equal(HttpStatusCode.TooManyRequests, await CreateStatusAsync(gateway));
        await using var ws = new WebSocketTestClient();
        var refused = await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(gateway.WebSocketUrl));
        Assert.Contains("429", refused.Message, StringComparison.Ordinal);

        await first.SendAsync("", "type='terminate'");
        Assert.Equal(HttpStatusCode.OK, await CreateStatusAsync(gateway));
    }

    // robustness B11: a session parked with `pause` holds its backend stream and its place like any other, so parking
    // sessions is no way around the cap.
    [Fact]
    public async Task PausedSessions_CountAgainstTheCap_LikeAnyOther()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        const int Cap = 20;
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, $"Gateway:MaxSessionsPerClientAddress={Cap}");
        var parked = new List<BoshTestClient>();
        try
        {
            for (var i = 0; i < Cap; i++)
            {
                var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
                parked.Add(client);
                await client.CreateAsync();
                var paused = await client.SendAsync("", "pause='60'");
                Assert.Null((string?)paused.Attribute("type"));
            }
            Assert.Equal(Cap, gateway.Sessions.Count);

            Assert.Equal(HttpStatusCode.TooManyRequests, await CreateStatusAsync(gateway));
            await using var ws = new WebSocketTestClient();
            var refused = await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(gateway.WebSocketUrl));
            Assert.Contains("429", refused.Message, StringComparison.Ordinal);

            // Coming back from the pause is an ordinary request; ending a parked session gives its place back.
            var back = await parked[0].SendAsync("", "type='terminate'");
            Assert.Null((string?)back.Attribute("condition"));
            Assert.Equal(HttpStatusCode.OK, await CreateStatusAsync(gateway));
        }
        finally
        {
            foreach (var client in parked)
            {
                await client.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task FailedSessionCreations_DoNotUseUpTheCap()
    {
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next(), "Gateway:MaxSessionsPerClientAddress=1");
        for (var i = 0; i < 3; i++)
        {
            await using var client = new BoshTestClient(gateway.BoshUrl, "localhost");
            var body = await client.CreateAsync();
            Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
        }
    }
}
