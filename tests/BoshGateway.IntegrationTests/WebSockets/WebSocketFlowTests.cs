using System.Net.WebSockets;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.WebSockets;

/// <summary>RFC 7395 through the gateway to real Prosody and ejabberd.</summary>
public class WebSocketFlowTests(XmppServers servers)
{
    private const string StropheClose = "<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />";

    [Theory]
    [InlineData("prosody", "PLAIN")]
    [InlineData("prosody", "SCRAM-SHA-1")]
    [InlineData("ejabberd", "PLAIN")]
    [InlineData("ejabberd", "SCRAM-SHA-1")]
    public async Task Login_OverWebSocket_BindsAFullJid(string serverName, string mechanism)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var client = new WebSocketTestClient();
        var user = TestUsers.Take(server);

        await client.LoginAsync(gateway.WebSocketUrl, server.Domain, user, mechanism: mechanism);

        Assert.Equal($"{user}@{server.Domain}/ws", client.Jid);
        Assert.DoesNotContain(client.Received, m => m.Contains("starttls", StringComparison.Ordinal));
        Assert.All(client.Received, m => Assert.NotNull(XElement.Parse(m)));
        Assert.Contains(client.Received, m => m.StartsWith("<stream:features xmlns:stream=", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task TwoClients_ExchangeMessages_InOrder(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var a = new WebSocketTestClient();
        await using var b = new WebSocketTestClient();
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await a.LoginAsync(gateway.WebSocketUrl, server.Domain, alice);
        await b.LoginAsync(gateway.WebSocketUrl, server.Domain, bob);

        const int count = 50;
        for (var i = 0; i < count; i++)
        {
            await a.SendMessageAsync($"{bob}@{server.Domain}", $"ws {i}");
        }

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"ws {i}"), await b.MessagesAsync("ws ", count));
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task ClientClose_IsAnsweredAtOnceWithStrophesCloseString(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var client = new WebSocketTestClient();
        await client.LoginAsync(gateway.WebSocketUrl, server.Domain, TestUsers.Take(server));

        await client.SendAsync("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
        string? reply;
        do
        {
            reply = await client.ReceiveAsync(TimeSpan.FromSeconds(2));
        }
        while (reply is not null && reply != StropheClose);

        Assert.Equal(StropheClose, reply);
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.Socket.CloseStatus);
    }

    [Fact]
    public async Task ServerStreamError_IsPassedOn_ThenCloseThenWebSocketClose()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        var user = TestUsers.Take(server);
        await using var first = new WebSocketTestClient();
        await first.LoginAsync(gateway.WebSocketUrl, server.Domain, user, resource: "same");
        await using var second = new WebSocketTestClient();
        await second.LoginAsync(gateway.WebSocketUrl, server.Domain, user, resource: "same");

        // Prosody ends the older session holding the same resource with a conflict stream error.
        var error = await first.WaitForAsync(e => e.Name == XName.Get("error", XmlNames.Streams));
        Assert.NotNull(error.Element(XName.Get("conflict", XmlNames.StreamErrors)));
        Assert.Equal(StropheClose, await first.ReceiveAsync());
        Assert.Null(await first.ReceiveAsync());
    }

    [Fact]
    public async Task ServerKilled_ClientGetsRemoteConnectionFailed()
    {
        var server = await XmppServers.StartPrivateProsodyAsync("prosody-ws-kill", "victim");
        server.RequireRunning();
        try
        {
            await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
            await using var client = new WebSocketTestClient();
            await client.LoginAsync(gateway.WebSocketUrl, server.Domain, "victim");
            await server.KillAsync();

            var error = await client.WaitForAsync(e => e.Name == XName.Get("error", XmlNames.Streams), TimeSpan.FromSeconds(5));
            Assert.NotNull(error.Element(XName.Get("remote-connection-failed", XmlNames.StreamErrors)));
            Assert.Equal(StropheClose, await client.ReceiveAsync());
        }
        finally
        {
            await XmppServers.StopPrivateAsync(server);
        }
    }
}
