using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>CPU time and resident memory of a process, from /proc (Linux).</summary>
internal sealed record ProcessMeter(string Name, int Pid)
{
    /// <summary>USER_HZ on Linux: the unit of the CPU times in /proc.</summary>
    internal const double TicksPerSecond = 100;

    public double CpuSeconds()
    {
        var stat = File.ReadAllText($"/proc/{Pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command: state is field 3, utime 14 and stime 15 (1-based over the whole line).
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    public long RssKiB()
    {
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }
        return 0;
    }

    /// <summary>Parses <c>name=pid</c>.</summary>
    public static ProcessMeter Parse(string text)
    {
        var parts = text.Split('=', 2);
        return new ProcessMeter(parts[0], int.Parse(parts[1], CultureInfo.InvariantCulture));
    }
}
