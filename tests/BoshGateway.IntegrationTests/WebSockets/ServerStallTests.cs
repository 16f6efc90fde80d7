using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Text;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.WebSockets;

/// <summary>
/// Backpressure toward the server: a client flooding a server that stopped reading (SIGSTOP of a private
/// Prosody) is itself no longer read by the gateway once <c>Gateway:Backends:MaxQueuedBytes</c> is queued,
/// so the gateway's memory stays bounded; other sessions are served meanwhile; past
/// <c>Gateway:Backends:QueueFullTimeout</c> the flooder gets <c>policy-violation</c>.
/// </summary>
public class ServerStallTests(XmppServers servers)
{
    private const int FrameBytes = 16 * 1024;
    private const long FloodLimit = 512L * 1024 * 1024;

    [Fact]
    public async Task FloodingClient_InFrontOfAStoppedServer_GatewayMemoryStaysBounded()
    {
        servers.Prosody.RequireRunning();
        var stalled = await XmppServers.StartPrivateProsodyAsync("prosody-stall", "user01", "user02");
        stalled.RequireRunning();
        var stopped = false;
        try
        {
            await using var node = await GatewayNode.StartStandaloneAsync("stall", stalled.C2sPort,
                "Gateway:Backends:MaxQueuedBytes=65536",
                "Gateway:Backends:QueueFullTimeout=00:00:10",
                $"Gateway:Backends:AllowedRoutes:0=127.0.0.1:{servers.Prosody.C2sPort.ToString(CultureInfo.InvariantCulture)}");
            var wsUrl = new Uri($"ws://127.0.0.1:{node.Port.ToString(CultureInfo.InvariantCulture)}/xmpp-websocket");
            await using var flooder = new WebSocketTestClient();
            await flooder.LoginAsync(wsUrl, stalled.Domain, "user01");

            await stalled.SignalAsync("STOP");
            stopped = true;
            var before = node.ResidentBytes;
            var frame = Encoding.UTF8.GetBytes($"<message xmlns='jabber:client' to='user02@{stalled.Domain}' type='chat'><body>{new string('x', FrameBytes)}</body></message>");
            long sent = 0;
            var stop = false;
            var flooding = Task.Run(async () =>
            {
                try
                {
                    while (!Volatile.Read(ref stop) && Interlocked.Read(ref sent) < FloodLimit)
                    {
                        await flooder.Socket.SendAsync(frame, WebSocketMessageType.Text, true, CancellationToken.None);
                        Interlocked.Add(ref sent, frame.Length);
                    }
                }
                catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException)
                {
                }
            });

            // Another session on the same node, toward a server that is up, is answered on time meanwhile.
            await using var bystander = new BoshTestClient(node.BoshUrl, servers.Prosody.Domain);
            var created = await bystander.CreateAsync(wait: 1, extra: $"route='xmpp:127.0.0.1:{servers.Prosody.C2sPort.ToString(CultureInfo.InvariantCulture)}'");
            Assert.NotNull(created.Attribute("sid"));
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < 4; i++)
            {
                var started = clock.Elapsed;
                var answer = await bystander.SendAsync("");
                Assert.Null(answer.Attribute("type"));
                Assert.True(clock.Elapsed - started < TimeSpan.FromSeconds(3), $"a 1 s wait took {clock.Elapsed - started}");
            }
            await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);
            var after = node.ResidentBytes;
            var pushed = Interlocked.Read(ref sent);
            Volatile.Write(ref stop, true);
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"client pushed {pushed / 1024} KiB in about {clock.Elapsed.TotalSeconds:0} s; gateway RSS {before / 1024} KiB -> {after / 1024} KiB (+{(after - before) / 1024} KiB)");

            // Without backpressure the client pushes hundreds of MiB into the gateway's queue in seconds.
            Assert.True(pushed < 32L * 1024 * 1024, $"the client pushed {pushed / 1024} KiB: the gateway kept reading from it");
            Assert.True(after - before < 48L * 1024 * 1024, $"gateway RSS grew by {(after - before) / 1024} KiB");

            // Past the deadline the flooder is told, and only it.
            var error = await flooder.WaitForAsync(e => e.Name.LocalName == "error", TimeSpan.FromSeconds(20));
            Assert.Contains("policy-violation", error.ToString(), StringComparison.Ordinal);
            await flooding.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.Null((await bystander.SendAsync("")).Attribute("type"));
            await PollAsync(() => node.Log.Contains("websocket session", StringComparison.OrdinalIgnoreCase) && node.Log.Contains("ended: Error", StringComparison.Ordinal));
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

    private static async Task PollAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(condition());
    }
}
