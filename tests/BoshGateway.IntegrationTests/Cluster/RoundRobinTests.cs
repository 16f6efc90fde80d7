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
}
