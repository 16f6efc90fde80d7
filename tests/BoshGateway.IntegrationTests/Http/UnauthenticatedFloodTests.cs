using System.Diagnostics;
using System.Globalization;
using System.Net;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// robustness.md D6 at its volume: 5,000 BOSH sessions that open a backend stream and never authenticate,
/// from 100 addresses (50 each, the per-address cap), against a gateway process in front of a private
/// Prosody. Every one is ended at its pre-auth deadline and its backend stream closed; the gateway's
/// sessions, sockets and the server's streams are back to where they were.
/// </summary>
[Collection(FloodCollection.Name)]
public class UnauthenticatedFloodTests
{
    private const int Addresses = 100;
    private const int PerAddress = 50;

    [Fact]
    public async Task FiveThousandSessionsThatNeverAuthenticate_AllEndAtTheDeadline_AndLeaveNothingBehind()
    {
        await using var prosody = await PrivateProsody.StartAsync("prosody-d6", "nobody");
        var server = prosody.Server;
        await using var node = await GatewayNode.StartStandaloneAsync("d6-flood", server.C2sPort,
            "Gateway:Backends:Pool:Size=0", "Gateway:Bosh:PreAuthTimeout=00:00:10", "Gateway:Bosh:Inactivity=00:00:15");
        var (files, gatewayRss, serverRss) = (node.OpenFiles, node.ResidentBytes, server.ResidentBytes);
        var clock = Stopwatch.StartNew();

        var created = await Task.WhenAll(Enumerable.Range(0, Addresses).Select(i => Task.Run(async () =>
        {
            using var http = new HttpClient(LoopbackHttp.Handler(IPAddress.Parse($"127.0.1.{(i + 1).ToString(CultureInfo.InvariantCulture)}")));
            var sessions = 0;
            for (var n = 0; n < PerAddress; n++)
            {
                await CreationStorm.CreateOneAsync(http, node.BoshUrl, server.Domain, wait: 10);
                sessions++;
            }
            return sessions;
        })));
        var opened = clock.Elapsed;
        Assert.Equal(Addresses * PerAddress, created.Sum());
        // Each holds a backend stream until its deadline.
        Assert.Equal(Addresses * PerAddress, await node.HealthFigureAsync("bosh"));
        var streams = TcpConnections.EstablishedTo(server.C2sPort);
        var (filesAtPeak, gatewayRssAtPeak, serverRssAtPeak) = (node.OpenFiles, node.ResidentBytes, server.ResidentBytes);

        // 10 s after its start, each is ended (policy-violation) and its stream closed.
        Assert.Equal(0, await TcpConnections.WaitForAsync(server.C2sPort, 0, TimeSpan.FromSeconds(40)));
        var ended = clock.Elapsed;
        // An ended session waits one inactivity period (15 s here) for its client to collect the terminate, then
        // is forgotten.
        long left = -1;
        while (clock.Elapsed < ended + TimeSpan.FromSeconds(30) && (left = await node.HealthFigureAsync("bosh")) > 0)
        {
            await Task.Delay(250);
        }
        Assert.Equal(0, left);
        // A few descriptors more than at the start are the runtime's own, made once under load (socket engines'
        // epoll and wake-up pipes); a leak would be one or two per session.
        const int RuntimeSlack = 32;
        var filesAfter = node.OpenFiles;
        for (var i = 0; i < 40 && filesAfter > files + RuntimeSlack; i++)
        {
            await Task.Delay(250);
            filesAfter = node.OpenFiles;
        }
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{created.Sum()} unauthenticated sessions from {Addresses} addresses opened in {opened.TotalSeconds:0.0} s, {streams} backend streams; all ended {ended.TotalSeconds - opened.TotalSeconds:0.0} s later. " +
            $"Gateway fds {files} -> {filesAtPeak} -> {filesAfter}, RSS {gatewayRss / 1048576} -> {gatewayRssAtPeak / 1048576} -> {node.ResidentBytes / 1048576} MiB; " +
            $"Prosody RSS {serverRss / 1048576} -> {serverRssAtPeak / 1048576} -> {server.ResidentBytes / 1048576} MiB"));
        Assert.Equal(Addresses * PerAddress, streams);
        Assert.InRange(filesAfter, 0, files + RuntimeSlack);
        Assert.StartsWith("ok", await node.HealthAsync(), StringComparison.Ordinal);
    }
}
