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
        await bosh.WaitForTerminateAsync(TimeSpan.FromSeconds(15), "remote-connection-failed");
        // Idle 1 s, then the ping, then 2 s without an answer (plus a sweep tick): well under 10 s.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"took {clock.Elapsed}");
        proxy.Resume();
        await NothingLeftAsync(gateway, proxy);
    }

    // Before binding nothing may be probed, but every login step is answered: a server that hangs mid-login (here
    // after SASL success, where the pre-auth deadline no longer applies, or before it, which would otherwise end
    // at that deadline with the client blamed) is found by PingTimeout after the client's step.
    [Theory]
    [InlineData("bind")]
    [InlineData("auth")]
    public async Task ServerHangingMidLogin_IsFound_AndTheWebSocketClientIsToldRemoteConnectionFailed(string step)
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, NoPool, "Gateway:Backends:PingTimeout=00:00:02");
        await using var ws = new WebSocketTestClient();
        if (step == "bind")
        {
            await ws.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice", bind: false);
        }
        else
        {
            await ws.ConnectAsync(gateway.WebSocketUrl);
            await ws.OpenStreamAsync(_server.Domain);
            await ws.WaitForAsync(e => e.Name == Streams + "features");
        }

        proxy.Stall();
        var clock = Stopwatch.StartNew();
        await ws.SendAsync(step == "bind"
            ? "<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"
            : $"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0alice\0secret"))}</auth>");
        var error = await ws.WaitForAsync(e => e.Name == Streams + "error", TimeSpan.FromSeconds(15));
        Assert.Equal("remote-connection-failed", Condition(error));
        // 2 s without an answer, plus a sweep tick; the pre-auth deadline (30 s) played no part.
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
        proxy.Resume();
        await NothingLeftAsync(gateway, proxy);
    }

    [Fact]
    public async Task ServerHangingAfterSaslSuccess_IsFound_AndTheBoshClientIsToldRemoteConnectionFailed()
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, NoPool, "Gateway:Backends:PingTimeout=00:00:02");
        await using var bosh = new BoshTestClient(gateway.BoshUrl, _server.Domain);
        await bosh.CreateAsync(wait: 30);
        bosh.StartPolling();
        await bosh.WaitForAsync(e => e.Name == Streams + "features");
        await bosh.SendAsync($"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("\0bob\0secret"))}</auth>");
        await bosh.WaitForAsync(e => e.Name.LocalName == "success");
        await bosh.SendAsync("", $"xmpp:restart='true' to='{_server.Domain}' xml:lang='en'");
        await bosh.WaitForAsync(e => e.Name == Streams + "features");

        proxy.Stall();
        var clock = Stopwatch.StartNew();
        await bosh.SendAsync("<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>");
        await bosh.WaitForTerminateAsync(TimeSpan.FromSeconds(15), "remote-connection-failed");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(8), $"took {clock.Elapsed}");
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

    /// <summary>A gateway whose server link runs through a <see cref="FaultProxy"/>, and bob, logged in through a second gateway straight to the server, to send what the cut destroys.</summary>
    private sealed class CutRig(FaultProxy proxy, GatewayHost gateway, GatewayHost direct, WebSocketTestClient bob) : IAsyncDisposable
    {
        public FaultProxy Proxy => proxy;

        public GatewayHost Gateway => gateway;

        public WebSocketTestClient Bob => bob;

        public async ValueTask DisposeAsync()
        {
            await bob.DisposeAsync();
            await direct.DisposeAsync();
            await gateway.DisposeAsync();
            await proxy.DisposeAsync();
        }
    }

    private async Task<CutRig> StartCutRigAsync()
    {
        var proxy = FaultProxy.Start(_server.C2sPort);
        var gateway = await GatewayHost.StartAsync(proxy.Port, NoPool);
        var direct = await GatewayHost.StartAsync(_server.C2sPort, NoPool);
        var bob = new WebSocketTestClient();
        await bob.LoginAsync(direct.WebSocketUrl, _server.Domain, "bob");
        return new CutRig(proxy, gateway, direct, bob);
    }

    [Fact]
    public async Task LinkCutInsideAStanza_AnywhereInIt_DeliversOnlyWholeStanzas_AndEndsTheSession()
    {
        await using var rig = await StartCutRigAsync();
        var (proxy, gateway, bob) = (rig.Proxy, rig.Gateway, rig.Bob);
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

    /// <summary>
    /// robustness.md E6 with XEP-0198: the client told remote-connection-failed resumes on a new session through the
    /// gateway, and the server sends the stanza the cut destroyed again, once.
    /// </summary>
    [Fact]
    public async Task LinkCutInsideAStanza_AnXep0198Client_ResumesAndGetsTheCutStanzaOnce()
    {
        XNamespace sm = "urn:xmpp:sm:3";
        await using var rig = await StartCutRigAsync();
        var (proxy, gateway, bob) = (rig.Proxy, rig.Gateway, rig.Bob);
        await using var alice = new WebSocketTestClient();
        await alice.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice", resource: "resumer");
        await alice.SendAsync("<enable xmlns='urn:xmpp:sm:3' resume='true'/>");
        var previd = (string?)(await alice.WaitForAsync(e => e.Name == sm + "enabled")).Attribute("id");
        Assert.NotNull(previd);
        await bob.SendMessageAsync($"alice@{_server.Domain}/resumer", "whole");
        await alice.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains("whole", StringComparison.Ordinal));

        proxy.CutTowardGatewayAfter(250);
        var body = "cut-" + new string('z', 400);
        await bob.SendMessageAsync($"alice@{_server.Domain}/resumer", body);
        var error = await alice.WaitForAsync(e => e.Name == Streams + "error", TimeSpan.FromSeconds(15));
        Assert.Equal("remote-connection-failed", Condition(error));
        Assert.DoesNotContain(alice.Received, m => m.Contains(body, StringComparison.Ordinal));
        // XEP-0198's h: the stanzas the client got after <enabled/>, each a whole element.
        var handled = alice.Received.SkipWhile(m => !m.Contains("<enabled", StringComparison.Ordinal)).Skip(1)
            .Count(m => XElement.Parse(m).Name.LocalName is "message" or "presence" or "iq");

        await using var again = new WebSocketTestClient();
        await again.LoginAsync(gateway.WebSocketUrl, _server.Domain, "alice", bind: false);
        await again.SendAsync($"<resume xmlns='urn:xmpp:sm:3' h='{handled}' previd='{previd}'/>");
        var resumed = await again.WaitForAsync(e => e.Name.Namespace == sm && e.Name.LocalName is "resumed" or "failed");
        Assert.True(resumed.Name == sm + "resumed", resumed.ToString());
        await again.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains(body, StringComparison.Ordinal));
        // The rest of the queue has come by the time the server answers a ping sent after <resumed/>.
        await again.SendAsync($"<iq xmlns='jabber:client' type='get' id='after-resume' to='{_server.Domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
        await again.WaitForAsync(e => (string?)e.Attribute("id") == "after-resume");
        Assert.Single(again.Received, m => m.Contains(body, StringComparison.Ordinal));
        Assert.DoesNotContain(again.Received, m => m.Contains(">whole<", StringComparison.Ordinal));
    }

    [Fact]
    public async Task LinkCutInsideAStanza_UnderABoshSession_DeliversOnlyWholeStanzas_AndTerminatesIt()
    {
        await using var rig = await StartCutRigAsync();
        var (proxy, gateway, bob) = (rig.Proxy, rig.Gateway, rig.Bob);
        var body = new string('z', 400);
        foreach (var cut in new[] { 1, 60, 250, 480 })
        {
            await using var alice = new BoshTestClient(gateway.BoshUrl, _server.Domain);
            await alice.LoginAsync("alice", resource: $"boshcut{cut}", wait: 30);
            alice.StartPolling();
            await bob.SendMessageAsync($"alice@{_server.Domain}/boshcut{cut}", "whole");
            await alice.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains("whole", StringComparison.Ordinal));

            proxy.CutTowardGatewayAfter(cut);
            await bob.SendMessageAsync($"alice@{_server.Domain}/boshcut{cut}", body);
            var terminate = await alice.WaitForTerminateAsync(TimeSpan.FromSeconds(15), "remote-connection-failed");
            // The client parsed every body it got; none carried a piece of the cut stanza.
            Assert.DoesNotContain(alice.Inbox, e => e.ToString().Contains("zzzz", StringComparison.Ordinal));
            Assert.DoesNotContain("zzzz", terminate.ToString(), StringComparison.Ordinal);
            await NothingLeftAsync(gateway, proxy);
        }
    }
}
