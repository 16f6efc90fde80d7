using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Tests.Backend;

/// <summary>Destinations, balancing, passive health and the connect limit, through the real connector against stub servers.</summary>
public class BackendBalancingTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static GatewayOptions Options(Action<BackendsOptions>? configure = null)
    {
        var options = new GatewayOptions();
        options.Backends.Pool.Size = 0;
        configure?.Invoke(options.Backends);
        return options;
    }

    private static BackendTarget Target(params (int Port, int Weight)[] destinations) =>
        new BackendTarget("localhost", "127.0.0.1", destinations[0].Port, BackendTlsMode.None, "localhost", false, [], TimeSpan.FromSeconds(5))
        {
            Destinations = [.. destinations.Select(d => new DestinationAddress("127.0.0.1", d.Port, d.Weight))],
        };

    private static int ClosedPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task NewSessions_GoWhereSessionsPerWeightIsLowest()
    {
        await using var a = new StubXmppServer();
        await using var b = new StubXmppServer();
        var connector = BackendTestConnectors.Create(Options(), out var destinations, out _);
        var target = Target((a.Port, 3), (b.Port, 1));
        List<IBackendLink> links = [];
        for (var i = 0; i < 8; i++)
        {
            links.Add(await connector.ConnectAsync(target, null, Cancel));
        }

        Assert.Equal(6, a.Accepted);
        Assert.Equal(2, b.Accepted);
        Assert.Equal(6, destinations.Get(target.Destinations[0]).Sessions);

        // Ended sessions give their place back.
        links.ForEach(l => l.Abort());
        Assert.Equal(0, destinations.Get(target.Destinations[0]).Sessions);
        Assert.Equal(0, destinations.Get(target.Destinations[1]).Sessions);
    }

    [Fact]
    public async Task AFailingDestination_IsSkipped_AndLeftOutUntilChecked()
    {
        await using var good = new StubXmppServer();
        var down = ClosedPort();
        var connector = BackendTestConnectors.Create(Options(), out var destinations, out _);
        var target = Target((down, 1), (good.Port, 1));

        // The first session tries the dead one first (both at load 0, first listed), then the good one: no error for the user.
        var link = await connector.ConnectAsync(target, null, Cancel);
        Assert.Equal(1, good.Accepted);
        var dead = destinations.Get(target.Destinations[0]);
        Assert.True(dead.IsOut);
        Assert.NotNull(dead.LastFailure);

        // Later sessions do not try it while it is out, even where its load would win.
        link.Abort();
        await connector.ConnectAsync(target, null, Cancel);
        Assert.Equal(2, good.Accepted);
    }

    [Fact]
    public async Task EveryDestinationOut_IsToldAtOnce_WithoutDialling()
    {
        await using var stalled = new StubXmppServer(stalled: true);
        var connector = BackendTestConnectors.Create(Options(), out var destinations, out _);
        var target = Target((stalled.Port, 1)) with { ConnectTimeout = TimeSpan.FromMilliseconds(300) };

        var first = await Assert.ThrowsAsync<BackendConnectException>(() => connector.ConnectAsync(target, null, Cancel));
        Assert.Contains("timed out", first.Message, StringComparison.Ordinal);
        Assert.True(destinations.Get(target.Destinations[0]).IsOut);

        var second = await Assert.ThrowsAsync<BackendConnectException>(() => connector.ConnectAsync(target, null, Cancel));
        Assert.Contains("no server for localhost is in service", second.Message, StringComparison.Ordinal);
        Assert.Contains("timed out", second.Message, StringComparison.Ordinal); // names why
        Assert.Equal(1, stalled.Accepted);
    }

    [Fact]
    public async Task ATimeout_WhileTheServerAnsweredOthers_IsBusyNotDown()
    {
        // A reconnect storm: the server answers, slowly. Only a server that answered nothing during the wait is taken out.
        await using var server = new StubXmppServer { Answers = n => n == 2 };
        var connector = BackendTestConnectors.Create(Options(), out var destinations, out _);
        var target = Target((server.Port, 1)) with { ConnectTimeout = TimeSpan.FromSeconds(1) };
        var slow = connector.ConnectAsync(target, null, Cancel);
        await Eventually.TrueAsync(() => server.Accepted >= 1, "the first connect arrived", TimeSpan.FromSeconds(15));
        var answered = await connector.ConnectAsync(target, null, Cancel);

        var timedOut = await Assert.ThrowsAsync<BackendConnectException>(() => slow);
        Assert.True(timedOut.TimedOut);
        var destination = destinations.Get(target.Destinations[0]);
        Assert.False(destination.IsOut);

        // Alone, a timeout does take it out.
        await Assert.ThrowsAsync<BackendConnectException>(() => connector.ConnectAsync(target, null, Cancel));
        Assert.True(destination.IsOut);
        answered.Abort();
    }

    [Fact]
    public async Task DomainStreamErrors_DoNotTakeTheServerOutOfService()
    {
        // Anyone can ask for a domain the server does not host: its host-unknown must not cost everyone the server.
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ScriptedXmppServer.ReadSomeAsync(stream);
            await ScriptedXmppServer.WriteAsync(stream, "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0'><stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
        });
        var connector = BackendTestConnectors.Create(Options(), out var destinations, out _);
        var target = Target((server.Port, 1));
        var ex = await Assert.ThrowsAsync<BackendConnectException>(() => connector.ConnectAsync(target, null, Cancel));
        Assert.True(ex.ConcernsDomain);
        Assert.False(destinations.Get(target.Destinations[0]).IsOut);
    }

    [Fact]
    public async Task ConnectsBeyondTheLimit_Wait_ThenAreRefusedWithRetryAfter()
    {
        await using var stalled = new StubXmppServer(stalled: true);
        var connector = BackendTestConnectors.Create(Options(b =>
        {
            b.MaxConnectsInFlight = 2;
            b.ConnectQueueTimeout = TimeSpan.FromMilliseconds(300);
        }), out _, out _);
        var target = Target((stalled.Port, 1)) with { ConnectTimeout = TimeSpan.FromSeconds(30) };
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var first = connector.ConnectAsync(target, null, cancel.Token);
        var second = connector.ConnectAsync(target, null, cancel.Token);
        await Eventually.TrueAsync(() => stalled.Accepted >= 2, "the first two connects arrived", TimeSpan.FromSeconds(15));

        var third = await Assert.ThrowsAsync<BackendConnectException>(() => connector.ConnectAsync(target, null, Cancel));
        Assert.Equal(TimeSpan.FromSeconds(1), third.RetryAfter);
        Assert.Equal(2, stalled.Accepted); // the third never dialled

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => second);
    }

    [Fact]
    public void Configuration_DestinationsListReplacesHostAndPort()
    {
        var options = new BackendsOptions();
        options.Default.Destinations.Add(new BackendDestinationOptions { Host = "xmpp1.internal", Port = 5222, Weight = 2 });
        options.Default.Destinations.Add(new BackendDestinationOptions { Host = "xmpp2.internal", Port = 5223 });
        options.Domains["other.example"] = new BackendOverride { Host = "other.internal" };

        var target = BackendRoute.Resolve(options, "example.com", null);
        Assert.Equal(["xmpp1.internal:5222", "xmpp2.internal:5223"], target.Destinations.Select(d => d.Key));
        Assert.Equal(2, target.Destinations[0].Weight);
        Assert.Equal("xmpp1.internal", target.Host);

        // A domain with its own host keeps to it.
        Assert.Equal(["other.internal:5222"], BackendRoute.Resolve(options, "other.example", null).Destinations.Select(d => d.Key));
    }
}
