using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;

namespace BoshGateway.IntegrationTests.Infrastructure;

internal static class FreePort
{
    // Below Linux's ephemeral range (32768-60999): a port handed to a test server can then not be
    // taken in the meantime by a gateway bound to port 0 or by an outgoing connection, which once
    // made a server's readiness check succeed against the wrong process.
    private const int First = 20000;
    private const int Last = 32000;
    private static readonly ConcurrentDictionary<int, byte> HandedOut = new();

    /// <summary>A loopback TCP port that was free a moment ago and that this run has not handed out before.</summary>
    public static int Next()
    {
        while (true)
        {
            var port = Random.Shared.Next(First, Last);
            if (!HandedOut.TryAdd(port, 0))
            {
                continue;
            }
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // In use: try another.
            }
        }
    }

    /// <summary>True when something accepts connections on the loopback port.</summary>
    public static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
