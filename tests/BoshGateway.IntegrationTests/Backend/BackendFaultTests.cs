using System.Diagnostics;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// The link to the server breaks (robustness E4–E6), through <see cref="FaultProxy"/> in front of a private
/// Prosody: a hung server is found by the gateway's ping within PingInterval + PingTimeout; a link cut
/// anywhere inside a stanza delivers only complete stanzas; each time the client is told
/// <c>remote-connection-failed</c> and nothing is left behind on the gateway or the proxy.
/// </summary>
public sealed class BackendFaultTests : IAsyncLifetime
{
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";

    // No warm pool: its idle streams would also go through the proxy, and these tests count the sessions' streams there.
    private const string NoPool = "Gateway:Backends:Pool:Size=0";
    private XmppServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await XmppServers.StartPrivateProsodyAsync("prosody-faults", "alice", "bob");
        _server.RequireRunning();
    }

    public async ValueTask DisposeAsync() => await XmppServers.StopPrivateAsync(_server);

    private static string Condition(XElement streamError) => streamError.Elements().First(e => e.Name.NamespaceName == "urn:ietf:params:xml:ns:xmpp-streams").Name.LocalName;

    private static async Task NothingLeftAsync(GatewayHost gateway, FaultProxy proxy)
    {
        var deadline = Stopwatch.StartNew();
        while ((gateway.Sessions.Count > 0 || proxy.OpenConnections > 0) && deadline.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }
        Assert.Equal(0, gateway.Sessions.Count);
        Assert.Equal(0, proxy.OpenConnections);
    }

    [Fact]
    public async Task HungServer_IsFoundByPing_AndBothTransportsAreToldRemoteConnectionFailed()
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, NoPool, "Gateway:Backends:PingInterval=00:00:01", "Gateway:Backends:PingTimeout=00:00:02");
        await using var ws = new WebSocketTestClient();
        await ws.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice");
        await using var bosh = new BoshTestClient(gateway.BoshUrl, _server.Domain);
        await bosh.LoginAsync("bob", wait: 30);

        proxy.Stall();
        var clock = Stopwatch.StartNew();
        var error = await ws.WaitForAsync(e => e.Name == Streams + "error", TimeSpan.FromSeconds(15));
        Assert.Equal("remote-connection-failed", Condition(error));
        var terminate = await bosh.WaitForTerminateAsync(TimeSpan.FromSeconds(15));
        Assert.Equal("remote-connection-failed", (string?)terminate.Attribute("condition"));
        // Idle 1 s, then the ping, then 2 s without an answer (plus a sweep tick): well under 10 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        proxy.Resume();
        await NothingLeftAsync(gateway, proxy);
    }

    [Fact]
    public async Task IdleSessions_ArePinged_StayUp_AndClientsNeverSeeThePings()
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, NoPool, "Gateway:Backends:PingInterval=00:00:00.500", "Gateway:Backends:PingTimeout=00:00:02");
        await using var plain = new WebSocketTestClient();
        await plain.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice", resource: "plain");
        await using var managed = new WebSocketTestClient();
        await managed.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice", resource: "sm");
        await managed.SendAsync("<enable xmlns='urn:xmpp:sm:3'/>");
        await managed.WaitForAsync(e => e.Name.LocalName == "enabled");
        var before = proxy.BytesToServer;

        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        // Both were probed (bytes went to the server with no client sending), and both still work.
        Assert.True(proxy.BytesToServer - before > 100, "no probe reached the server");
        await plain.SendAsync($"<iq xmlns='jabber:client' type='get' id='still-there' to='{_server.Domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
        await plain.WaitForAsync(e => (string?)e.Attribute("id") == "still-there");
        Assert.DoesNotContain(plain.Received, m => m.Contains("boshgateway-ping", StringComparison.Ordinal));
        // With XEP-0198 the probe is <r/>: the server's unsolicited <a/> reaches the client, which XEP-0198 allows.
        var ack = await managed.WaitForAsync(e => e.Name.LocalName == "a", TimeSpan.FromSeconds(5));
        Assert.Equal("urn:xmpp:sm:3", ack.Name.NamespaceName);
        Assert.DoesNotContain(managed.Received, m => m.Contains("boshgateway-ping", StringComparison.Ordinal));
        Assert.Equal(2, gateway.Sessions.Count);
    }

    [Fact]
    public async Task LinkCutInsideAStanza_AnywhereInIt_DeliversOnlyWholeStanzas_AndEndsTheSession()
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, NoPool);
        await using var direct = await GatewayHost.StartAsync(_server.C2sPort, NoPool);
        await using var bob = new WebSocketTestClient();
        await bob.LoginAsync(direct.WebSocketUrl, _server.Domain, "bob");
        var body = new string('z', 400);
        // The stanza alice gets is a little over 500 bytes; cut after 1 byte, in its middle, and 1 byte short.
        foreach (var cut in new[] { 1, 60, 250, 480 })
        {
            await using var alice = new WebSocketTestClient();
            await alice.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice", resource: $"cut{cut}");
            await bob.SendMessageAsync($"alice@{_server.Domain}/cut{cut}", "whole");
            await alice.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains("whole", StringComparison.Ordinal));

            proxy.CutTowardGatewayAfter(cut);
            await bob.SendMessageAsync($"alice@{_server.Domain}/cut{cut}", body);
            var error = await alice.WaitForAsync(e => e.Name == Streams + "error", TimeSpan.FromSeconds(15));
            Assert.Equal("remote-connection-failed", Condition(error));
            Assert.DoesNotContain(alice.Received, m => m.Contains(body, StringComparison.Ordinal));
            // Every message the client got is one whole element (WebSocketTestClient parses each one).
            foreach (var message in alice.Received)
            {
                XElement.Parse(message);
            }
            await NothingLeftAsync(gateway, proxy);
        }
    }
}
