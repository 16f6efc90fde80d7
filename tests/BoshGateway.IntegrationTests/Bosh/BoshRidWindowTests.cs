using System.Diagnostics;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>The rid window, long-polling and session end, as a BOSH client sees them over HTTP, with real servers behind.</summary>
public class BoshRidWindowTests(XmppServers servers)
{
    private static string Message(string to, string text) => $"<message to='{to}' type='chat'><body>{text}</body></message>";

    private async Task<(GatewayHost Gateway, BoshTestClient Alice, BoshTestClient Bob, XmppServer Server)> TwoUsersAsync(string serverName, int aliceWait = 10, params string[] settings)
    {
        var server = servers[serverName];
        server.RequireRunning();
        var gateway = await GatewayHost.StartAsync(server.C2sPort, settings);
        var alice = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var bob = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await alice.LoginAsync(TestUsers.Take(server), wait: aliceWait);
        await bob.LoginAsync(TestUsers.Take(server));
        return (gateway, alice, bob, server);
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task RepeatedRid_GetsTheSameBytes_AndItsMessageArrivesOnce(string serverName)
    {
        var (gateway, alice, bob, _) = await TwoUsersAsync(serverName, aliceWait: 2);
        await using var _g = gateway;
        await using var _a = alice;
        await using var _b = bob;
        await alice.StopPollingAsync();

        var rid = alice.NextRid();
        var xml = $"<body rid='{rid}' sid='{alice.Sid}' xmlns='http://jabber.org/protocol/httpbind'>{Message(bob.Jid!.Split('/')[0], "only once")}</body>";
        var first = await alice.PostRawAsync(xml);
        var second = await alice.PostRawAsync(xml);

        Assert.Equal(first, second);
        Assert.Single(await BoshSessionFlowTests.Messages(bob, "only once", 1));
        await Task.Delay(500);
        Assert.DoesNotContain(bob.Inbox, e => e.Element(BoshTestClient.Client + "body")?.Value == "only once");
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task OutOfOrderRids_ReachTheServerInRidOrder(string serverName)
    {
        var (gateway, alice, bob, _) = await TwoUsersAsync(serverName, aliceWait: 2);
        await using var _g = gateway;
        await using var _a = alice;
        await using var _b = bob;
        await alice.StopPollingAsync();
        var to = bob.Jid!.Split('/')[0];

        var r1 = alice.NextRid();
        var r2 = alice.NextRid();
        var later = alice.PostAsync(r2, "", Message(to, "ordered 2"));
        await Task.Delay(300);
        var earlier = alice.PostAsync(r1, "", Message(to, "ordered 1"));
        await Task.WhenAll(later, earlier);

        Assert.Equal(["ordered 1", "ordered 2"], await BoshSessionFlowTests.Messages(bob, "ordered", 2));
    }

    [Fact]
    public async Task RidGapNeverFilled_EndsWithItemNotFound_AndFreesTheAddressSlot()
    {
        // Issue #14: rid n+2, never n+1, then the client goes away. The request waiting for the gap kept the
        // session, its backend stream and its per-address slot for ever; it must keep nothing alive.
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort,
            "Gateway:MaxSessionsPerClientAddress=1", "Gateway:Bosh:Inactivity=00:00:05", "Gateway:Bosh:Polling=00:00:01");
        await using var attacker = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await attacker.CreateAsync(wait: 2);
        Assert.NotNull(attacker.Sid);
        _ = attacker.NextRid(); // the rid that never comes

        var clock = Stopwatch.StartNew();
        var answer = await attacker.PostAsync(attacker.NextRid(), "", "<presence/>").WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        clock.Stop();

        Assert.Equal("terminate", (string?)answer.Attribute("type"));
        Assert.Equal("item-not-found", (string?)answer.Attribute("condition"));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(15));
        Assert.Equal(0, gateway.Sessions.Count);
        await using var next = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var created = await next.CreateAsync(wait: 2);
        Assert.NotNull(created.Attribute("sid")); // the address's only slot was given back
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task EmptyRequest_IsAnsweredEmptyWhenWaitExpires(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var creation = await client.CreateAsync(wait: 2);
        Assert.Equal("2", (string?)creation.Attribute("wait"));

        var clock = Stopwatch.StartNew();
        var body = await client.SendAsync("");
        clock.Stop();

        Assert.Empty(body.Elements());
        Assert.Null(body.Attribute("type"));
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(6));
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task ClientThatVanishes_IsEndedAfterInactivity_AndTheServerSeesItGo(string serverName)
    {
        var (gateway, alice, bob, server) = await TwoUsersAsync(serverName, 2, "Gateway:Bosh:Inactivity=00:00:05", "Gateway:Bosh:Polling=00:00:01");
        await using var _g = gateway;
        await using var _a = alice;
        await using var _b = bob;
        var aliceBare = alice.Jid!.Split('/')[0];
        Assert.Equal(2, gateway.Sessions.Count);

        await alice.StopPollingAsync();
        var gone = await bob.WaitForAsync(e => e.Name == BoshTestClient.Client + "presence"
            && (string?)e.Attribute("type") == "unavailable" && ((string?)e.Attribute("from"))?.StartsWith(aliceBare, StringComparison.Ordinal) == true,
            TimeSpan.FromSeconds(20));

        Assert.NotNull(gone);
        Assert.Equal(1, gateway.Sessions.Count);
        var late = await alice.SendAsync("");
        Assert.Equal("item-not-found", (string?)late.Attribute("condition"));
    }

    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task Terminate_ForwardsItsPresence_AndLaterRequestsAreItemNotFound(string serverName)
    {
        var (gateway, alice, bob, _) = await TwoUsersAsync(serverName);
        await using var _g = gateway;
        await using var _a = alice;
        await using var _b = bob;
        var aliceBare = alice.Jid!.Split('/')[0];

        var answer = await alice.SendAsync("<presence type='unavailable'/>", "type='terminate'");

        Assert.Empty(answer.Elements());
        Assert.Equal("terminate", (string?)(await alice.WaitForTerminateAsync(TimeSpan.FromSeconds(5))).Attribute("type"));
        await bob.WaitForAsync(e => e.Name == BoshTestClient.Client + "presence" && (string?)e.Attribute("type") == "unavailable"
            && ((string?)e.Attribute("from"))?.StartsWith(aliceBare, StringComparison.Ordinal) == true);
        Assert.Equal(1, gateway.Sessions.Count);
        var late = await alice.PostAsync(alice.NextRid(), "", "");
        Assert.Equal("item-not-found", (string?)late.Attribute("condition"));
    }

    [Fact]
    public async Task ServerKilledMidSession_ClientGetsRemoteConnectionFailedPromptly()
    {
        var server = await XmppServers.StartPrivateProsodyAsync("prosody-kill", "victim");
        server.RequireRunning();
        try
        {
            await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
            await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
            await client.LoginAsync("victim");

            await server.KillAsync();
            await client.WaitForTerminateAsync(TimeSpan.FromSeconds(5), "remote-connection-failed");
            Assert.Equal(0, gateway.Sessions.Count);
        }
        finally
        {
            await XmppServers.StopPrivateAsync(server);
        }
    }
}
