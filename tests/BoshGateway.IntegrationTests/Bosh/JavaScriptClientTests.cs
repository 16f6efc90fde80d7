using System.Globalization;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>A stock JavaScript XMPP library (StanzaJS, pinned in tests/js/package-lock.json) chats through the gateway.</summary>
[Collection(JavaScriptCollection.Name)]
public class JavaScriptClientTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody", "bosh")]
    [InlineData("ejabberd", "bosh")]
    [InlineData("prosody", "websocket")]
    [InlineData("ejabberd", "websocket")]
    public async Task StanzaJs_LogsInAndChats(string serverName, string transport)
    {
        var server = servers[serverName];
        server.RequireRunning();
        JavaScript.RequireNodeModules();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        var url = transport == "bosh" ? gateway.BoshUrl : gateway.WebSocketUrl;

        var (exit, output) = await ProcessRunner.RunAsync("node",
            [JavaScript.ChatScript, transport, url.ToString(), server.Domain, TestUsers.Take(server), TestUsers.Take(server)], TimeSpan.FromSeconds(60));

        Assert.True(exit == 0, $"StanzaJS run failed ({exit.ToString(CultureInfo.InvariantCulture)}): {output}");
        Assert.Contains("\"ok\":true", output, StringComparison.Ordinal);
    }
}
