using System.Globalization;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>Counts established TCP connections on this machine from /proc/net/tcp, to check that none leak.</summary>
internal static class TcpConnections
{
    /// <summary>Established connections whose remote end is 127.0.0.1:<paramref name="port"/>.</summary>
    public static int EstablishedTo(int port)
    {
        var count = 0;
        // Dual-mode sockets show IPv4 peers in tcp6 as ::ffff:127.0.0.1.
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1).Concat(File.ReadLines("/proc/net/tcp6").Skip(1)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts[3] == "01" && Port(parts[2]) == port)
            {
                count++;
            }
        }
        return count;
    }

    /// <summary>
    /// True while the connection from 127.0.0.1:<paramref name="localPort"/> to remote port <paramref name="remotePort"/>
    /// is established on this machine (the server's side of a client's connection, seen without reading from it).
    /// </summary>
    public static bool IsEstablished(int localPort, int remotePort)
    {
        foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1).Concat(File.ReadLines("/proc/net/tcp6").Skip(1)))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts[3] == "01" && Port(parts[1]) == localPort && Port(parts[2]) == remotePort)
            {
                return true;
            }
        }
        return false;
    }

    private static int Port(string address) => int.Parse(address[(address.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    /// <summary>Waits (bounded) until the count equals <paramref name="expected"/>; returns the last count.</summary>
    public static async Task<int> WaitForAsync(int port, int expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        int count;
        while ((count = EstablishedTo(port)) != expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }
        return count;
    }
}
