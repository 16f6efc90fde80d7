using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>A WebSocket spoken byte by byte, for frames no client library would write (and to read what the gateway answers to them).</summary>
public static class RawWebSocket
{
    /// <summary>
    /// An RFC 6455 client handshake by hand (with <paramref name="extraHeaders"/>, each ending in CRLF), for frames and
    /// headers no WebSocket library will write; returns the upgraded connection and the 101's head.
    /// </summary>
    public static async Task<(System.Net.Sockets.TcpClient Tcp, string Head)> UpgradeAsync(Uri baseUrl, string extraHeaders = "")
    {
        var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(baseUrl.Host, baseUrl.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /xmpp-websocket HTTP/1.1\r\nHost: {baseUrl.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: xmpp\r\n{extraHeaders}\r\n"));
        var head = await ReadHeadAsync(stream);
        Assert.StartsWith("HTTP/1.1 101 ", head, StringComparison.Ordinal);
        return (tcp, head);
    }

    /// <summary>Reads a response's status line and headers, byte by byte so nothing after them is consumed.</summary>
    public static async Task<string> ReadHeadAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var head = new StringBuilder();
        var one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            if (await stream.ReadAsync(one, timeout.Token) == 0)
            {
                break;
            }
            head.Append((char)one[0]);
        }
        return head.ToString();
    }

    /// <summary>Reads the server's (unmasked) frames until its close frame: the text messages, and the close code.</summary>
    public static async Task<(List<string> Messages, int Code)> ReadUntilCloseFrameAsync(Stream stream, Action<string>? onMessage = null)
    {
        List<string> messages = [];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var header = new byte[2];
            await stream.ReadExactlyAsync(header, timeout.Token);
            long length = header[1] & 0x7F;
            if (length >= 126)
            {
                var extended = new byte[length == 126 ? 2 : 8];
                await stream.ReadExactlyAsync(extended, timeout.Token);
                length = 0;
                foreach (var b in extended)
                {
                    length = (length << 8) | b;
                }
            }
            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, timeout.Token);
            switch (header[0] & 0x0F)
            {
                case 0x1:
                    messages.Add(Encoding.UTF8.GetString(payload));
                    onMessage?.Invoke(messages[^1]);
                    break;
                case 0x8:
                    return (messages, payload.Length >= 2 ? (payload[0] << 8) | payload[1] : 1005);
            }
        }
    }
}
