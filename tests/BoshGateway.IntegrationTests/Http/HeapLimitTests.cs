using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// robustness.md D10: a gateway process whose GC heap is capped at 256 MiB (<c>DOTNET_GCHeapHardLimit</c>) takes
/// the floods at once: 2,000 held BOSH long-polls (D2) from 40 addresses, 10,000 session creations from another
/// (D1) and 48 clients streaming huge bodies and messages (A7). There is no memory-based shedding: the
/// per-address and per-connection limits keep the process inside the cap, every client gets its own answer, a
/// user at yet another address logs in and chats, and the process is healthy after.
/// </summary>
[Collection(FloodCollection.Name)]
public class HeapLimitTests
{
    private const int HeldAddresses = 40;
    private const int HeldPerAddress = 50;

    [Fact]
    public async Task CappedHeap_UnderHeldLongPollsACreationStormAndHugeInputsAtOnce_AnswersEveryoneAndStaysUp()
    {
        await using var prosody = await PrivateProsody.StartAsync("prosody-d10", "bystander");
        var server = prosody.Server;
        await using var node = await GatewayNode.StartAsync("d10-heap", server.C2sPort, null,
            new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x10000000" },
            "Gateway:Backends:Pool:Size=0", "Gateway:Bosh:PreAuthTimeout=00:02:00");
        var mostRss = node.ResidentBytes;
        using var stop = new CancellationTokenSource();
        var sampling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                mostRss = Math.Max(mostRss, node.ResidentBytes);
                await Task.Delay(100);
            }
        });

        // D2: 2,000 sessions, each with a long-poll held for its 10 s wait.
        var clock = Stopwatch.StartNew();
        var held = await Task.WhenAll(Enumerable.Range(0, HeldAddresses).Select(a => Task.Run(async () =>
        {
            var http = new HttpClient(LoopbackHttp.Handler(IPAddress.Parse($"127.0.2.{(a + 1).ToString(CultureInfo.InvariantCulture)}"))) { Timeout = TimeSpan.FromSeconds(60) };
            var polls = new List<Task<string>>();
            for (var n = 0; n < HeldPerAddress; n++)
            {
                var sid = await CreationStorm.CreateOneAsync(http, node.BoshUrl, server.Domain, wait: 10);
                polls.Add(BoshHttp.PostAsync(node.BoshUrl, CreationStorm.FirstPoll(sid), http));
            }
            return (Http: http, Polls: polls);
        })));
        var heldAfter = clock.Elapsed;

        // D1 and A7 on top, from their own addresses, while the polls are held.
        var storm = new ConcurrentDictionary<string, int>();
        var storming = CreationStorm.RunAsync(node.BoshUrl, server.Domain, 10_000, 20, storm, IPAddress.Parse("127.0.3.1"));
        var huge = Enumerable.Range(0, 24).Select(_ => HugeInputs.StreamBoshBodyAsync(node.BaseUrl))
            .Concat(Enumerable.Range(0, 24).Select(_ => HugeInputs.StreamWebSocketMessageAsync(node.BaseUrl))).ToArray();
        await using (var bystander = new BoshTestClient(node.BoshUrl, server.Domain, LoopbackHttp.Handler(IPAddress.Parse("127.0.4.1"))))
        {
            await bystander.LoginAsync("bystander");
            await bystander.SendMessageAsync($"bystander@{server.Domain}/test", "under the cap", id: "capped");
            await bystander.WaitForAsync(e => (string?)e.Attribute("id") == "capped");
        }
        await storming;
        var pushed = (await Task.WhenAll(huge)).Sum();

        // Every held poll is answered when its wait runs out: an empty body, not an error.
        var answers = await Task.WhenAll(held.SelectMany(h => h.Polls));
        foreach (var (http, _) in held)
        {
            http.Dispose();
        }
        await stop.CancelAsync();
        await sampling;
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{answers.Length} long-polls held (all in {heldAfter.TotalSeconds:0.0} s); storm: {string.Join(", ", storm.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}; " +
            $"{pushed / 1048576} MiB of huge inputs refused; gateway RSS at most {mostRss / 1048576} MiB with a 256 MiB heap cap"));

        Assert.Equal(HeldAddresses * HeldPerAddress, answers.Length);
        Assert.All(answers, a => Assert.DoesNotContain("type='terminate'", a, StringComparison.Ordinal));
        Assert.Equal(10_000, storm.Values.Sum());
        Assert.Empty(storm.Keys.Except(["created", "429", "429+Retry-After"]));
        Assert.StartsWith("ok", await node.HealthAsync(), StringComparison.Ordinal);
        Assert.DoesNotContain("OutOfMemory", node.Log, StringComparison.Ordinal);
    }
}
