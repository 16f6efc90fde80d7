using System.Globalization;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>What /proc says about a process: its resident memory, open file descriptors and threads.</summary>
internal static class ProcStatus
{
    public static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status").Single(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }

    public static int Threads(int pid) => Directory.GetDirectories($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/task").Length;

    public static int OpenFiles(int pid) => Directory.GetFiles($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/fd").Length;
}
