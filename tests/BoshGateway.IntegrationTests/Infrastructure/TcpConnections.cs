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
            var remote = parts[2];
            var state = parts[3];
            if (state == "01" && int.Parse(remote[(remote.IndexOf(':', StringComparison.Ordinal) + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            {
                count++;
            }
        }
        return count;
    }

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
