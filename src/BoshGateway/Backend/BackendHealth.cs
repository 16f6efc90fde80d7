using System.Collections.Concurrent;

namespace BoshGateway.Backend;

/// <summary>
/// What the last attempts to reach each backend destination said, for readiness: the gateway is
/// "degraded" when destinations were tried recently and none answered. A destination not tried lately
/// counts as unknown, not as down.
/// </summary>
public sealed class BackendHealth(TimeProvider time)
{
    /// <summary>How long an attempt's outcome counts.</summary>
    public static readonly TimeSpan Recent = TimeSpan.FromMinutes(5);

    private readonly ConcurrentDictionary<string, Outcome> _destinations = new(StringComparer.Ordinal);

    public void Succeeded(BackendTarget target) => _destinations[Key(target)] = new Outcome(time.GetTimestamp(), null);

    public void Failed(BackendTarget target, string reason) => _destinations[Key(target)] = new Outcome(time.GetTimestamp(), reason);

    /// <summary>Destinations whose last attempt, within <see cref="Recent"/>, failed, and whether any recent one succeeded.</summary>
    public (IReadOnlyList<string> Failing, bool AnyAnswered) Snapshot()
    {
        List<string> failing = [];
        var answered = false;
        foreach (var (destination, outcome) in _destinations)
        {
            if (time.GetElapsedTime(outcome.At) > Recent)
            {
                continue;
            }
            if (outcome.Failure is null)
            {
                answered = true;
            }
            else
            {
                failing.Add($"{destination} ({outcome.Failure})");
            }
        }
        return (failing, answered);
    }

    private static string Key(BackendTarget target) => $"{target.Host}:{target.Port}";

    private readonly record struct Outcome(long At, string? Failure);
}
