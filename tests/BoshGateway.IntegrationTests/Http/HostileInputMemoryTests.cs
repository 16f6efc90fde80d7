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
    private static readonly byte[] Text = Encoding.ASCII.GetBytes(new string('x', 16 * 1024));

    [Fact]
    public async Task ManyClientsStreamingHugeBodiesAndMessages_AreRefusedAtTheLimits_AndTheGatewaysMemoryStaysFlat()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var node = await GatewayNode.StartStandaloneAsync("a7-memory", server.C2sPort);
        // Once each way first, so that what is measured below is not the first use of the code paths.
        await StreamBoshBodyAsync(node.BaseUrl);
        await StreamWebSocketMessageAsync(node.BaseUrl);
        var before = node.ResidentBytes;

        var bosh = Enumerable.Range(0, Clients).Select(_ => StreamBoshBodyAsync(node.BaseUrl)).ToArray();
        var ws = Enumerable.Range(0, Clients).Select(_ => StreamWebSocketMessageAsync(node.BaseUrl)).ToArray();
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

    /// <summary>
    /// A chunked BOSH body that never ends, 16 KiB at a time until the gateway answers (policy-violation) or
    /// 64 MiB went; returns the bytes sent.
    /// </summary>
    private static async Task<long> StreamBoshBodyAsync(Uri baseUrl)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUrl.Host, baseUrl.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /http-bind HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"));
        await stream.WriteAsync(Chunk(Encoding.ASCII.GetBytes("<body rid='1' to='localhost' wait='60' hold='1' xmlns='http://jabber.org/protocol/httpbind'><message><body>")));
        var answer = ReadToEndAsync(stream);
        long sent = 0;
        var chunk = Chunk(Text);
        try
        {
            while (!answer.IsCompleted && sent < 64L * 1024 * 1024)
            {
                await stream.WriteAsync(chunk);
                sent += Text.Length;
            }
        }
        catch (IOException)
        {
            // The gateway closed the connection after its answer.
        }
        Assert.Contains("condition='policy-violation'", await answer.WaitAsync(TimeSpan.FromSeconds(30)), StringComparison.Ordinal);
        return sent;

        static byte[] Chunk(byte[] data) => [.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8];
    }

    /// <summary>One text frame declaring 2^60 bytes, sent 16 KiB at a time until the gateway closes (1009); returns the bytes sent.</summary>
    private static async Task<long> StreamWebSocketMessageAsync(Uri baseUrl)
    {
        using var tcp = (await RawWebSocket.UpgradeAsync(baseUrl)).Tcp;
        var stream = tcp.GetStream();
        var closed = RawWebSocket.ReadUntilCloseFrameAsync(stream);
        await stream.WriteAsync(new byte[] { 0x81, 0xFF, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
        long sent = 0;
        try
        {
            while (!closed.IsCompleted && sent < 64L * 1024 * 1024)
            {
                await stream.WriteAsync(Text);
                sent += Text.Length;
            }
        }
        catch (IOException)
        {
        }
        var (_, code) = await closed.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(1009, code);
        return sent;
    }

    /// <summary>Everything the gateway sends until it closes the connection or ends a body.</summary>
    private static async Task<string> ReadToEndAsync(NetworkStream stream)
    {
        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            int read;
            while (!received.ToString().Contains("/>", StringComparison.Ordinal) && (read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
            {
                received.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }
        }
        catch (IOException)
        {
        }
        return received.ToString();
    }
}
