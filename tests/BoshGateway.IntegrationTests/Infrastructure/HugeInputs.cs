using System.Net.Sockets;
using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>Inputs no limit lets through (robustness.md A7), streamed until the gateway refuses them.</summary>
internal static class HugeInputs
{
    private static readonly byte[] Text = Encoding.ASCII.GetBytes(new string('x', 16 * 1024));

    /// <summary>A masked text frame header (FIN, opcode 1, mask key 0) whose 64-bit length says 2^60 bytes.</summary>
    public static ReadOnlyMemory<byte> FrameDeclaring2Pow60Bytes { get; } = new byte[] { 0x81, 0xFF, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

    /// <summary>One chunk of an HTTP/1.1 chunked body.</summary>
    public static byte[] Chunk(byte[] data) => [.. Encoding.ASCII.GetBytes($"{data.Length:x}\r\n"), .. data, .. "\r\n"u8];

    /// <summary>
    /// A chunked BOSH body that never ends, 16 KiB at a time until the gateway answers (policy-violation) or
    /// 64 MiB went; returns the bytes sent.
    /// </summary>
    public static async Task<long> StreamBoshBodyAsync(Uri baseUrl)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(baseUrl.Host, baseUrl.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /http-bind HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nContent-Type: text/xml\r\nTransfer-Encoding: chunked\r\n\r\n"));
        await stream.WriteAsync(Chunk(Encoding.ASCII.GetBytes("<body rid='1' to='localhost' wait='60' hold='1' xmlns='http://jabber.org/protocol/httpbind'><message><body>")));
        var answer = ReadAnswerAsync(stream, TimeSpan.FromSeconds(60));
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
    }

    /// <summary>One text frame declaring 2^60 bytes, sent 16 KiB at a time until the gateway closes (1009); returns the bytes sent.</summary>
    public static async Task<long> StreamWebSocketMessageAsync(Uri baseUrl)
    {
        using var tcp = (await RawWebSocket.UpgradeAsync(baseUrl)).Tcp;
        var stream = tcp.GetStream();
        var closed = RawWebSocket.ReadUntilCloseFrameAsync(stream);
        await stream.WriteAsync(FrameDeclaring2Pow60Bytes);
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

    /// <summary>
    /// Reads an HTTP answer's head and as much of its body as arrives with it, until the connection closes or a
    /// body ends; the status must be 200 (inside BOSH every refusal is a terminate body).
    /// </summary>
    public static async Task<string> ReadAnswerAsync(NetworkStream stream, TimeSpan within)
    {
        var received = new StringBuilder();
        var buffer = new byte[8192];
        using var timeout = new CancellationTokenSource(within);
        while (!received.ToString().Contains("</body>", StringComparison.Ordinal) && !received.ToString().EndsWith("/>", StringComparison.Ordinal))
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                break;
            }
            if (read == 0)
            {
                break;
            }
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        Assert.StartsWith("HTTP/1.1 200 ", received.ToString(), StringComparison.Ordinal);
        return received.ToString();
    }
}
