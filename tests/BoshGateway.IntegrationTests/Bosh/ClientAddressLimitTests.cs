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
