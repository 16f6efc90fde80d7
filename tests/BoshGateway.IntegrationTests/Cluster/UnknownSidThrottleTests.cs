using System.Diagnostics;
using System.Net;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>
/// With several nodes, only sids no node can have issued (their signature fails) spend an address's
/// unknown-sid budget: after it, guesses get 429 without a Redis lookup, while the same address's real
/// session on another node is still forwarded to its owner.
/// </summary>
[Collection(ClusterCollection.Name)]
public class UnknownSidThrottleTests(XmppServers servers)
{
    [Fact]
    public async Task ForgedSids_AreThrottled_ButARealSessionOnAnotherNodeIsStillForwarded()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        string[] throttle = ["Gateway:Throttle:UnknownSidsPerSecond=1", "Gateway:Throttle:UnknownSidBurst=3"];
        await using var owner = await GatewayNode.StartAsync("node1", server.C2sPort, redis.ConnectionString, throttle);
        await using var other = await GatewayNode.StartAsync("node2", server.C2sPort, redis.ConnectionString, throttle);
        await using var client = new BoshTestClient(owner.BoshUrl, server.Domain);
        await client.CreateAsync(wait: 1);

        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        int notFound = 0, throttled = 0;
        for (var i = 0; i < 20; i++)
        {
            using var content = new StringContent($"<body rid='5' sid='node1-{Guid.NewGuid():N}' xmlns='http://jabber.org/protocol/httpbind'/>", Encoding.UTF8, "text/xml");
            using var response = await http.PostAsync(other.BoshUrl, content);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter);
                throttled++;
                continue;
            }
            Assert.Equal("item-not-found", (string?)XElement.Parse(await response.Content.ReadAsStringAsync()).Attribute("condition"));
            notFound++;
        }
        Assert.InRange(notFound, 3, 3 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));
        Assert.Equal(20 - notFound, throttled);

        // The address's own session, owned by node1, asked through node2: forwarded and answered as usual.
        var answer = await client.SendAsync("", via: other.BoshUrl);
        Assert.Null((string?)answer.Attribute("type"));
    }
}
