using System.Net.Sockets;
using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>Inputs no limit lets through (robustness.md A7), streamed until the gateway refuses them.</summary>
internal static class HugeInputs
{
    private static readonly byte[] Text = Encoding.ASCII.GetBytes(new string('x', 16 * 1024));

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
    public static async Task<long> StreamWebSocketMessageAsync(Uri baseUrl)
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
