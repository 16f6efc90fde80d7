using System.Net;
using System.Net.Sockets;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>HTTP clients whose connections come from a chosen loopback address (any of 127/8 works on Linux).</summary>
internal static class LoopbackHttp
{
    /// <summary>The address the shipped nginx site connects from, and the test gateways' one trusted proxy.</summary>
    public static readonly IPAddress Proxy = IPAddress.Parse("127.0.0.2");

    public static HttpClient From(IPAddress source, Uri? baseAddress = null) => new(Handler(source)) { BaseAddress = baseAddress };

    /// <summary>A handler whose connections come from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler Handler(IPAddress source) => new()
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };
}
