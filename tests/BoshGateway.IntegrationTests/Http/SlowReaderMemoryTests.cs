using System.Globalization;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// robustness.md C7 by the gateway process's memory rather than its own counters: clients that stop reading while
/// the server sends each of them 10 MiB. WebSocket clients are cut off at <c>WebSocket:MaxQueuedBytes</c>; for BOSH
/// clients that stop polling the gateway holds at most <c>Bosh:MaxQueuedBytes</c> each and leaves the rest with
/// the server. Measured as the live managed heap after a full collection, without the free space between objects
/// (RSS, and the runtime's heap size, also count the garbage of the relayed megabytes and the holes it leaves, which
/// vary from run to run; reported, not asserted).
/// </summary>
[Collection(FloodCollection.Name)]
public class SlowReaderMemoryTests
{
    private const int BoshReaders = 4;
    private const int WebSocketReaders = 2;
    private const int MessageBytes = 16 * 1024;
    private const int PerReader = 640; // 10 MiB each

    [Fact]
    public async Task ClientsThatStopReading_WhileTheServerSendsEach10MiB_HoldTheGatewayToItsQueueCaps()
    {
        var boshUsers = Enumerable.Range(1, BoshReaders).Select(i => "bosh" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        var wsUsers = Enumerable.Range(1, WebSocketReaders).Select(i => "ws" + i.ToString(CultureInfo.InvariantCulture)).ToArray();
        await using var prosody = await PrivateProsody.StartAsync("prosody-c7", [.. boshUsers, .. wsUsers, "sender"]);
        var server = prosody.Server;
        await using var node = await GatewayNode.StartStandaloneAsync("c7-slow-readers", server.C2sPort, "Gateway:Telemetry:PrometheusEnabled=true");

        var bosh = new List<BoshTestClient>();
        var ws = new List<WebSocketTestClient>();
        await using var sender = new WebSocketTestClient();
        try
        {
            foreach (var user in boshUsers)
            {
                var client = new BoshTestClient(node.BoshUrl, server.Domain);
                bosh.Add(client);
                await client.LoginAsync(user, wait: 2);
            }
            foreach (var user in wsUsers)
            {
                var client = new WebSocketTestClient();
                ws.Add(client);
                await client.LoginAsync(node.WebSocketUrl, server.Domain, user);
            }
            await sender.LoginAsync(node.WebSocketUrl, server.Domain, "sender");
            // The readers stop: BOSH ones poll no more, WebSocket ones never read again.
            foreach (var client in bosh)
            {
                await client.StopPollingAsync();
            }
            var (heapBefore, freeBefore) = await node.LiveHeapBytesAsync();
            var rssBefore = node.ResidentBytes;

            // 10 MiB toward each reader, interleaved. Headlines: once a WebSocket reader is cut off, what is still
            // addressed to it is dropped by the server rather than stored offline.
            var filler = new string('x', MessageBytes);
            var readers = bosh.Select(c => c.Jid!).Concat(ws.Select(c => c.Jid!)).ToArray();
            for (var n = 0; n < PerReader; n++)
            {
                foreach (var jid in readers)
                {
                    await sender.SendAsync($"<message xmlns='jabber:client' to='{jid}' type='headline'><body>{filler}</body></message>");
                }
            }
            // The server answers this after routing everything above; then the gateway gets time to read all it
            // would (before issue #14's fix: everything, into the BOSH readers' outboxes).
            await sender.SendAsync($"<iq xmlns='jabber:client' type='get' id='routed' to='{server.Domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
            await sender.WaitForAsync(e => (string?)e.Attribute("id") == "routed", TimeSpan.FromSeconds(60));
            await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

            var (heapAfter, freeAfter) = await node.LiveHeapBytesAsync();
            var rssAfter = node.ResidentBytes;
            var offered = (long)readers.Length * PerReader * MessageBytes;
            TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{offered / 1048576} MiB sent toward {readers.Length} readers that stopped; gateway live heap after a full GC {heapBefore / 1024} -> {heapAfter / 1024} KiB " +
                $"(+{(heapAfter - heapBefore) / 1024} KiB), free space between objects {freeBefore / 1024} -> {freeAfter / 1024} KiB; " +
                $"RSS {rssBefore / 1024} -> {rssAfter / 1024} KiB (+{(rssAfter - rssBefore) / 1024} KiB)"));

            // The WebSocket readers were cut off at their queue cap, the BOSH readers' sessions go on.
            Assert.Equal(WebSocketReaders, node.Log.Split('\n').Count(line => line.Contains("client not reading; send queue full", StringComparison.Ordinal)));
            Assert.Equal(BoshReaders, await node.HealthFigureAsync("bosh"));
            // What the gateway holds for them: each BOSH reader's cap (1 MiB of queued answers), and up to half as much
            // again in flight (the backend pipe, the element being read and its capture buffer, the one element that
            // crossed the cap), plus 2 MiB for the runtime: 8 MiB, not the 40 MiB sent toward them. Holding each queued
            // stanza twice (its bytes for the client and the parsed stanza kept for XEP-0206 bounces, as before
            // 2026-12-01) measured +9.8 MiB here.
            var cap = new BoshGateway.Configuration.BoshOptions().MaxQueuedBytes;
            var bound = BoshReaders * (cap + cap / 2L) + 2 * 1024 * 1024;
            Assert.True((long)BoshReaders * PerReader * MessageBytes > 4 * bound, "too little sent to tell");
            Assert.True(heapAfter - heapBefore < bound, $"the live heap grew by {(heapAfter - heapBefore) / 1024} KiB (bound {bound / 1024} KiB)");
            Assert.StartsWith("ok", await node.HealthAsync(), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var client in bosh)
            {
                await client.DisposeAsync();
            }
            foreach (var client in ws)
            {
                await client.DisposeAsync();
            }
        }
    }
}
