using System.Diagnostics;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Cluster;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Haproxy;

/// <summary>
/// Two nodes sharing Redis behind the shipped deploy/haproxy/boshgateway.cfg, over TLS: HAProxy polls
/// <c>/health</c>, drops what it holds on a node that stops answering (issue 16: a stalled node must not
/// leave its clients waiting) and only stops sending new clients to a node that is stopping.
/// </summary>
[Collection(ClusterCollection.Name)]
public class HaproxyFrontendTests(XmppServers servers)
{
    // The product's lease and heartbeat (test nodes otherwise use 3 s and 0.5 s), so that a request HAProxy
    // ends can be told apart from one the cluster ends when the stalled owner's lease runs out.
    private static readonly string[] ProductLease = ["Gateway:Cluster:NodeLease=00:00:10", "Gateway:Cluster:HeartbeatInterval=00:00:02"];

    // HAProxy checks every second, 1 s timeout, DOWN after two failures: about 3 s. Well under the 10 s lease.
    private static readonly TimeSpan CutWithin = TimeSpan.FromSeconds(8);

    [Fact]
    public async Task StalledNode_WhatHaproxyHeldThereEndsWithinSeconds_AndNewClientsGoToTheOtherNode()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        await using var n1 = await GatewayNode.StartAsync("node1", server.C2sPort, redis.ConnectionString, ProductLease);
        await using var n2 = await GatewayNode.StartAsync("node2", server.C2sPort, redis.ConnectionString, ProductLease);
        await using var haproxy = await HaproxyFrontend.StartAsync("haproxy-stall", n1.Port, n2.Port);
        haproxy.RequireRunning();

        var (onN1, onN2) = await WebSocketsOnEachNodeAsync(haproxy, n1, n2, server);
        await using var victim = onN1;
        await using var bystander = onN2;
        // A plain BOSH user whose session node1 owns, with a long-poll HAProxy passed straight to node1.
        await using var bosh = new BoshTestClient(n1.BoshUrl, server.Domain);
        await bosh.LoginAsync(TestUsers.Take(server), wait: 60);
        // The client's own poll ends when the first long-poll below arrives (hold=1).
        var stopping = bosh.StopPollingAsync();
        using var http = new HttpClient(haproxy.TrustingHandler()) { Timeout = TimeSpan.FromSeconds(90) };
        var held = await HoldOnNode1ThroughHaproxyAsync(bosh, n2, haproxy, http);
        await stopping;

        await n1.SignalAsync("STOP");
        var stalled = Stopwatch.StartNew();
        try
        {
            // The WebSocket on node1 is closed by HAProxy, not left open until node1 wakes.
            var closed = await ClosedAsync(victim, CutWithin);
            Assert.True(closed, $"the WebSocket on the stalled node was still open after {stalled.Elapsed}");
            // So is the held BOSH request: the client resends it (same rid) and another node answers.
            var ended = await Task.WhenAny(held, Task.Delay(CutWithin - stalled.Elapsed + TimeSpan.FromSeconds(1)));
            Assert.True(ended == held, $"the long-poll held on the stalled node was still waiting after {stalled.Elapsed}");
            Assert.True(stalled.Elapsed < CutWithin, $"ended after {stalled.Elapsed}");

            // Nobody new is sent to node1: logins through HAProxy now all land on node2.
            for (var i = 0; i < 3; i++)
            {
                var client = new WebSocketTestClient(trustedCertificate: haproxy.Certificate);
                await client.LoginAsync(haproxy.WebSocketUrl, server.Domain, TestUsers.Take(server));
                await client.DisposeAsync();
            }
            // The WebSocket on node2 was never touched.
            await bystander.SendAsync($"<iq xmlns='jabber:client' type='get' id='still-here'><ping xmlns='urn:xmpp:ping'/></iq>");
            await bystander.WaitForAsync(e => (string?)e.Attribute("id") == "still-here");

            // The resent long-poll reaches node2, which answers item-not-found once node1's lease runs out.
            var resent = XElement.Parse(await BoshHttp.PostAsync(haproxy.BoshUrl,
                $"<body rid='{bosh.LastRid}' sid='{bosh.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>", http));
            Assert.Equal("item-not-found", (string?)resent.Attribute("condition"));
        }
        finally
        {
            await n1.SignalAsync("CONT");
        }
    }

    [Fact]
    public async Task StoppingNode_GetsNobodyNew_AndEndsItsOwnSessionsWithSystemShutdown_ThroughHaproxy()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        // A grace long enough for HAProxy to see readiness fail (next check, within 1 s) and for the logins below.
        await using var n1 = await GatewayNode.StartAsync("node1", server.C2sPort, redis.ConnectionString, "Gateway:ShutdownGrace=00:00:06");
        await using var n2 = await GatewayNode.StartAsync("node2", server.C2sPort, redis.ConnectionString);
        await using var haproxy = await HaproxyFrontend.StartAsync("haproxy-drain", n1.Port, n2.Port);
        haproxy.RequireRunning();
        var (onN1, onN2) = await WebSocketsOnEachNodeAsync(haproxy, n1, n2, server);
        await using var leaving = onN1;
        await using var staying = onN2;

        await n1.SignalTermAsync();
        var readiness = Stopwatch.StartNew();
        while (await HealthStatusAsync(n1) != 503)
        {
            Assert.True(readiness.Elapsed < TimeSpan.FromSeconds(5), "node1 never failed readiness");
            await Task.Delay(100);
        }
        // A 503 from /health is a conditional pass for HAProxy (NOLB): nothing new, nothing cut.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var before = await n2.HealthFigureAsync("websocket");
        await using (var first = new WebSocketTestClient(trustedCertificate: haproxy.Certificate))
        await using (var second = new WebSocketTestClient(trustedCertificate: haproxy.Certificate))
        {
            await first.LoginAsync(haproxy.WebSocketUrl, server.Domain, TestUsers.Take(server));
            await second.LoginAsync(haproxy.WebSocketUrl, server.Domain, TestUsers.Take(server));
            Assert.Equal(before + 2, await n2.HealthFigureAsync("websocket"));
        }

        // The session on node1 hears it from node1 itself, after the grace: HAProxy did not cut it.
        var error = await leaving.WaitForAsync(e => e.Name == XName.Get("error", XmlNames.Streams), TimeSpan.FromSeconds(20));
        Assert.NotNull(error.Element(XName.Get("system-shutdown", XmlNames.StreamErrors)));
        await staying.SendAsync("<iq xmlns='jabber:client' type='get' id='still-here'><ping xmlns='urn:xmpp:ping'/></iq>");
        await staying.WaitForAsync(e => (string?)e.Attribute("id") == "still-here");
    }

    /// <summary>Logs WebSocket users in through HAProxy until each node holds one; returns them (node1's, node2's).</summary>
    private static async Task<(WebSocketTestClient OnN1, WebSocketTestClient OnN2)> WebSocketsOnEachNodeAsync(HaproxyFrontend haproxy, GatewayNode n1, GatewayNode n2, XmppServer server)
    {
        WebSocketTestClient? onN1 = null, onN2 = null;
        var extra = new List<WebSocketTestClient>();
        for (var i = 0; i < 6 && (onN1 is null || onN2 is null); i++)
        {
            var before = await n1.HealthFigureAsync("websocket");
            var client = new WebSocketTestClient(trustedCertificate: haproxy.Certificate);
            await client.LoginAsync(haproxy.WebSocketUrl, server.Domain, TestUsers.Take(server));
            if (await n1.HealthFigureAsync("websocket") > before && onN1 is null)
            {
                onN1 = client;
            }
            else if (onN2 is null && await n2.HealthFigureAsync("websocket") > 0)
            {
                onN2 = client;
            }
            else
            {
                extra.Add(client);
            }
        }
        foreach (var client in extra)
        {
            await client.DisposeAsync();
        }
        Assert.True(onN1 is not null && onN2 is not null, "HAProxy never balanced WebSockets onto both nodes");
        return (onN1, onN2);
    }

    /// <summary>
    /// Sends long-polls for <paramref name="bosh"/>'s session (owned by node1) through HAProxy until one is held
    /// on node1 itself rather than forwarded to it by node2 (round-robin alternates; a second request makes
    /// node1 answer the first at once). Returns the held request.
    /// </summary>
    private static async Task<Task<string>> HoldOnNode1ThroughHaproxyAsync(BoshTestClient bosh, GatewayNode n2, HaproxyFrontend haproxy, HttpClient http)
    {
        for (var attempt = 0; attempt < 4; attempt++)
        {
            var forwarded = await n2.HealthFigureAsync("forwarded");
            var poll = BoshHttp.PostAsync(haproxy.BoshUrl, $"<body rid='{bosh.NextRid()}' sid='{bosh.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>", http);
            // A forward is counted before node2 passes the request on; a second is plenty for either path.
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (!poll.IsCompleted && await n2.HealthFigureAsync("forwarded") == forwarded)
            {
                return poll;
            }
        }
        Assert.Fail("HAProxy never passed a long-poll straight to node1");
        return null!;
    }

    private static async Task<bool> ClosedAsync(WebSocketTestClient client, TimeSpan within)
    {
        try
        {
            while (await client.ReceiveAsync(within) is not null)
            {
            }
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (System.Net.WebSockets.WebSocketException)
        {
            // Closed without a close frame: HAProxy drops the connection.
            return true;
        }
    }

    private static async Task<int> HealthStatusAsync(GatewayNode node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri(node.BaseUrl, "/health"));
        return (int)response.StatusCode;
    }
}
