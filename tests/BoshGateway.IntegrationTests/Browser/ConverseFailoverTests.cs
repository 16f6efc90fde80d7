using System.Globalization;
using BoshGateway.IntegrationTests.Cluster;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.IntegrationTests.Nginx;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// The ledger's browser client kind (docs/reliability.md): two Converse.js pages in Chromium chat through
/// nginx in front of three nodes sharing Redis; the node holding one of their sessions is killed with
/// <c>kill -9</c> mid-conversation. Converse.js resumes its XEP-0198 session through another node, and both
/// pages show every message once, in order, including those sent while it was reconnecting.
/// </summary>
[Collection(JavaScriptCollection.Name)]
public sealed class ConverseFailoverTests(XmppServers servers)
{
    /// <summary>
    /// Over WebSocket only: Converse.js 14 turns XEP-0198 on only for WebSocket (its smacks plugin reports
    /// stream management unsupported on BOSH), so over BOSH it is a client without it, measured by the
    /// ledger's plain kind instead.
    /// </summary>
    [Fact]
    public async Task AKilledNode_CostsConverseNoMessage()
    {
        const string transport = "websocket";
        var server = servers["prosody"];
        server.RequireRunning();
        BrowserSuite.Require();
        var pagesPort = FreePort.Next();
        string[] settings = [$"Gateway:AllowedOrigins:0=http://127.0.0.1:{pagesPort.ToString(CultureInfo.InvariantCulture)}"];
        await using var redis = await RedisServer.StartAsync();
        var nodes = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => GatewayNode.StartAsync($"failover{i}", server.C2sPort, redis.ConnectionString, settings)));
        try
        {
            await using var nginx = await NginxFrontend.StartAsync($"nginx-failover-{transport}", [.. nodes.Select(n => n.Port)]);
            nginx.RequireRunning();
            var users = Scenario.Users(server, 2);
            var config = new Dictionary<string, object?>
            {
                ["scenario"] = "failover",
                ["library"] = "converse",
                ["transport"] = transport,
                ["boshUrl"] = new Uri(nginx.BaseUrl, "/http-bind").ToString(),
                ["webSocketUrl"] = nginx.WebSocketUrl.ToString(),
                ["domain"] = server.Domain,
                ["users"] = users,
                ["password"] = "secret",
                ["pagesPort"] = pagesPort,
                ["name"] = $"{server.Name}-{transport}-converse-failover",
            };
            GatewayNode? killed = null;

            var run = await BrowserRun.RunAsync(config, async e =>
            {
                Assert.Equal("kill-node", e);
                foreach (var node in nodes)
                {
                    if (await node.HealthFigureAsync(transport) > 0)
                    {
                        killed = node;
                        await node.KillAsync();
                        return;
                    }
                }
                Assert.Fail("no node holds a session of the two pages");
            });

            Assert.True(killed is not null, "the runner never asked to kill a node: " + run.Describe());
            run.AssertOk();
            foreach (var user in users)
            {
                var status = run.Page(user).GetProperty("status");
                Assert.True(status.GetProperty("connected").GetBoolean(), $"{user} is not connected after the failover: {status}");
            }
            Assert.True(run.Result!.Value.TryGetProperty("lostConnection", out var lost), "no page lost its connection: " + run.Describe());
            var resumed = run.Page(lost.GetString()!).GetProperty("status").GetProperty("resumed").GetBoolean();
            Assert.True(resumed, $"{lost} came back with a new session instead of resuming its XEP-0198 one: {run.Describe()}");
        }
        finally
        {
            await Task.WhenAll(nodes.Select(n => n.DisposeAsync().AsTask()));
        }
    }
}
