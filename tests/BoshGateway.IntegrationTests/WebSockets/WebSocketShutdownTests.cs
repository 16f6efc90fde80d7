using System.Net.WebSockets;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.WebSockets;

/// <summary>What WebSocket clients see when the gateway stops.</summary>
public class WebSocketShutdownTests(XmppServers servers)
{
    [Fact]
    public async Task Shutdown_WithARedirect_SendsSeeOtherUri()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:WebSocket:ShutdownRedirectUri=wss://other-node.example/xmpp-websocket");
        await using var client = new WebSocketTestClient();
        await client.LoginAsync(gateway.WebSocketUrl, server.Domain, TestUsers.Take(server));

        var stopping = gateway.DisposeAsync().AsTask();
        var close = await client.WaitForAsync(e => e.Name == XName.Get("close", XmlNames.Framing), TimeSpan.FromSeconds(10));
        await stopping;

        Assert.Equal("wss://other-node.example/xmpp-websocket", (string?)close.Attribute("see-other-uri"));
    }

    [Fact]
    public async Task Shutdown_WithoutARedirect_SendsSystemShutdown()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var client = new WebSocketTestClient();
        await client.LoginAsync(gateway.WebSocketUrl, server.Domain, TestUsers.Take(server));

        var stopping = gateway.DisposeAsync().AsTask();
        var error = await client.WaitForAsync(e => e.Name == XName.Get("error", XmlNames.Streams), TimeSpan.FromSeconds(10));
        await stopping;

        Assert.NotNull(error.Element(XName.Get("system-shutdown", XmlNames.StreamErrors)));
        Assert.Equal("<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />", await client.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Null(await client.ReceiveAsync(TimeSpan.FromSeconds(5)));
        Assert.Equal(WebSocketCloseStatus.EndpointUnavailable, client.Socket.CloseStatus);
    }
}
