using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>Logins and message exchange through the gateway against real Prosody and ejabberd.</summary>
public class BoshSessionFlowTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody", "PLAIN")]
    [InlineData("prosody", "SCRAM-SHA-1")]
    [InlineData("ejabberd", "PLAIN")]
    [InlineData("ejabberd", "SCRAM-SHA-1")]
    public async Task Login_ThroughTheGateway_BindsAFullJid(string serverName, string mechanism)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        var user = TestUsers.Take(server);
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);

        await client.LoginAsync(user, mechanism: mechanism);

        Assert.Equal($"{user}@{server.Domain}/test", client.Jid);
        var creation = client.CreationResponse!;
        Assert.Equal("2", (string?)creation.Attribute("requests"));
        Assert.Equal("true", (string?)creation.Attribute(XName.Get("restartlogic", XmlNames.XBosh)));
        Assert.NotNull(creation.Attribute("authid"));
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task TwoSessions_ExchangeMessages_AllArriveOnceAndInOrder(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var a = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var b = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await a.LoginAsync(alice);
        await b.LoginAsync(bob);

        const int count = 40;
        for (var i = 0; i < count; i++)
        {
            await a.SendMessageAsync($"{bob}@{server.Domain}", $"a-to-b {i}");
            await b.SendMessageAsync($"{alice}@{server.Domain}", $"b-to-a {i}");
        }
        var atBob = await Messages(b, "a-to-b", count);
        var atAlice = await Messages(a, "b-to-a", count);

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"a-to-b {i}"), atBob);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"b-to-a {i}"), atAlice);
    }

    internal static async Task<List<string>> Messages(BoshTestClient client, string prefix, int count)
    {
        var bodies = new List<string>();
        while (bodies.Count < count)
        {
            var message = await client.WaitForAsync(e => e.Name == BoshTestClient.Client + "message"
                && (e.Element(BoshTestClient.Client + "body")?.Value.StartsWith(prefix, StringComparison.Ordinal) ?? false));
            bodies.Add(message.Element(BoshTestClient.Client + "body")!.Value);
        }
        await Task.Delay(300);
        Assert.DoesNotContain(client.Inbox, e => e.Element(BoshTestClient.Client + "body")?.Value.StartsWith(prefix, StringComparison.Ordinal) ?? false);
        return bodies;
    }
}
