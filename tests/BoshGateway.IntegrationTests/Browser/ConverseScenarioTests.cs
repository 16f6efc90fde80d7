using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>Converse.js in a real Chromium through the gateway: discovery, a page reload, a gateway restart.</summary>
[Collection(JavaScriptCollection.Name)]
public class ConverseScenarioTests(XmppServers servers)
{
    /// <summary>
    /// Configured with nothing but the user's domain, Converse.js fetches https://localhost/.well-known/host-meta
    /// (Chromium sends localhost to the gateway's TLS port) and connects to the URL it advertises.
    /// It prefers WebSocket. For BOSH the gateway advertises a WebSocket URL Converse.js will not use
    /// (ws:, where it keeps only wss: links), so the discovered BOSH URL is the one left. (Converse.js
    /// 14.0.0 does not fall back from a failing WebSocket to BOSH by itself: its reconnect overwrites
    /// the CONNFAIL status it checks for before switching transports.)
    /// </summary>
    [Theory]
    [InlineData("prosody", "websocket")]
    [InlineData("ejabberd", "websocket")]
    [InlineData("prosody", "bosh")]
    [InlineData("ejabberd", "bosh")]
    public async Task Discovery_FindsTheGatewayFromTheDomain(string serverName, string transport)
    {
        var server = servers[serverName];
        server.RequireRunning();
        BrowserSuite.Require();
        string[] settings = transport == "bosh" ? [$"Gateway:Discovery:WebSocketUrl=ws://{server.Domain}/xmpp-websocket"] : [];
        await using var gateway = await BrowserGateway.StartAsync(server, tls: true, settings);
        var users = Scenario.Users(server, 2);
        var config = Scenario.For("discovery", "converse", transport, server, gateway, users);
        config["discoveryPort"] = gateway.TlsPort;

        var run = await BrowserRun.RunAsync(config);

        run.AssertOk();
        var status = run.Page(users[1]).GetProperty("status");
        Assert.Equal(transport, status.GetProperty("transport").GetString());
        Assert.StartsWith(transport == "bosh" ? "https://localhost/" : "wss://localhost/", status.GetProperty("service").GetString(), StringComparison.Ordinal);
    }

    /// <summary>
    /// The recipient reloads the page mid-conversation; three messages are sent while the old page is
    /// gone and the new one not yet loaded. Afterwards the page shows every message once, in order.
    /// Over WebSocket Converse.js resumes its XEP-0198 session (the server kept it: the gateway dropped
    /// the backend without closing the stream); over BOSH it re-attaches to the gateway's session.
    /// </summary>
    [Theory]
    [InlineData("prosody", "websocket")]
    [InlineData("ejabberd", "websocket")]
    [InlineData("prosody", "bosh")]
    [InlineData("ejabberd", "bosh")]
    public async Task Reload_ReconnectsAndLosesNothing(string serverName, string transport)
    {
        var server = servers[serverName];
        server.RequireRunning();
        BrowserSuite.Require();
        await using var gateway = await BrowserGateway.StartAsync(server);
        var users = Scenario.Users(server, 2);

        var run = await BrowserRun.RunAsync(Scenario.For("reload", "converse", transport, server, gateway, users));

        run.AssertOk();
        var status = run.Page(users[1]).GetProperty("status");
        Assert.True(status.GetProperty("resumed").GetBoolean(), "the reloaded page started a new session instead of resuming: " + status);
        Assert.Equal(transport == "bosh" ? "ATTACHED" : "CONNECTED", status.GetProperty("status").GetString());
    }

    /// <summary>
    /// The gateway is stopped and started again on the same port under two open pages. Both show the
    /// disconnect (Converse.js's reconnecting spinner, the conversation still on screen, no login
    /// form), reconnect by themselves with no spinner left, chat on, and the server holds exactly one
    /// session per user afterwards (a third user's contact list shows one online resource each).
    /// </summary>
    [Theory]
    [InlineData("prosody", "websocket")]
    [InlineData("ejabberd", "websocket")]
    [InlineData("prosody", "bosh")]
    [InlineData("ejabberd", "bosh")]
    public async Task GatewayRestart_ReconnectsWithoutStaleSessions(string serverName, string transport)
    {
        var server = servers[serverName];
        server.RequireRunning();
        BrowserSuite.Require();
        await using var gateway = await BrowserGateway.StartAsync(server);
        var users = Scenario.Users(server, 3);
        var stopped = false;

        var run = await BrowserRun.RunAsync(Scenario.For("restart", "converse", transport, server, gateway, users), async e =>
        {
            switch (e)
            {
                case "stop-gateway":
                    await gateway.StopAsync();
                    stopped = true;
                    break;
                case "start-gateway":
                    await gateway.StartAgainAsync();
                    break;
                default:
                    Assert.Fail("unexpected event " + e);
                    break;
            }
        });

        Assert.True(stopped, "the runner never asked to stop the gateway: " + run.Describe());
        run.AssertOk();
    }
}
