using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>XEP-0206 §7 against real servers: a message the client never collected comes back to its sender as an error.</summary>
public class UndeliveredStanzaTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task MessageToAVanishedBoshClient_IsBouncedToTheSender(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Bosh:Inactivity=00:00:05", "Gateway:Bosh:Polling=00:00:01");
        await using var alice = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var bob = new WebSocketTestClient();
        await alice.LoginAsync(TestUsers.Take(server), wait: 2);
        await bob.LoginAsync(gateway.WebSocketUrl, server.Domain, TestUsers.Take(server));
        await alice.StopPollingAsync();

        await bob.SendAsync($"<message xmlns='jabber:client' to='{alice.Jid}' type='chat' id='never-read'><body>are you there?</body></message>");
        var bounce = await bob.WaitForAsync(e => e.Name == WebSocketTestClient.Client + "message" && (string?)e.Attribute("id") == "never-read", TimeSpan.FromSeconds(20));

        Assert.Equal("error", (string?)bounce.Attribute("type"));
        Assert.NotNull(bounce.Descendants(XName.Get("recipient-unavailable", XmlNames.StanzaErrors)).SingleOrDefault());
    }
}
