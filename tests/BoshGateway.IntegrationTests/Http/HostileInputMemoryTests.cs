using System.Globalization;
using System.Net.Sockets;
using System.Text;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// The gateway's own memory (RSS of a gateway process) while clients send what no limit lets through
/// (robustness.md A7: huge bodies and messages, streamed): it grows by what the per-connection limits allow,
/// not by what the clients push.
/// </summary>
[Collection(FloodCollection.Name)]
public class HostileInputMemoryTests(XmppServers servers)
{
    private const int Clients = 24;

    [Fact]
    public async Task ManyClientsStreamingHugeBodiesAndMessages_AreRefusedAtTheLimits_AndTheGatewaysMemoryStaysFlat()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var node = await GatewayNode.StartStandaloneAsync("a7-memory", server.C2sPort);
        // Once each way first, so that what is measured below is not the first use of the code paths.
        await HugeInputs.StreamBoshBodyAsync(node.BaseUrl);
        await HugeInputs.StreamWebSocketMessageAsync(node.BaseUrl);
        var before = node.ResidentBytes;

        var bosh = Enumerable.Range(0, Clients).Select(_ => HugeInputs.StreamBoshBodyAsync(node.BaseUrl)).ToArray();
        var ws = Enumerable.Range(0, Clients).Select(_ => HugeInputs.StreamWebSocketMessageAsync(node.BaseUrl)).ToArray();
        var sent = await Task.WhenAll(bosh.Concat(ws));
        var after = node.ResidentBytes;
        var pushed = sent.Sum();
        TestContext.Current.TestOutputHelper?.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{2 * Clients} clients pushed {pushed / 1024} KiB; gateway RSS {before / 1024} KiB -> {after / 1024} KiB (+{(after - before) / 1024} KiB)"));

        // Each was refused once past its limit (512 KiB a BOSH body, 260 KiB a WebSocket message). What a
        // connection can make the process hold is that limit plus what Kestrel reads ahead into the connection's
        // pipe (MaxRequestBufferSize, 1 MiB): 48 × 1.5 MiB = 72 MiB at most, plus the runtime's slack, whatever
        // the clients push (here more than twice the bound; unpaced, each learns of its refusal only after the
        // socket buffers on both sides filled).
        const long bound = 2 * Clients * (1024 + 512) * 1024L + 32 * 1024 * 1024;
        Assert.True(pushed > 2 * bound, $"the clients pushed only {pushed / 1024} KiB: too little to tell");
        Assert.True(after - before < bound, $"gateway RSS grew by {(after - before) / 1024} KiB while clients pushed {pushed / 1024} KiB");
        // About 6 MiB each on loopback, not the 64 MiB each would have sent.
        Assert.All(sent, bytes => Assert.True(bytes < 16L * 1024 * 1024, $"{bytes} bytes sent before the refusal"));
        Assert.StartsWith("ok", await node.HealthAsync(), StringComparison.Ordinal);
    }
}
