using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Xml;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Backend;

/// <summary>The warm pool and its background service, with the real connector against a stub server.</summary>
public class BackendPoolTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static GatewayOptions Options(int port, int size = 2)
    {
        var options = new GatewayOptions();
        options.Backends.Default.Host = "127.0.0.1";
        options.Backends.Default.Port = port;
        options.Backends.Default.Tls = BackendTlsMode.None;
        options.Backends.Pool.Size = size;
        options.Backends.Pool.Domains.Add("localhost");
        options.Backends.RetryBackoff = TimeSpan.FromMilliseconds(100);
        return options;
    }

    private static Task WaitUntilAsync(Func<bool> condition, string what) => Eventually.TrueAsync(condition, what, TimeSpan.FromSeconds(15));

    /// <summary>As above, saying on timeout what the pool and the stub server show (a CI run once timed out here, cause unknown).</summary>
    private static Task WaitUntilAsync(Func<bool> condition, string what, BackendPool pool, StubXmppServer server, BackendDestinations destinations) =>
        Eventually.TrueAsync(condition, what, TimeSpan.FromSeconds(15),
            () => $"idle {pool.IdleCount}, server accepted {server.Accepted}, headers {server.Headers}, open {server.Open}, destinations out {destinations.All.Count(d => d.IsOut)}");

    private static (BackendConnector Connector, BackendPool Pool, BackendDestinations Destinations, BackendPoolService Service) Start(GatewayOptions options)
    {
        var connector = BackendTestConnectors.Create(options, out var destinations, out var pool);
        var service = new BackendPoolService(pool, destinations, connector, BackendTestConnectors.Resolver, Microsoft.Extensions.Options.Options.Create(options), TimeProvider.System, Sessions.TestLifecycle.Metrics(), NullLogger<BackendPoolService>.Instance);
        return (connector, pool, destinations, service);
    }

    /// <summary>Runs <paramref name="test"/> with the pool's background service started, and stops it after.</summary>
    private static async Task WithPoolServiceAsync(GatewayOptions options, Func<BackendConnector, BackendPool, BackendDestinations, Task> test)
    {
        var (connector, pool, destinations, service) = Start(options);
        await service.StartAsync(Cancel);
        try
        {
            await test(connector, pool, destinations);
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task ConfiguredDomain_IsWarmedAtStart_AndASessionGetsItsFeaturesWithoutARoundTrip()
    {
        await using var server = new StubXmppServer();
        var options = Options(server.Port);
        await WithPoolServiceAsync(options, async (connector, pool, destinations) =>
        {
            await WaitUntilAsync(() => pool.IdleCount == 2, "the pool is full", pool, server, destinations);
            var target = BackendRoute.Resolve(options.Backends, "localhost", null);

            var link = await connector.ConnectAsync(target, "en", Cancel);
            var events = new Events();
            link.Start(events);

            // One of the two streams opened before the session came (the stub numbers its stream ids), its
            // features already there: the session's start sent nothing to the server.
            Assert.Contains(events.StreamId, new[] { "s1", "s2" });
            Assert.Equal(["features"], events.Elements);
            // It refills in the background.
            await WaitUntilAsync(() => pool.IdleCount == 2 && server.Accepted == 3, "the pool refills", pool, server, destinations);
            link.Abort();
        });
    }

    [Fact]
    public async Task AnotherLanguage_GetsAFreshStream()
    {
        await using var server = new StubXmppServer();
        var options = Options(server.Port);
        await WithPoolServiceAsync(options, async (connector, pool, _) =>
        {
            await WaitUntilAsync(() => pool.IdleCount == 2, "the pool is full");
            var link = await connector.ConnectAsync(BackendRoute.Resolve(options.Backends, "localhost", null), "de", Cancel);
            Assert.Equal(3, server.Accepted);
            Assert.Equal(2, pool.IdleCount);
            link.Abort();
        });
    }

    [Fact]
    public async Task StreamsTheServerCloses_AreNeverHandedOut_AndAreReplaced()
    {
        await using var server = new StubXmppServer();
        var options = Options(server.Port);
        await WithPoolServiceAsync(options, async (connector, pool, _) =>
        {
            await WaitUntilAsync(() => pool.IdleCount == 2, "the pool is full");
            server.CloseAll(); // as a server's timeout for unauthenticated streams would
            await WaitUntilAsync(() => server.Accepted == 4 && pool.IdleCount == 2, "the closed streams are replaced");

            var link = await connector.ConnectAsync(BackendRoute.Resolve(options.Backends, "localhost", null), null, Cancel);
            var events = new Events();
            link.Start(events);
            link.Send("<presence/>"u8.ToArray());
            await Task.Delay(200, Cancel);
            Assert.Null(events.Closed); // a live stream
            link.Abort();
        });
    }

    [Fact]
    public async Task IdleStreams_AreRecycledAfterMaxIdle()
    {
        await using var server = new StubXmppServer();
        var options = Options(server.Port, size: 1);
        options.Backends.Pool.MaxIdle = TimeSpan.FromSeconds(1);
        var (_, pool, _, service) = Start(options);
        await service.StartAsync(Cancel);
        try
        {
            await WaitUntilAsync(() => server.Accepted >= 3 && pool.IdleCount == 1, "idle streams are replaced");
            // The replaced ones are closed (with </stream:stream>), not left open: one stream to the server.
            await WaitUntilAsync(() => server.Open == 1, $"the server holds {server.Open} streams, not 1");
            Assert.True(server.StreamCloses >= 2, $"{server.StreamCloses} streams closed with </stream:stream>");
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
        Assert.Equal(0, pool.IdleCount);
    }

    [Fact]
    public async Task ADestinationOutOfService_IsBroughtBackByTheHealthCheck()
    {
        await using var server = new StubXmppServer(stalled: true);
        var options = Options(server.Port, size: 0);
        options.Backends.Default.ConnectTimeout = TimeSpan.FromMilliseconds(300);
        var (connector, _, destinations, service) = Start(options);
        var target = BackendRoute.Resolve(options.Backends, "localhost", null);
        await Assert.ThrowsAsync<BackendConnectException>(() => connector.ConnectAsync(target, null, Cancel));
        var destination = destinations.Get(target.Destinations[0]);
        Assert.True(destination.IsOut);

        await service.StartAsync(Cancel);
        try
        {
            // Still hung: checks keep failing, and it stays out.
            await WaitUntilAsync(() => server.Accepted >= 2, "a health check ran");
            Assert.True(destination.IsOut);
            server.Stalled = false;
            await WaitUntilAsync(() => !destination.IsOut, "the destination is back");
            var link = await connector.ConnectAsync(target, null, Cancel);
            link.Abort();
            // Nothing left behind: the checks' streams (failed or passed) and the session's are all closed.
            await WaitUntilAsync(() => server.Open == 0, "every stream is closed");
        }
        finally
        {
            await service.StopAsync(CancellationToken.None);
        }
    }

    private sealed class Events : IBackendEvents
    {
        public List<string> Elements { get; } = [];

        public Exception? Closed { get; private set; }

        public string? StreamId { get; private set; }

        public void OnBackendHeader(XmlStreamHeader header) => StreamId = header.GetAttribute("id");

        public void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces) => Elements.Add(element.LocalName);

        public void OnBackendClosed(Exception? failure) => Closed = failure ?? new EndOfStreamException();
    }
}
