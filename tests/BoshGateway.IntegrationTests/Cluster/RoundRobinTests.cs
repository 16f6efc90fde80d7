using BoshGateway.IntegrationTests.Bosh;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>Three gateway nodes behind nginx in strict round-robin serve BOSH sessions as one.</summary>
[Collection(ClusterCollection.Name)]
public class RoundRobinTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task ThousandMessages_AcrossNodes_ArriveOnceAndInOrder(string serverName)
    {
        var server = servers[serverName];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 3, withNginx: true, name: "cluster-rr-" + serverName);
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var a = new BoshTestClient(cluster.NginxBoshUrl, server.Domain, cluster.Nginx!.TrustingHandler());
        await using var b = new BoshTestClient(cluster.NginxBoshUrl, server.Domain, cluster.Nginx!.TrustingHandler());
        await a.LoginAsync(alice);
        await b.LoginAsync(bob);

        const int count = 500;
        for (var i = 0; i < count; i++)
        {
            await a.SendMessageAsync($"{bob}@{server.Domain}", $"a-to-b {i}");
            await b.SendMessageAsync($"{alice}@{server.Domain}", $"b-to-a {i}");
        }
        var atBob = await BoshSessionFlowTests.Messages(b, "a-to-b", count);
        var atAlice = await BoshSessionFlowTests.Messages(a, "b-to-a", count);

        Assert.Equal(Enumerable.Range(0, count).Select(i => $"a-to-b {i}"), atBob);
        Assert.Equal(Enumerable.Range(0, count).Select(i => $"b-to-a {i}"), atAlice);
        // Strict round-robin over three nodes: of the 2 × count sends (and the polls between them) about
        // two in three reach a node that does not own the session and are forwarded.
        var forwarded = await cluster.ForwardedAsync();
        Assert.True(forwarded > count, $"only {forwarded} of more than {2 * count} requests were forwarded: the balancer did not spread them");
        Assert.All(cluster.Nodes, n => Assert.DoesNotContain("fail:", n.Log, StringComparison.Ordinal));
    }

    [Fact]
    public async Task WebSocketsAndBosh_ThroughTheBalancer_ReachEachOther()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 3, withNginx: true, name: "cluster-ws");
        var nginx = cluster.Nginx!;
        var (ws1User, ws2User, boshUser) = (TestUsers.Take(server), TestUsers.Take(server), TestUsers.Take(server));
        await using var ws1 = new WebSocketTestClient(trustedCertificate: nginx.Certificate);
        await using var ws2 = new WebSocketTestClient(trustedCertificate: nginx.Certificate);
        await using var bosh = new BoshTestClient(cluster.NginxBoshUrl, server.Domain, nginx.TrustingHandler());
        await ws1.LoginAsync(nginx.WebSocketUrl, server.Domain, ws1User);
        await ws2.LoginAsync(nginx.WebSocketUrl, server.Domain, ws2User);
        await bosh.LoginAsync(boshUser);

        await ws1.SendMessageAsync($"{ws2User}@{server.Domain}", "ws to ws");
        await ws1.SendMessageAsync($"{boshUser}@{server.Domain}", "ws to bosh");
        await bosh.SendMessageAsync($"{ws1User}@{server.Domain}", "bosh to ws");

        Assert.Equal(["ws to ws"], await ws2.MessagesAsync("ws to", 1));
        Assert.Equal(["bosh to ws"], await ws1.MessagesAsync("bosh to", 1));
        await bosh.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "ws to bosh");
        // Each WebSocket stays on the node that accepted it; round-robin spread them over the nodes.
        var sockets = new List<long>();
        foreach (var node in cluster.Nodes)
        {
            sockets.Add(await node.HealthFigureAsync("websocket"));
        }
        Assert.Equal(2, sockets.Sum());
        Assert.True(sockets.Max() == 1, "both WebSockets went to one node: " + string.Join(",", sockets));
    }
}
