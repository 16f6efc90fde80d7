using System.Diagnostics;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Fuzz.Targets;

/// <summary>
/// What counts as a crash. The protocol exceptions a parser is documented to throw for bad input
/// (<see cref="XmlStreamException"/>, <see cref="BoshProtocolException"/>) are answers, not crashes; any other
/// exception escapes. An input that allocates more than <see cref="MaxAllocatedBytes"/> on the fuzzing thread,
/// or runs longer than <see cref="MaxDuration"/>, is turned into a crash too (AFL's -t only catches real hangs).
/// </summary>
public static class Oracle
{
    /// <summary>Allocation bound per input (robustness.md §3.2: 64 MiB).</summary>
    public const long MaxAllocatedBytes = 64L * 1024 * 1024;

    /// <summary>
    /// For a target that plays one operation per input byte (bosh-session): the allocation bound grows by this much per
    /// byte on top of <see cref="MaxAllocatedBytes"/>. Measured on inputs that passed the flat 64 MiB: 4.7 to 21 KiB per
    /// operation (requests, answers, the oracle's own well-formedness parse and log formatting), the same for the first
    /// tenth of an input as for all of it; a cost that grew with the session's history would pass this line within a
    /// few thousand operations.
    /// </summary>
    public const long MaxAllocatedBytesPerOperation = 64 * 1024;

    /// <summary>Likewise for time: about 40 µs an operation uninstrumented, a few times that under AFL's instrumentation.</summary>
    public static readonly TimeSpan MaxDurationPerOperation = TimeSpan.FromMicroseconds(200);

    /// <summary>Time bound per input; <c>FUZZ_SLOW_MS</c> overrides (0 turns the check off).</summary>
    public static TimeSpan MaxDuration { get; } = TimeSpan.FromMilliseconds(
        int.TryParse(Environment.GetEnvironmentVariable("FUZZ_SLOW_MS"), out var ms) ? ms : 1000);

    /// <summary>Runs one input through a target; returns true when the input was refused with a protocol exception.</summary>
    /// <param name="target">The target.</param>
    /// <param name="input">The input.</param>
    /// <param name="maxDuration">The time bound; <see cref="MaxDuration"/> when null, none when zero (a replay in a test run, where the machine's load is not the input's fault).</param>
    /// <param name="perOperation">Whether every input byte is an operation (the allocation bound then grows with the input).</param>
    public static bool Run(Action<byte[]> target, byte[] input, TimeSpan? maxDuration = null, bool perOperation = false)
    {
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var started = Stopwatch.GetTimestamp();
        var refused = false;
        try
        {
            target(input);
        }
        catch (Exception ex) when (IsExpected(ex))
        {
            refused = true;
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        var allocationBound = MaxAllocatedBytes + (perOperation ? input.Length * MaxAllocatedBytesPerOperation : 0);
        if (allocated > allocationBound)
        {
            throw new FuzzFindingException($"one input of {input.Length} bytes allocated {allocated / (1024 * 1024)} MiB (bound {allocationBound / (1024 * 1024)} MiB)");
        }
        var elapsed = Stopwatch.GetElapsedTime(started);
        var bound = maxDuration ?? MaxDuration;
        if (bound > TimeSpan.Zero && perOperation)
        {
            bound += MaxDurationPerOperation * input.Length;
        }
        if (bound > TimeSpan.Zero && elapsed > bound)
        {
            throw new FuzzFindingException($"one input of {input.Length} bytes took {elapsed.TotalMilliseconds:F0} ms (bound {bound.TotalMilliseconds:F0} ms)");
        }
        return refused;
    }

    /// <summary>The documented answers to bad input.</summary>
    public static bool IsExpected(Exception ex) => ex is XmlStreamException or BoshProtocolException;
}

/// <summary>A property a target checks beyond "no unexpected exception" did not hold.</summary>
public sealed class FuzzFindingException : Exception
{
    public FuzzFindingException(string message) : base(message) { }

    public FuzzFindingException() { }

    public FuzzFindingException(string message, Exception inner) : base(message, inner) { }
}
