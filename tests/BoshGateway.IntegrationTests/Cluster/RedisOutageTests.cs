using System.Diagnostics;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Bosh;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>Redis stopped, restarted empty, or wiped while sessions run.</summary>
[Collection(ClusterCollection.Name)]
public class RedisOutageTests(XmppServers servers)
{
    [Fact]
    public async Task RedisDown_SessionsContinueOnTheirOwners_NewSessionsGet503_ThenWorkAgain()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 3, withNginx: false, name: "cluster-redis-down");
        var (n1, n2, n3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var a = new BoshTestClient(n1.BoshUrl, server.Domain) { RetriesOnUnavailable = 40 };
        await using var b = new BoshTestClient(n2.BoshUrl, server.Domain) { RetriesOnUnavailable = 40 };
        await a.LoginAsync(alice);
        await b.LoginAsync(bob);
        // n3 learns where node1 lives while Redis is up.
        await a.SendMessageAsync($"{bob}@{server.Domain}", "before 0", via: n3.BoshUrl);

        await cluster.Redis.StopAsync();
        await WaitForHealthAsync(n1, "degraded");

        await a.SendMessageAsync($"{bob}@{server.Domain}", "during 0");
        await b.SendMessageAsync($"{alice}@{server.Domain}", "during 1");
        await a.SendMessageAsync($"{bob}@{server.Domain}", "during 2", via: n3.BoshUrl);
        Assert.Equal(["during 0", "during 2"], await BoshSessionFlowTests.Messages(b, "during", 2));
        Assert.Equal(["during 1"], await BoshSessionFlowTests.Messages(a, "during", 1));
        var watch = Stopwatch.StartNew();
        var refused = await CreateAsync(n2, server.Domain);
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, refused);
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), $"a new session waited {watch.Elapsed} for Redis");

        await cluster.Redis.StartAgainAsync();
        foreach (var node in cluster.Nodes)
        {
            await WaitForHealthAsync(node, "ok");
        }

        await a.SendMessageAsync($"{bob}@{server.Domain}", "after 0", via: n2.BoshUrl);
        await b.SendMessageAsync($"{alice}@{server.Domain}", "after 1", via: n3.BoshUrl);
        Assert.Equal(["after 0"], await BoshSessionFlowTests.Messages(b, "after", 1));
        Assert.Equal(["after 1"], await BoshSessionFlowTests.Messages(a, "after", 1));
        await using var c = new BoshTestClient(n2.BoshUrl, server.Domain);
        await c.LoginAsync(TestUsers.Take(server));
        // The restarted Redis is empty: the owners write their live sessions back.
        await WaitForKeyAsync(cluster.Redis, $"bg:s:{{{a.Sid}}}");
        Assert.All(cluster.Nodes, n => Assert.DoesNotContain("fail:", n.Log, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RedisStalled_CallsGiveUpAfterRedisTimeout_SessionsCarryOn_NewOnesGet503()
    {
        // Robustness E9: Redis accepts connections but answers nothing (CLIENT PAUSE, as a stuck
        // master or a long fork does). Every Redis call on a request's path gives up after
        // Cluster:RedisTimeout (2 s in the nodes' defaults), so nothing waits for the stall itself.
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 2, withNginx: false, name: "cluster-redis-stall");
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var a = new BoshTestClient(n1.BoshUrl, server.Domain);
        await using var b = new BoshTestClient(n2.BoshUrl, server.Domain);
        await a.LoginAsync(alice);
        await b.LoginAsync(bob);
        // n2 learns where n1 lives while Redis answers.
        await a.SendMessageAsync($"{bob}@{server.Domain}", "before 0", via: n2.BoshUrl);
        Assert.Equal(["before 0"], await BoshSessionFlowTests.Messages(b, "before", 1));

        const int PauseMs = 12_000;
        Assert.Equal("OK", await cluster.Redis.CliAsync("CLIENT", "PAUSE", PauseMs.ToString(System.Globalization.CultureInfo.InvariantCulture), "ALL"));
        var stalled = Stopwatch.StartNew();

        var watch = Stopwatch.StartNew();
        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, await CreateAsync(n1, server.Domain));
        var refusedAfter = watch.Elapsed;
        Assert.True(refusedAfter < TimeSpan.FromSeconds(3.5), $"a new session waited {refusedAfter} for the stalled Redis");

        // On its owner a session needs no Redis: messages go both ways at once.
        watch.Restart();
        await a.SendMessageAsync($"{bob}@{server.Domain}", "during 0");
        await b.SendMessageAsync($"{alice}@{server.Domain}", "during 1");
        Assert.Equal(["during 0"], await BoshSessionFlowTests.Messages(b, "during", 1));
        Assert.Equal(["during 1"], await BoshSessionFlowTests.Messages(a, "during", 1));
        var ownersTook = watch.Elapsed;
        Assert.True(ownersTook < TimeSpan.FromSeconds(1.5), $"owners took {ownersTook} to relay two messages during the stall");

        // Through the other node: its registry lookup gives up after RedisTimeout and the request goes
        // to the owner's last known address.
        watch.Restart();
        await a.SendMessageAsync($"{bob}@{server.Domain}", "during 2", via: n2.BoshUrl);
        Assert.Equal(["during 2"], await BoshSessionFlowTests.Messages(b, "during", 1));
        var forwardTook = watch.Elapsed;
        Assert.True(forwardTook < TimeSpan.FromSeconds(3.5), $"a forwarded request took {forwardTook} during the stall");
        Assert.True(stalled.Elapsed < TimeSpan.FromMilliseconds(PauseMs), $"the checks ran past the stall ({stalled.Elapsed}): they proved nothing about it");

        // After the stall: the nodes renew their leases (the lost heartbeats were Redis's fault, not a
        // stalled node's, so nobody fences itself) and new sessions open again. The 12 s pause outlived
        // the 10 s registry entries: until a node writes its entry back (at once when its Redis connection
        // is restored, see AfterAReconnect_…), a request for its session through another node gets 503 (try
        // again), as documented. Wait for the entries, not only for the connections (a node is "ok" once
        // reconnected, a moment before that).
        await Task.Delay(TimeSpan.FromMilliseconds(PauseMs) - stalled.Elapsed + TimeSpan.FromMilliseconds(200));
        foreach (var node in cluster.Nodes)
        {
            await WaitForHealthAsync(node, "ok");
            await WaitForKeyAsync(cluster.Redis, $"bg:n:{{{node.Id}}}");
        }
        await using var c = new BoshTestClient(n1.BoshUrl, server.Domain);
        await c.LoginAsync(TestUsers.Take(server));
        await a.SendMessageAsync($"{bob}@{server.Domain}", "after 0", via: n2.BoshUrl);
        await b.SendMessageAsync($"{alice}@{server.Domain}", "after 1", via: n1.BoshUrl);
        Assert.Equal(["after 0"], await BoshSessionFlowTests.Messages(b, "after", 1));
        Assert.Equal(["after 1"], await BoshSessionFlowTests.Messages(a, "after", 1));
        Assert.All(cluster.Nodes, n => Assert.DoesNotContain("out of the registry", n.Log, StringComparison.Ordinal));
        Assert.All(cluster.Nodes, n => Assert.DoesNotContain("fail:", n.Log, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FlushAll_LiveSessionsCarryOn_AndASessionWhoseOwnerDiedGetsItemNotFound()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 3, withNginx: true, name: "cluster-flush");
        var (alice, bob, carol) = (TestUsers.Take(server), TestUsers.Take(server), TestUsers.Take(server));
        await using var a = new BoshTestClient(cluster.NginxBoshUrl, server.Domain, cluster.Nginx!.TrustingHandler()) { RetriesOnUnavailable = 20 };
        await using var b = new BoshTestClient(cluster.NginxBoshUrl, server.Domain, cluster.Nginx.TrustingHandler()) { RetriesOnUnavailable = 20 };
        await a.LoginAsync(alice);
        await b.LoginAsync(bob);
        // nginx places a and b on any node (round-robin over every request of their logins): the node
        // to kill is one that owns neither (the owner is in the sid).
        var doomedOwner = cluster.Nodes.First(n => !a.Sid!.Contains($".{n.Id}.", StringComparison.Ordinal) && !b.Sid!.Contains($".{n.Id}.", StringComparison.Ordinal));
        await using var doomed = new BoshTestClient(doomedOwner.BoshUrl, server.Domain) { RetriesOnUnavailable = 40 };
        await doomed.LoginAsync(carol, wait: 2);
        await doomed.StopPollingAsync();

        await doomedOwner.KillAsync();
        Assert.Equal("OK", await cluster.Redis.CliAsync("FLUSHALL"));

        for (var i = 0; i < 20; i++)
        {
            await a.SendMessageAsync($"{bob}@{server.Domain}", $"after flush {i}");
        }
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"after flush {i}"), await BoshSessionFlowTests.Messages(b, "after flush", 20));
        // Right after the wipe the registry is being rebuilt, so a missing owner may still be alive:
        // "try again" (503) for a moment, then item-not-found, as the client resends the same rid.
        var watch = Stopwatch.StartNew();
        var survivor = cluster.Nodes.First(n => n != doomedOwner);
        var gone = XElement.Parse(await doomed.PostRawAsync(
            $"<body rid='{doomed.NextRid()}' sid='{doomed.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>", survivor.BoshUrl));
        Assert.Equal("item-not-found", (string?)gone.Attribute("condition"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"item-not-found took {watch.Elapsed}");
        await WaitForKeyAsync(cluster.Redis, $"bg:n:{{{survivor.Id}}}");
        await WaitForKeyAsync(cluster.Redis, $"bg:s:{{{a.Sid}}}");
        foreach (var node in cluster.Nodes.Where(n => n != doomedOwner))
        {
            Assert.DoesNotContain("fail:", node.Log, StringComparison.Ordinal);
            Assert.True(node.Log.Split('\n').Count(l => l.StartsWith("warn:", StringComparison.Ordinal)) < 10, "warning storm: " + node.Log);
        }
    }

    private static async Task<System.Net.HttpStatusCode> CreateAsync(GatewayNode node, string domain)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var content = new StringContent($"<body rid='1000' to='{domain}' wait='10' hold='1' ver='1.6' xmlns='http://jabber.org/protocol/httpbind'/>");
        content.Headers.ContentType = new("text/xml");
        using var response = await http.PostAsync(node.BoshUrl, content);
        return response.StatusCode;
    }

    private static async Task WaitForHealthAsync(GatewayNode node, string status)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        string health;
        while (!(health = await node.HealthAsync()).StartsWith(status, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{node.Id} health stayed '{health.Trim()}', expected {status}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task AfterAReconnect_TheLeaseIsRenewedAtOnce_NotAtTheNextHeartbeat()
    {
        // An outage longer than the lease lets the node's entry expire, and requests for its sessions
        // through other nodes get 503 until the entry is written again: a node renews it as soon as Redis
        // is back. With a 30 s heartbeat, only that renewal can reset the entry's time to live here.
        var server = servers["prosody"];
        server.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        await using var node = await GatewayNode.StartAsync("renew", server.C2sPort, redis.ConnectionString,
            "Gateway:Cluster:HeartbeatInterval=00:00:30", "Gateway:Cluster:NodeLease=00:01:00");
        var key = "bg:n:{renew}";
        await WaitForKeyAsync(redis, key);
        await Task.Delay(1500);
        var before = long.Parse(await redis.CliAsync("PTTL", key), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(before, 1, 59_000);

        Assert.NotEqual("0", await redis.CliAsync("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        long ttl;
        while ((ttl = long.Parse(await redis.CliAsync("PTTL", key), System.Globalization.CultureInfo.InvariantCulture)) <= before)
        {
            Assert.True(DateTime.UtcNow < deadline, $"the entry was not renewed after the reconnect (time to live {ttl} ms, {before} ms before it)");
            await Task.Delay(100);
        }
        Assert.Contains("restored", node.Log, StringComparison.Ordinal);
    }

    private static async Task WaitForKeyAsync(RedisServer redis, string key)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!(await redis.KeysAsync("bg:*")).Contains(key))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{key} did not come back");
            await Task.Delay(100);
        }
    }
}
