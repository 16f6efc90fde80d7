using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// CPU time spent by the whole machine (all processes, the kernel included), from the first line of
/// /proc/stat (Linux): every field but idle and iowait. Divided by the wall-clock time of a run it says
/// how many cores were busy, so a figure can be told apart from a machine that had nothing left.
/// </summary>
internal static class MachineCpu
{
    public static double BusySeconds()
    {
        using var reader = new StreamReader("/proc/stat");
        var fields = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // cpu user nice system idle iowait irq softirq steal (guest time is already inside user).
        long busy = 0;
        for (var i = 1; i <= 8 && i < fields.Length; i++)
        {
            if (i is not (4 or 5))
            {
                busy += long.Parse(fields[i], CultureInfo.InvariantCulture);
            }
        }
        return busy / ProcessMeter.TicksPerSecond;
    }
}
