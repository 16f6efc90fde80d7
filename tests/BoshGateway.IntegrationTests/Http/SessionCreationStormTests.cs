using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// robustness.md D1 at its volume: 10,000 BOSH session creations from one address, as fast as 20 connections
/// can send them, against a gateway process with its shipped limits in front of a private Prosody. The
/// address gets what its limits allow and HTTP 429 for the rest; the backend streams it makes the gateway
/// open never exceed its unauthenticated cap; a user at another address logs in meanwhile.
/// </summary>
[Collection(FloodCollection.Name)]
public class SessionCreationStormTests
{
    private const int Attempts = 10_000;
    private const int Connections = 20;

    [Fact]
    public async Task TenThousandCreations_FromOneAddress_AreHeldToItsLimits_AndAnotherAddressIsServed()
    {
        await using var prosody = await PrivateProsody.StartAsync("prosody-storm", "bystander");
        var server = prosody.Server;
        // No warm pool: every backend stream counted below belongs to a session.
        await using var node = await GatewayNode.StartStandaloneAsync("d1-storm", server.C2sPort, "Gateway:Backends:Pool:Size=0");
        var defaults = new BoshGateway.Configuration.GatewayOptions();
        var statuses = new ConcurrentDictionary<string, int>();
        var mostStreams = 0;
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();

        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                mostStreams = Math.Max(mostStreams, TcpConnections.EstablishedTo(server.C2sPort));
                await Task.Delay(20);
            }
        });
        var storm = CreationStorm.RunAsync(node.BoshUrl, server.Domain, Attempts, Connections, statuses);

        // Another address (127.0.0.3) logs in and chats with itself during the storm.
        var bystanderClock = Stopwatch.StartNew();
        await using (var bystander = new BoshTestClient(node.BoshUrl, server.Domain, LoopbackHttp.Handler(IPAddress.Parse("127.0.0.3"))))
        {
            await bystander.LoginAsync("bystander");
            await bystander.SendMessageAsync($"bystander@{server.Domain}/test", "during the storm", id: "storm");
            await bystander.WaitForAsync(e => (string?)e.Attribute("id") == "storm");
        }
        bystanderClock.Stop();
        await storm;
        var elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await sampling;

        var figures = string.Join(", ", statuses.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}: {p.Value}"));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Attempts} creations in {elapsed.TotalSeconds:0.0} s ({Attempts / elapsed.TotalSeconds:0}/s): {figures}; most backend streams at once {mostStreams}; bystander logged in and chatted in {bystanderClock.Elapsed.TotalSeconds:0.0} s"));

        Assert.Equal(Attempts, statuses.Values.Sum());
        // Only created sessions and 429s: no 5xx, no hang, no other refusal.
        Assert.Empty(statuses.Keys.Except(["created", "429", "429+Retry-After"]));
        var created = statuses.GetValueOrDefault("created");
        // Sessions are never authenticated here, so the unauthenticated cap holds them (each also spent a start token).
        Assert.InRange(created, 1, defaults.Throttle.SessionBurst + (defaults.Throttle.SessionsPerSecond * elapsed.TotalSeconds) + 1);
        Assert.InRange(mostStreams, 1, defaults.Throttle.MaxUnauthenticatedPerAddress + 1);
        Assert.StartsWith("ok", await node.HealthAsync(), StringComparison.Ordinal);
    }
}
