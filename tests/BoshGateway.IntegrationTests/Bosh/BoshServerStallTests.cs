using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>
/// Backpressure toward the server over BOSH (robustness.md E7; the WebSocket side is
/// <c>WebSockets.ServerStallTests</c>): a client posting payload as fast as it is answered, in front of a
/// server that stopped reading (SIGSTOP of a private Prosody), is no longer answered once
/// <c>Gateway:Backends:MaxQueuedBytes</c> is queued: its next request waits in rid order instead of being
/// buffered, so the gateway's memory stays bounded; other sessions are served meanwhile; past
/// <c>Gateway:Backends:QueueFullTimeout</c> the waiting request gets <c>policy-violation</c>.
/// </summary>
public class BoshServerStallTests(XmppServers servers)
{
    // Eight 16 KiB messages a request: 128 KiB, inside Bosh:MaxBodyBytes (512 KiB) and the stanza limit.
    private const int StanzaBytes = 16 * 1024;
    private const int StanzasPerRequest = 8;
    private const long FloodLimit = 256L * 1024 * 1024;

    [Fact]
    public async Task PostingClient_InFrontOfAStoppedServer_WaitsInsteadOfBeingBuffered_ThenGetsPolicyViolation()
    {
        servers.Prosody.RequireRunning();
        var stalled = await XmppServers.StartPrivateProsodyAsync("prosody-bosh-stall", "user01", "user02");
        stalled.RequireRunning();
        var stopped = false;
        try
        {
            await using var node = await GatewayNode.StartStandaloneAsync("bosh-stall", stalled.C2sPort,
                "Gateway:Backends:MaxQueuedBytes=65536",
                "Gateway:Backends:QueueFullTimeout=00:00:10",
                $"Gateway:Backends:AllowedRoutes:0=127.0.0.1:{servers.Prosody.C2sPort.ToString(CultureInfo.InvariantCulture)}");
            await using var poster = new BoshTestClient(node.BoshUrl, stalled.Domain);
            await poster.LoginAsync("user01", wait: 2);
            await poster.StopPollingAsync();

            await stalled.SignalAsync("STOP");
            stopped = true;
            var before = node.ResidentBytes;
            var stanza = $"<message xmlns='jabber:client' to='user02@{stalled.Domain}' type='chat'><body>{new string('x', StanzaBytes)}</body></message>";
            var payload = string.Concat(Enumerable.Repeat(stanza, StanzasPerRequest));
            var payloadBytes = Encoding.UTF8.GetByteCount(payload);

            // As a client does: the next request goes out once the one before it is answered (hold=1: a new
            // request answers the held one at once). A request the gateway cannot forward is not answered.
            long pushed = 0;
            Task<XElement>? waiting = null;
            var clock = Stopwatch.StartNew();
            while (pushed < FloodLimit)
            {
                var request = poster.PostAsync(poster.NextRid(), "", payload);
                pushed += payloadBytes;
                if (waiting is not null)
                {
                    if (await Task.WhenAny(waiting, Task.Delay(TimeSpan.FromSeconds(5))) != waiting)
                    {
                        break;
                    }
                    var answer = await waiting;
                    Assert.True(answer.Attribute("type") is null, "answered with a terminate while flooding: " + answer);
                }
                waiting = request;
            }
            var after = node.ResidentBytes;
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"client pushed {pushed / 1024} KiB in {clock.Elapsed.TotalSeconds:0} s before a request went unanswered; gateway RSS {before / 1024} KiB -> {after / 1024} KiB (+{(after - before) / 1024} KiB)");
            // Without backpressure every request is answered and the flood reaches its limit in seconds.
            Assert.True(pushed < 32L * 1024 * 1024, $"the client pushed {pushed / 1024} KiB: the gateway kept taking payload");
            Assert.True(after - before < 48L * 1024 * 1024, $"gateway RSS grew by {(after - before) / 1024} KiB");

            // Another session on the same node, toward a server that is up, is answered on time meanwhile.
            await using var bystander = new BoshTestClient(node.BoshUrl, servers.Prosody.Domain);
            Assert.NotNull((await bystander.CreateAsync(wait: 1, extra: $"route='xmpp:127.0.0.1:{servers.Prosody.C2sPort.ToString(CultureInfo.InvariantCulture)}'")).Attribute("sid"));
            for (var i = 0; i < 3; i++)
            {
                var started = Stopwatch.StartNew();
                Assert.Null((await bystander.SendAsync("")).Attribute("type"));
                Assert.True(started.Elapsed < TimeSpan.FromSeconds(3), $"a 1 s wait took {started.Elapsed}");
            }

            // Past QueueFullTimeout the poster is told, and only it.
            var waited = Stopwatch.StartNew();
            var terminate = await waiting!.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal("terminate", (string?)terminate.Attribute("type"));
            Assert.Equal("policy-violation", (string?)terminate.Attribute("condition"));
            Assert.Null((await bystander.SendAsync("")).Attribute("type"));
            TestContext.Current.TestOutputHelper?.WriteLine($"policy-violation {waited.Elapsed.TotalSeconds:0.0} s after the flood stopped");
        }
        finally
        {
            if (stopped)
            {
                await stalled.SignalAsync("CONT");
            }
            await XmppServers.StopPrivateAsync(stalled);
        }
    }
}
