using System.Net;
using System.Xml.Linq;
using BoshGateway.Http;
using BoshGateway.IntegrationTests.Bosh;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// Gateway:ShutdownGrace: a stopping node first fails readiness and goes on serving everyone, new sessions
/// included (the balancer may still send them), and only then ends its sessions. Each test checks order,
/// not timing: what must still work during the grace is done right after stopping begins, well inside it.
/// </summary>
public class ShutdownGraceTests(XmppServers servers)
{
    private const string Grace = "00:00:03";
    private const string Redirect = "wss://other-node.example/xmpp-websocket";

    [Fact]
    public async Task Stopping_ReadinessFailsFirst_SessionsGoOnAndNewOnesOpen_ThenAllEnd()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var log = new LogCapture();
        var gateway = await GatewayHost.StartAsync(server.C2sPort, log, $"Gateway:ShutdownGrace={Grace}", $"Gateway:WebSocket:ShutdownRedirectUri={Redirect}");
        await using var _ = gateway;
        await using var alice = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var bob = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var carol = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var ws = new WebSocketTestClient();
        await alice.LoginAsync(TestUsers.Take(server));
        await bob.LoginAsync(TestUsers.Take(server));
        await ws.LoginAsync(gateway.WebSocketUrl, server.Domain, TestUsers.Take(server));
        var drain = gateway.Services.GetRequiredService<DrainState>();

        // As on SIGTERM: ApplicationStopping first, then the host's StopAsync (which waits for the grace).
        gateway.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stopping = gateway.DisposeAsync().AsTask();

        // Readiness fails at once ...
        using (var http = new HttpClient())
        using (var readiness = await http.GetAsync(new Uri(gateway.BaseUrl, "/health")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness.StatusCode);
            Assert.Contains("draining", await readiness.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        // ... while existing sessions still get messages through, and a new one opens and logs in.
        await alice.SendMessageAsync(bob.Jid!, "during the grace");
        await alice.SendMessageAsync(ws.Jid!, "during the grace");
        Assert.Equal(["during the grace"], await BoshSessionFlowTests.Messages(bob, "during the grace", 1));
        await ws.WaitForAsync(e => e.Name == WebSocketTestClient.Client + "message" && e.Element(WebSocketTestClient.Client + "body")?.Value == "during the grace");
        await carol.LoginAsync(TestUsers.Take(server));
        Assert.NotNull(carol.Jid);
        Assert.Null(bob.Terminate);
        Assert.Null(carol.Terminate);
        Assert.False(drain.IsClosed, $"the {Grace} grace ran out before the checks above finished (a very slow machine?)");

        // Then every session ends: BOSH with system-shutdown (the session opened during the grace too),
        // the WebSocket is sent to the other node.
        foreach (var client in new[] { bob, carol })
        {
            await client.WaitForTerminateAsync(TimeSpan.FromSeconds(20), "system-shutdown");
        }
        var close = await ws.WaitForAsync(e => e.Name == XName.Get("close", XmlNames.Framing), TimeSpan.FromSeconds(20));
        Assert.Equal(Redirect, (string?)close.Attribute("see-other-uri"));
        await stopping;

        Assert.Contains(log.Lines, l => l.Contains("readiness failing, ending sessions in 3 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sigterm_ReadinessFailsFirst_SessionsGoOnAndNewOnesOpen_ThenSystemShutdown()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var node = await GatewayNode.StartStandaloneAsync("grace-sigterm", server.C2sPort, $"Gateway:ShutdownGrace={Grace}");
        await using var alice = new BoshTestClient(node.BoshUrl, server.Domain);
        await using var bob = new BoshTestClient(node.BoshUrl, server.Domain);
        await using var carol = new BoshTestClient(node.BoshUrl, server.Domain);
        await alice.LoginAsync(TestUsers.Take(server));
        await bob.LoginAsync(TestUsers.Take(server));

        await node.SignalTermAsync();

        // The signal reaches the process asynchronously: readiness turns within moments, nothing has ended.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(2);
        while (await ReadinessAsync(node) != HttpStatusCode.ServiceUnavailable)
        {
            Assert.True(DateTime.UtcNow < deadline, "readiness did not fail after SIGTERM");
            await Task.Delay(20);
        }
        await alice.SendMessageAsync(bob.Jid!, "after sigterm");
        Assert.Equal(["after sigterm"], await BoshSessionFlowTests.Messages(bob, "after sigterm", 1));
        await carol.LoginAsync(TestUsers.Take(server));
        Assert.Null(bob.Terminate);
        Assert.Null(carol.Terminate);

        foreach (var client in new[] { bob, carol })
        {
            await client.WaitForTerminateAsync(TimeSpan.FromSeconds(20), "system-shutdown");
        }
        await node.StopAsync();
        Assert.Contains("readiness failing, ending sessions in 3 s", node.Log, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> ReadinessAsync(GatewayNode node)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await http.GetAsync(new Uri(node.BaseUrl, "/health"));
        return response.StatusCode;
    }
}
