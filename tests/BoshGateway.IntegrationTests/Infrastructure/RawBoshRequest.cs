using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// One BOSH POST written by hand on its own loopback TCP connection (<c>Connection: close</c>), so a test
/// can drop it the hard way (<see cref="Reset"/>: linger 0, then close, which sends a TCP RST) at a moment
/// it picks, as a browser tab that goes away does. No HttpClient in between: nothing retries or pools.
/// </summary>
internal sealed class RawBoshRequest : IDisposable
{
    private readonly Socket _socket;
    private int _closed;

    private RawBoshRequest(Socket socket) => _socket = socket;

    /// <summary>Connects to the gateway behind <paramref name="url"/> and writes the whole request.</summary>
    public static async Task<RawBoshRequest> SendAsync(Uri url, string xml, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, url.Port), cancellationToken);
            var body = Encoding.UTF8.GetBytes(xml);
            var head = string.Create(CultureInfo.InvariantCulture,
                $"POST {url.AbsolutePath} HTTP/1.1\r\nHost: 127.0.0.1:{url.Port}\r\nContent-Type: text/xml; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
            var request = new byte[Encoding.ASCII.GetByteCount(head) + body.Length];
            var written = Encoding.ASCII.GetBytes(head, request);
            body.CopyTo(request, written);
            var sent = 0;
            while (sent < request.Length)
            {
                sent += await socket.SendAsync(request.AsMemory(sent), SocketFlags.None, cancellationToken);
            }
            return new RawBoshRequest(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Reads the whole HTTP answer (Content-Length framed, as the gateway sends); returns status and body text.</summary>
    public async Task<(int Status, string Body)> ReadAnswerAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[4096];
        var length = 0;
        var headerEnd = -1;
        var contentLength = -1;
        var status = 0;
        while (true)
        {
            if (headerEnd < 0)
            {
                headerEnd = buffer.AsSpan(0, length).IndexOf("\r\n\r\n"u8);
                if (headerEnd >= 0)
                {
                    var head = Encoding.ASCII.GetString(buffer, 0, headerEnd);
                    var lines = head.Split("\r\n");
                    status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture);
                    var header = lines.FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
                    contentLength = header is null ? 0 : int.Parse(header["Content-Length:".Length..].Trim(), CultureInfo.InvariantCulture);
                    headerEnd += 4;
                }
            }
            if (headerEnd >= 0 && length - headerEnd >= contentLength)
            {
                return (status, Encoding.UTF8.GetString(buffer, headerEnd, contentLength));
            }
            if (length == buffer.Length)
            {
                Array.Resize(ref buffer, buffer.Length * 2);
            }
            var read = await _socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, cancellationToken);
            if (read == 0)
            {
                throw new IOException($"connection closed after {length} bytes of the answer");
            }
            length += read;
        }
    }

    /// <summary>Drops the connection with a TCP RST (linger on, timeout 0), as a client that went away.</summary>
    public void Reset()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }
        try
        {
            _socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already reset by the peer: closing is all that is left.
        }
        _socket.Close();
    }

    public void Dispose()
    {
        Interlocked.Exchange(ref _closed, 1);
        _socket.Dispose();
    }
}
