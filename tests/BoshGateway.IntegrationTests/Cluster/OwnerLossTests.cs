using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>Requests that reach a node other than the owner: forwarding, replay, and what happens when the owner is gone.</summary>
[Collection(ClusterCollection.Name)]
public class OwnerLossTests(XmppServers servers)
{
    [Fact]
    public async Task ReplayedRid_AtAnotherNode_GetsTheSameAnswer_AndItsPayloadReachesTheServerOnce()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 3, withNginx: false, name: "cluster-replay");
        var (n1, n2, n3) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var receiver = new BoshTestClient(n3.BoshUrl, server.Domain);
        await receiver.LoginAsync(bob);
        await using var sender = new BoshTestClient(n1.BoshUrl, server.Domain);
        await sender.LoginAsync(alice, wait: 2);
        await sender.StopPollingAsync();
        Assert.EndsWith(".node1." + sender.Sid!.Split('.')[2], sender.Sid, StringComparison.Ordinal);

        var rid = sender.NextRid();
        var body = $"<body rid='{rid}' sid='{sender.Sid}' xmlns='http://jabber.org/protocol/httpbind'>" +
                   $"<message to='{bob}@{server.Domain}' type='chat' id='once'><body>exactly once</body></message></body>";
        var throughNode2 = await BoshHttp.PostAsync(n2.BoshUrl, body);
        var throughNode3 = await BoshHttp.PostAsync(n3.BoshUrl, body);
        var atOwner = await BoshHttp.PostAsync(n1.BoshUrl, body);

        Assert.Equal(throughNode2, throughNode3);
        Assert.Equal(throughNode2, atOwner);
        var delivered = await receiver.WaitForAsync(e => (string?)e.Attribute("id") == "once");
        Assert.Equal("exactly once", delivered.Element(BoshTestClient.Client + "body")!.Value);
        // A second copy would have reached the server before anything on a later rid of the same session:
        // once a later message has arrived, the inbox holds every copy there will ever be.
        var after = $"<body rid='{sender.NextRid()}' sid='{sender.Sid}' xmlns='http://jabber.org/protocol/httpbind'>" +
                    $"<message to='{bob}@{server.Domain}' type='chat' id='after'><body>after</body></message></body>";
        await BoshHttp.PostAsync(n1.BoshUrl, after);
        await receiver.WaitForAsync(e => (string?)e.Attribute("id") == "after", remove: false);
        Assert.DoesNotContain(receiver.Inbox, e => (string?)e.Attribute("id") == "once");
        Assert.True(await n2.HealthFigureAsync("forwarded") >= 1);
        Assert.True(await n3.HealthFigureAsync("forwarded") >= 1);
    }

    [Fact]
    public async Task OwnerKilled_OtherNodesAnswerItemNotFound_WithinSeconds_AndReplayItsLastAnswer()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 3, withNginx: true, name: "cluster-kill");
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        var user = TestUsers.Take(server);
        await using var client = new BoshTestClient(n1.BoshUrl, server.Domain);
        await client.LoginAsync(user, wait: 2);
        await client.StopPollingAsync();
        var lastRid = client.LastRid;
        var lastAnswer = await BoshHttp.PostAsync(n1.BoshUrl, $"<body rid='{lastRid}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>");
        // The answer reaches Redis in the background (fire-and-forget): wait until it is there.
        var recorded = await cluster.Redis.WaitForAsync(rid => rid == lastRid.ToString(CultureInfo.InvariantCulture), TimeSpan.FromSeconds(10),
            "HGET", $"bg:s:{{{client.Sid}}}", "rid");
        Assert.Equal(lastRid.ToString(CultureInfo.InvariantCulture), recorded);

        await n1.KillAsync();

        // A request for the dead owner's session, at another node and through nginx (which
        // skips the dead upstream): item-not-found at once, never a hang or a 5xx.
        var watch = Stopwatch.StartNew();
        var next = XElement.Parse(await BoshHttp.PostAsync(n2.BoshUrl, $"<body rid='{lastRid + 1}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>"));
        Assert.Equal("terminate", (string?)next.Attribute("type"));
        Assert.Equal("item-not-found", (string?)next.Attribute("condition"));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"item-not-found took {watch.Elapsed}");
        using var http = new HttpClient(cluster.Nginx!.TrustingHandler()) { Timeout = TimeSpan.FromSeconds(10) };
        var viaNginx = XElement.Parse(await BoshHttp.PostAsync(cluster.NginxBoshUrl, $"<body rid='{lastRid + 1}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>", http));
        Assert.Equal("item-not-found", (string?)viaNginx.Attribute("condition"));
        // Redis kept the owner's last answer: a client whose response was lost gets it again.
        Assert.Equal(lastAnswer, await BoshHttp.PostAsync(n2.BoshUrl, $"<body rid='{lastRid}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>"));
        // A new session through nginx lands on a live node.
        await using var again = new BoshTestClient(cluster.NginxBoshUrl, server.Domain, cluster.Nginx.TrustingHandler());
        await again.LoginAsync(user, resource: "again");
        Assert.DoesNotContain(".node1.", again.Sid, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OwnerStopped_LeavesTheRegistry_AndItsSessionsAreGone()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 2, withNginx: false, name: "cluster-stop");
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        await using var client = new BoshTestClient(n1.BoshUrl, server.Domain);
        await client.LoginAsync(TestUsers.Take(server));
        Assert.Contains("bg:n:{node1}", await cluster.Redis.KeysAsync("bg:n:*"));
        Assert.Contains($"bg:s:{{{client.Sid}}}", await cluster.Redis.KeysAsync("bg:s:*"));
        Assert.Equal("node1", await cluster.Redis.CliAsync("HGET", $"bg:s:{{{client.Sid}}}", "owner"));
        // The bound JID is written fire-and-forget.
        Assert.Equal(client.Jid, await cluster.Redis.WaitForAsync(jid => jid == client.Jid, TimeSpan.FromSeconds(10), "HGET", $"bg:s:{{{client.Sid}}}", "jid"));
        Assert.InRange(long.Parse(await cluster.Redis.CliAsync("TTL", $"bg:s:{{{client.Sid}}}"), System.Globalization.CultureInfo.InvariantCulture), 60, 300);

        await n1.StopAsync();

        await client.WaitForTerminateAsync(TimeSpan.FromSeconds(10), "system-shutdown");
        Assert.DoesNotContain("bg:n:{node1}", await cluster.Redis.KeysAsync("bg:n:*"));
        // The ended session's key is removed fire-and-forget.
        Assert.Equal("0", await cluster.Redis.WaitForAsync(exists => exists == "0", TimeSpan.FromSeconds(10), "EXISTS", $"bg:s:{{{client.Sid}}}"));
        var next = XElement.Parse(await BoshHttp.PostAsync(n2.BoshUrl, $"<body rid='{client.NextRid()}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>"));
        Assert.Equal("item-not-found", (string?)next.Attribute("condition"));
    }

    [Fact]
    public async Task OwnerStalledPastItsLease_ARequestHeldThroughAnotherNode_IsAnsweredItemNotFound_AndTheOwnerFencesBeforeServing()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 2, withNginx: false, name: "cluster-stall");
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var receiver = new BoshTestClient(n2.BoshUrl, server.Domain);
        await receiver.LoginAsync(bob);
        await using var client = new BoshTestClient(n1.BoshUrl, server.Domain);
        await client.LoginAsync(alice, wait: 20);
        await client.StopPollingAsync();

        // A long-poll for node1's session, through node2: node2 forwards it and waits on node1, which holds it.
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(90) };
        var held = BoshHttp.PostAsync(n2.BoshUrl, $"<body rid='{client.NextRid()}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>", http);
        await Eventually.TrueAsync(() => n1.Log.Contains("Request forwarded by node node2 accepted", StringComparison.Ordinal),
            () => "node1 never got the forwarded request: " + n1.Log, TimeSpan.FromSeconds(10));

        await n1.SignalAsync("STOP");
        var stalled = Stopwatch.StartNew();
        // A message straight to the frozen node: its kernel takes the request, the process reads it on waking.
        var direct = BoshHttp.PostAsync(n1.BoshUrl, $"<body rid='{client.NextRid()}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'>" +
            $"<message to='{bob}@{server.Domain}' type='chat' id='fenced'><body>sent into a stalled node</body></message></body>", http);
        // And a new session asked of the frozen node: created on waking, after the fencing, so it lives.
        await using var late = new BoshTestClient(n1.BoshUrl, server.Domain);
        var lateLogin = late.LoginAsync(TestUsers.Take(server), wait: 2);
        XElement answer;
        try
        {
            answer = XElement.Parse(await held);
        }
        finally
        {
            await n1.SignalAsync("CONT");
        }

        // node2 ends its wait when node1's lease (3 s here) runs out, not at the forwarding timeout
        // (wait + 30 s) and not when node1 wakes: a frozen node1 could not have answered at all.
        Assert.Equal("terminate", (string?)answer.Attribute("type"));
        Assert.Equal("item-not-found", (string?)answer.Attribute("condition"));
        Assert.True(stalled.Elapsed < TimeSpan.FromSeconds(15), $"answered after {stalled.Elapsed}, lease 3 s, held request's wait 20 s");

        // Woken, node1 checks its lease before it serves the request it read meanwhile: the session is
        // over (node2 said so), so the request gets a terminate and its message never reaches the server.
        var fenced = XElement.Parse(await direct);
        Assert.Equal("terminate", (string?)fenced.Attribute("type"));
        // The log reaches the test through the node's console, a moment later.
        await Eventually.TrueAsync(() => n1.Log.Contains("was out of the registry", StringComparison.Ordinal),
            () => "node1 never said it had lost its lease: " + n1.Log, TimeSpan.FromSeconds(30) - stalled.Elapsed);
        await lateLogin;
        await late.SendMessageAsync($"{bob}@{server.Domain}", "from a session opened as node1 woke", id: "late");
        await receiver.WaitForAsync(e => (string?)e.Attribute("id") == "late", remove: false);
        Assert.Null(late.Terminate);
        await using var marker = new BoshTestClient(n2.BoshUrl, server.Domain);
        await marker.LoginAsync(TestUsers.Take(server));
        // node1 would have written the fenced message to the server before answering it; the marker goes after.
        await marker.SendMessageAsync($"{bob}@{server.Domain}", "after the stall", id: "marker");
        await receiver.WaitForAsync(e => (string?)e.Attribute("id") == "marker", remove: false);
        Assert.DoesNotContain(receiver.Inbox, e => (string?)e.Attribute("id") == "fenced");
    }

    [Fact]
    public async Task ForgedSidsAndForwardMarks_AreRefused_WithoutDisturbingOthers()
    {
        var server = servers["prosody"];
        await using var cluster = await TestCluster.StartAsync(server, nodes: 2, withNginx: false, name: "cluster-forged");
        var (n1, n2) = (cluster.Nodes[0], cluster.Nodes[1]);
        await using var client = new BoshTestClient(n1.BoshUrl, server.Domain);
        await client.LoginAsync(TestUsers.Take(server), wait: 2);
        var parts = client.Sid!.Split('.');
        await client.StopPollingAsync();
        var next = client.LastRid + 1; // the forged requests below must not take the session's rids

        // A sid whose owner part was changed (to point the request at a node of the attacker's choosing) fails its MAC.
        var retargeted = $"{parts[0]}.node2.{parts[2]}";
        var answer = XElement.Parse(await BoshHttp.PostAsync(n2.BoshUrl, $"<body rid='{next}' sid='{retargeted}' xmlns='http://jabber.org/protocol/httpbind'/>"));
        Assert.Equal("item-not-found", (string?)answer.Attribute("condition"));

        // A request that claims to be forwarded, without the cluster secret: HTTP 403, and not processed.
        using var http = new HttpClient();
        using var content = new StringContent($"<body rid='{next}' sid='{client.Sid}' type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>");
        content.Headers.ContentType = new("text/xml");
        using var forged = new HttpRequestMessage(HttpMethod.Post, n1.BoshUrl) { Content = content };
        forged.Headers.TryAddWithoutValidation("X-BoshGateway-Forwarded", $"node2;{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()};00112233445566778899aabbccddeeff");
        using var response = await http.SendAsync(forged);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);

        // The real session is untouched: its own next request still works through the other node.
        var ok = XElement.Parse(await BoshHttp.PostAsync(n2.BoshUrl, $"<body rid='{client.NextRid()}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'><presence/></body>"));
        Assert.Null(ok.Attribute("type"));
    }
}
