using System.Diagnostics;
using BoshGateway.Backend;
using BoshGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// <see cref="SrvLookup"/> against a real DNS server (dnsmasq on loopback): both XMPP client services merged and
/// flagged, the "." record, an unknown domain, a server that is gone, and answers cached for their TTL.
/// </summary>
public sealed class SrvLookupTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private DnsServer _dns = null!;

    public async ValueTask InitializeAsync()
    {
        _dns = await DnsServer.StartAsync("dns-srv", [
            DnsServer.Srv(SrvLookup.StartTlsService, "example.test", "xmpp1.example.test", 5222, 10, 60),
            DnsServer.Srv(SrvLookup.StartTlsService, "example.test", "xmpp2.example.test", 15222, 20, 5),
            DnsServer.Srv(SrvLookup.DirectTlsService, "example.test", "xmpps1.example.test", 5223, 10, 40),
            DnsServer.A("xmpp1.example.test"),
            DnsServer.SrvNotAvailable(SrvLookup.StartTlsService, "down.test"),
            DnsServer.SrvNotAvailable(SrvLookup.StartTlsService, "tlsonly.test"),
            DnsServer.Srv(SrvLookup.DirectTlsService, "tlsonly.test", "secure.tlsonly.test", 443, 0, 0),
            DnsServer.SrvNotAvailable(SrvLookup.DirectTlsService, "nodirect.test"),
        ]);
    }

    public async ValueTask DisposeAsync() => await _dns.DisposeAsync();

    private static SrvLookup Lookup(DnsServer dns) => new([dns.EndPoint], NullLogger<SrvLookup>.Instance, Timeout);

    [Fact]
    public async Task LookupAsync_BothServices_MergedWithTheirTlsFlags_TargetsWithoutTrailingDot()
    {
        var result = await Lookup(_dns).LookupAsync("example.test", TestContext.Current.CancellationToken);

        Assert.Equal(SrvLookupOutcome.Found, result.Outcome);
        Assert.Null(result.Error);
        DestinationAddress[] expected =
        [
            new("xmpp1.example.test", 5222, 60, DirectTls: false, Priority: 10),
            new("xmpp2.example.test", 15222, 5, DirectTls: false, Priority: 20),
            new("xmpps1.example.test", 5223, 40, DirectTls: true, Priority: 10),
        ];
        Assert.Equal(expected.OrderBy(d => d.Host), result.Destinations.OrderBy(d => d.Host));
        Assert.Contains("query[SRV] _xmpps-client._tcp.example.test", _dns.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LookupAsync_TrailingDotOnTheDomain_SameAnswer()
    {
        var result = await Lookup(_dns).LookupAsync("example.test.", TestContext.Current.CancellationToken);
        Assert.Equal(3, result.Destinations.Count);
    }

    [Fact]
    public async Task LookupAsync_DotRecord_IsNotAvailable()
    {
        var result = await Lookup(_dns).LookupAsync("down.test", TestContext.Current.CancellationToken);
        Assert.Equal(SrvLookupOutcome.NotAvailable, result.Outcome);
        Assert.Empty(result.Destinations);
    }

    [Fact]
    public async Task LookupAsync_StartTlsDot_DirectTlsRecord_OffersOnlyDirectTls()
    {
        var result = await Lookup(_dns).LookupAsync("tlsonly.test", TestContext.Current.CancellationToken);
        Assert.Equal(SrvLookupOutcome.Found, result.Outcome);
        Assert.Equal([new DestinationAddress("secure.tlsonly.test", 443, 0, DirectTls: true, Priority: 0)], result.Destinations);
    }

    [Fact]
    public async Task LookupAsync_DirectTlsDotOnly_IsNoRecords_SoTheFallbackStays()
    {
        var result = await Lookup(_dns).LookupAsync("nodirect.test", TestContext.Current.CancellationToken);
        Assert.Equal(SrvLookupOutcome.NoRecords, result.Outcome);
    }

    [Fact]
    public async Task LookupAsync_UnknownDomain_IsNoRecords_NotFailed()
    {
        var result = await Lookup(_dns).LookupAsync("unknown.test", TestContext.Current.CancellationToken);
        Assert.Equal(SrvLookupOutcome.NoRecords, result.Outcome);
        Assert.Empty(result.Destinations);
        Assert.Null(result.Error);
        Assert.Contains("_xmpp-client._tcp.unknown.test is NXDOMAIN", _dns.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LookupAsync_ServerStopped_FailsWithinTheTimeout()
    {
        await using var dns = await DnsServer.StartAsync("dns-srv-stopped", [DnsServer.Srv(SrvLookup.StartTlsService, "gone.test", "xmpp.gone.test", 5222, 0, 1)]);
        var lookup = Lookup(dns);
        Assert.Equal(SrvLookupOutcome.Found, (await lookup.LookupAsync("gone.test", TestContext.Current.CancellationToken)).Outcome);

        await dns.StopAsync();
        var clock = Stopwatch.StartNew();
        var result = await lookup.LookupAsync("gone.test", TestContext.Current.CancellationToken);

        Assert.Equal(SrvLookupOutcome.Failed, result.Outcome);
        Assert.Empty(result.Destinations);
        Assert.Contains("_xmpp-client._tcp.gone.test", result.Error, StringComparison.Ordinal);
        // Per query: 1 s, once retried; the whole lookup gives up after 2.5 s.
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(4));
    }

    [Fact]
    public async Task LookupAsync_AnswerWithTtl_IsCachedThroughAnOutage_ButNotByAnotherLookup()
    {
        await using var dns = await DnsServer.StartAsync("dns-srv-ttl", [DnsServer.Srv(SrvLookup.StartTlsService, "cached.test", "xmpp.cached.test", 5222, 0, 1)], ttlSeconds: 300);
        var lookup = Lookup(dns);
        Assert.Equal(SrvLookupOutcome.Found, (await lookup.LookupAsync("cached.test", TestContext.Current.CancellationToken)).Outcome);

        await dns.StopAsync();

        var cached = await lookup.LookupAsync("cached.test", TestContext.Current.CancellationToken);
        Assert.Equal(SrvLookupOutcome.Found, cached.Outcome);
        Assert.Equal("xmpp.cached.test", Assert.Single(cached.Destinations).Host);
        Assert.Equal(SrvLookupOutcome.Failed, (await Lookup(dns).LookupAsync("cached.test", TestContext.Current.CancellationToken)).Outcome);
    }

    [Fact]
    public async Task LookupAsync_CancelledBeforeOrDuring_ThrowsRatherThanFailed()
    {
        using var before = new CancellationTokenSource();
        await before.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Lookup(_dns).LookupAsync("example.test", before.Token));

        // A server that does not answer (stopped) keeps the lookup waiting; cancelling then ends it at once.
        await using var silent = await DnsServer.StartAsync("dns-srv-cancel", []);
        await silent.StopAsync();
        using var during = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        var clock = Stopwatch.StartNew();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Lookup(silent).LookupAsync("example.test", during.Token));
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(1.5));
    }
}
