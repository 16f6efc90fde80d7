using System.Diagnostics;
using System.Net;
using System.Xml.Linq;
using BoshGateway.Backend;
using BoshGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// The backend side against a private Prosody: warm pooled streams carry real logins over both transports,
/// a dead destination is skipped and then refused at once, and a reconnect storm gets 503 with Retry-After
/// instead of connects racing their timeout.
/// </summary>
public sealed class BackendPoolingTests : IAsyncLifetime
{
    private const string Ns = "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'";
    private XmppServer _server = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await XmppServers.StartPrivateProsodyAsync("prosody-pool", "alice", "bob", "carol");
        _server.RequireRunning();
    }

    public async ValueTask DisposeAsync() => await XmppServers.StopPrivateAsync(_server);

    /// <summary>Pool takes of this host alone (hit or miss), counted from now on.</summary>
    private static HostCounter PoolTakes(GatewayHost gateway, string result) =>
        new(gateway.Services, "boshgateway.backend.pool.takes", "boshgateway.pool.result", result);


    private static Task WaitUntilAsync(Func<bool> condition, string what) =>
        Eventually.TrueAsync(condition, () => "timed out waiting until " + what, TimeSpan.FromSeconds(15));

    [Fact]
    public async Task WarmStreams_CarryRealLogins_OverBothTransports_AndAreReplaced()
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, $"Gateway:Backends:Pool:Domains:0={_server.Domain}", "Gateway:Backends:Pool:Size=2");
        var pool = gateway.Services.GetRequiredService<BackendPool>();
        // Warmed at start, before any client came.
        await WaitUntilAsync(() => pool.IdleCount == 2 && proxy.OpenConnections == 2, "two streams are warm");
        using var hits = PoolTakes(gateway, "hit");
        using var misses = PoolTakes(gateway, "miss");

        await using var bosh = new BoshTestClient(gateway.BoshUrl, _server.Domain);
        await bosh.LoginAsync("alice");
        await using var ws = new WebSocketTestClient();
        await ws.LoginAsync(gateway.WebSocketUrl, _server.Domain, "bob");

        Assert.Equal(2, hits.Total);
        Assert.Equal(0, misses.Total);
        // The pool refilled beside the two sessions.
        await WaitUntilAsync(() => pool.IdleCount == 2 && proxy.OpenConnections == 4, "the pool refills");

        // The streams really are the users': a message goes from one to the other.
        bosh.StartPolling();
        await ws.SendAsync($"<message to='alice@{_server.Domain}' type='chat' xmlns='jabber:client'><body>warm</body></message>");
        var message = await bosh.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains("warm", StringComparison.Ordinal), TimeSpan.FromSeconds(10));
        Assert.NotNull(message);
        await bosh.StopPollingAsync();
    }

    [Fact]
    public async Task AClientAskingAnotherLanguage_GetsAFreshStream()
    {
        await using var gateway = await GatewayHost.StartAsync(_server.C2sPort, $"Gateway:Backends:Pool:Domains:0={_server.Domain}");
        var pool = gateway.Services.GetRequiredService<BackendPool>();
        await WaitUntilAsync(() => pool.IdleCount == 2, "two streams are warm");
        using var hits = PoolTakes(gateway, "hit");
        using var misses = PoolTakes(gateway, "miss");
        using var http = new HttpClient();
        using var response = await http.PostAsync(gateway.BoshUrl, new StringContent($"<body rid='1' to='{_server.Domain}' xml:lang='de' wait='5' hold='1' {Ns}/>"));
        var body = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.NotNull(body.Attribute("sid"));
        Assert.Equal(0, hits.Total);
        Assert.Equal(1, misses.Total);
    }

    [Fact]
    public async Task ADeadDestination_IsSkipped_AndWhenAllAreDead_ClientsAreToldAtOnce()
    {
        int dead;
        using (var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            dead = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        await using (var gateway = await GatewayHost.StartAsync(_server.C2sPort, "Gateway:Backends:Pool:Size=0",
            $"Gateway:Backends:Default:Destinations:0:Host=127.0.0.1", $"Gateway:Backends:Default:Destinations:0:Port={dead}",
            $"Gateway:Backends:Default:Destinations:1:Host=127.0.0.1", $"Gateway:Backends:Default:Destinations:1:Port={_server.C2sPort}"))
        {
            // The first login tries the dead server, then the live one: the user sees nothing of it.
            await using var bosh = new BoshTestClient(gateway.BoshUrl, _server.Domain);
            await bosh.LoginAsync("carol");
            var destinations = gateway.Services.GetRequiredService<BackendDestinations>();
            Assert.True(destinations.All.Single(d => d.Address.Port == dead).IsOut);
        }

        // Only dead destinations: a stalled one (connect succeeds, nothing answers) costs one timeout, then new
        // sessions are refused at once instead of each waiting out its own.
        await using var stalled = FaultProxy.Start(_server.C2sPort);
        stalled.Stall();
        await using var down = await GatewayHost.StartAsync(stalled.Port, "Gateway:Backends:Pool:Size=0", "Gateway:Backends:Default:ConnectTimeout=00:00:01", "Gateway:Backends:MaxRetryBackoff=00:01:00", "Gateway:Backends:RetryBackoff=00:01:00");
        using var http = new HttpClient();
        async Task<(XElement Body, TimeSpan Took)> CreateAsync()
        {
            var clock = Stopwatch.StartNew();
            using var response = await http.PostAsync(down.BoshUrl, new StringContent($"<body rid='1' to='{_server.Domain}' wait='5' hold='1' {Ns}/>"));
            return (XElement.Parse(await response.Content.ReadAsStringAsync()), clock.Elapsed);
        }
        var (first, firstTook) = await CreateAsync();
        Assert.Equal("remote-connection-failed", (string?)first.Attribute("condition"));
        Assert.True(firstTook >= TimeSpan.FromSeconds(1), $"the first waited its connect timeout ({firstTook})");
        var (second, secondTook) = await CreateAsync();
        Assert.Equal("remote-connection-failed", (string?)second.Attribute("condition"));
        Assert.True(secondTook < TimeSpan.FromSeconds(1), $"the second was told at once ({secondTook})");
    }

    [Fact]
    public async Task AServerKilled_IsRefusedAtOnce_ThenAfterItsRestart_ServesNewSessionsAgain()
    {
        var server = await XmppServers.StartPrivateProsodyAsync("prosody-restart", "alice");
        try
        {
            server.RequireRunning();
            await using var gateway = await GatewayHost.StartAsync(server.C2sPort, $"Gateway:Backends:Pool:Domains:0={server.Domain}",
                "Gateway:Backends:RetryBackoff=00:00:00.200", "Gateway:Backends:MaxRetryBackoff=00:00:01");
            var pool = gateway.Services.GetRequiredService<BackendPool>();
            var destinations = gateway.Services.GetRequiredService<BackendDestinations>();
            await WaitUntilAsync(() => pool.IdleCount == 2, "two streams are warm");

            await server.KillAsync();
            // The warm streams see the server go, their replacements cannot connect: the server is out.
            await WaitUntilAsync(() => destinations.All.Any(d => d.IsOut) && pool.IdleCount == 0, "the dead server is out of service");
            using var http = new HttpClient();
            var clock = Stopwatch.StartNew();
            using (var response = await http.PostAsync(gateway.BoshUrl, new StringContent($"<body rid='1' to='{server.Domain}' wait='5' hold='1' {Ns}/>")))
            {
                var body = XElement.Parse(await response.Content.ReadAsStringAsync());
                Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), $"refused at once ({clock.Elapsed})");

            await XmppServers.RestartPrivateProsodyAsync(server, "alice");
            // The health check finds it (backoff at most 1 s here) and the pool warms again.
            await WaitUntilAsync(() => destinations.All.All(d => !d.IsOut) && pool.IdleCount == 2, "the server is back in service and warm");
            await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain);
            await bosh.LoginAsync("alice");
        }
        finally
        {
            await XmppServers.StopPrivateAsync(server);
        }
    }

    [Fact]
    public async Task AWebSocketStartBeyondTheConnectLimit_IsClosedWithResourceConstraint()
    {
        await using var stalled = FaultProxy.Start(_server.C2sPort);
        stalled.Stall(); // the first start holds the one connect slot
        await using var gateway = await GatewayHost.StartAsync(stalled.Port, "Gateway:Backends:Pool:Size=0",
            "Gateway:Backends:MaxConnectsInFlight=1", "Gateway:Backends:ConnectQueueTimeout=00:00:00.300");
        await using var first = new WebSocketTestClient();
        await first.ConnectAsync(gateway.WebSocketUrl);
        await first.OpenStreamAsync(_server.Domain);
        await WaitUntilAsync(() => stalled.OpenConnections == 1, "the first start is connecting");

        await using var second = new WebSocketTestClient();
        await second.ConnectAsync(gateway.WebSocketUrl);
        await second.OpenStreamAsync(_server.Domain);
        var error = await second.WaitForAsync(e => e.Name == XName.Get("error", "http://etherx.jabber.org/streams"), TimeSpan.FromSeconds(10));
        Assert.Equal("resource-constraint", error.Elements().First().Name.LocalName);
        Assert.Equal(1, stalled.OpenConnections); // it never dialled
    }

    [Fact]
    public async Task AReconnectStorm_GetsRetryAfter_NotConnectsRacingTheirTimeout()
    {
        await using var proxy = FaultProxy.Start(_server.C2sPort);
        proxy.Delay = TimeSpan.FromMilliseconds(150); // every handshake takes several delayed round trips
        await using var gateway = await GatewayHost.StartAsync(proxy.Port, "Gateway:Backends:Pool:Size=0",
            "Gateway:Backends:MaxConnectsInFlight=4", "Gateway:Backends:ConnectQueueTimeout=00:00:00.500",
            "Gateway:Throttle:SessionBurst=1000", "Gateway:Throttle:MaxUnauthenticatedPerAddress=1000");
        using var http = new HttpClient();
        var starts = Enumerable.Range(0, 40).Select(async i =>
        {
            using var response = await http.PostAsync(gateway.BoshUrl, new StringContent($"<body rid='{1000 + i}' to='{_server.Domain}' wait='5' hold='1' {Ns}/>"));
            var text = await response.Content.ReadAsStringAsync();
            return (response.StatusCode, response.Headers.RetryAfter?.Delta, Body: text.Length > 0 ? XElement.Parse(text) : null);
        }).ToList();
        var results = await Task.WhenAll(starts);

        var ok = results.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var busy = results.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(40, ok.Count + busy.Count);
        Assert.NotEmpty(busy);
        Assert.NotEmpty(ok);
        Assert.All(busy, r => Assert.Equal(TimeSpan.FromSeconds(1), r.Delta));
        // Every 200 is a started session (none told remote-connection-failed), and a refused start never dialled.
        Assert.All(ok, r => Assert.NotNull(r.Body!.Attribute("sid")));
        Assert.Equal(ok.Count, gateway.Sessions.Count);
        await WaitUntilAsync(() => proxy.OpenConnections == ok.Count, "only the started sessions hold streams");
        Assert.Equal(ok.Count, proxy.MostOpenConnections);
    }
}
