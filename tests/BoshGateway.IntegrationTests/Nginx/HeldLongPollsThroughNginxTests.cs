using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Nginx;

/// <summary>
/// robustness.md D2: 2,000 BOSH long-polls held at once through the shipped nginx site, from 40 client
/// addresses (within the default per-address limits). A held request costs the gateway no thread (the process
/// does not grow a thread per request), one sweeper answers every poll when its <c>wait</c> runs out (an empty
/// body, neither early nor an nginx error), and a user at another address logs in and chats meanwhile.
/// </summary>
[Collection(FloodCollection.Name)]
public class HeldLongPollsThroughNginxTests
{
    private const int Addresses = 40;
    private const int PerAddress = 50;
    private const int Wait = 15;

    [Fact]
    public async Task TwoThousandHeldLongPolls_HoldNoThreadEach_AreAnsweredAtTheirWait_AndABystanderChats()
    {
        await using var prosody = await PrivateProsody.StartAsync("prosody-d2", "bystander");
        var server = prosody.Server;
        await using var node = await GatewayNode.StartAsync("d2-held", server.C2sPort, null,
            "Gateway:Backends:Pool:Size=0", "Gateway:Bosh:PreAuthTimeout=00:02:00", "Gateway:Telemetry:PrometheusEnabled=true");
        await using var nginx = await NginxFrontend.StartAsync("nginx-d2", node.Port);
        nginx.RequireRunning();
        var threadsBefore = node.Threads;

        // Every address creates its sessions one after the other and leaves one long-poll held in each.
        var clock = Stopwatch.StartNew();
        var holding = Enumerable.Range(0, Addresses).Select(a => Task.Run(async () =>
        {
            var http = new HttpClient(nginx.TrustingHandler(IPAddress.Parse($"127.0.5.{(a + 1).ToString(CultureInfo.InvariantCulture)}")))
            {
                Timeout = TimeSpan.FromSeconds(120),
            };
            var polls = new List<Task<(string Answer, TimeSpan Held)>>();
            for (var n = 0; n < PerAddress; n++)
            {
                var sid = await CreationStorm.CreateOneAsync(http, nginx.BoshUrl, server.Domain, Wait);
                polls.Add(HoldAsync(http, nginx.BoshUrl, sid));
            }
            return (Http: http, Polls: polls);
        })).ToArray();

        // While the polls are sent and held: the most held at once, and the most threads the process had.
        var (mostHeld, mostThreads) = (0.0, threadsBefore);
        using var stop = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                mostHeld = Math.Max(mostHeld, await node.MetricAsync("boshgateway_bosh_held_requests"));
                mostThreads = Math.Max(mostThreads, node.Threads);
                await Task.Delay(250);
            }
        });
        var held = await Task.WhenAll(holding);
        var allSentAfter = clock.Elapsed;
        await using (var bystander = new BoshTestClient(nginx.BoshUrl, server.Domain, nginx.TrustingHandler(IPAddress.Parse("127.0.6.1"))))
        {
            await bystander.LoginAsync("bystander");
            await bystander.SendMessageAsync($"bystander@{server.Domain}/test", "beside 2,000 held polls", id: "held");
            await bystander.WaitForAsync(e => (string?)e.Attribute("id") == "held");
        }
        var answers = await Task.WhenAll(held.SelectMany(h => h.Polls));
        await stop.CancelAsync();
        await sampling;
        foreach (var (http, _) in held)
        {
            http.Dispose();
        }
        var errorLog = await File.ReadAllTextAsync(Path.Combine(nginx.Directory, "error.log"));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{answers.Length} polls sent in {allSentAfter.TotalSeconds:0.0} s, at most {mostHeld} held at once; each held {answers.Min(a => a.Held).TotalSeconds:0.00}–{answers.Max(a => a.Held).TotalSeconds:0.00} s (wait {Wait} s); " +
            $"gateway threads {threadsBefore} before, at most {mostThreads} while holding"));

        Assert.Equal(Addresses * PerAddress, answers.Length);
        // Answered with an empty body: no terminate, no payload.
        Assert.All(answers, a =>
        {
            var body = XElement.Parse(a.Answer);
            Assert.Null(body.Attribute("type"));
            Assert.Empty(body.Nodes());
        });
        // Sent within the first few seconds of each other, they were all held at the same time.
        Assert.Equal(Addresses * PerAddress, mostHeld);
        // Each answered when its wait ran out: not before (it was held), and within the sweep's slack after.
        Assert.All(answers, a => Assert.InRange(a.Held, TimeSpan.FromSeconds(Wait - 1), TimeSpan.FromSeconds(Wait + 5)));
        // A thread per held request would be 2,000 more; the thread pool may add a few under the creation burst.
        Assert.True(mostThreads < threadsBefore + 50, $"threads grew from {threadsBefore} to {mostThreads} while holding");
        Assert.DoesNotContain("worker_connections", errorLog, StringComparison.Ordinal);
        Assert.StartsWith("ok", await node.HealthAsync(), StringComparison.Ordinal);
    }

    /// <summary>Posts the session's first empty poll (rid 101) and returns the answer and how long it was held.</summary>
    private static async Task<(string Answer, TimeSpan Held)> HoldAsync(HttpClient http, Uri boshUrl, string sid)
    {
        var clock = Stopwatch.StartNew();
        var answer = await BoshHttp.PostAsync(boshUrl, CreationStorm.FirstPoll(sid), http);
        return (answer, clock.Elapsed);
    }
}
