using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace BoshGateway.StatusPage;

/// <summary>
/// Running totals by one tag value (a transport, a reason, a destination), added to from the meter
/// listener's callbacks on any thread: a lock-free lookup and an interlocked add. At most
/// <c>maxKeys</c> values are told apart; the rest count under <see cref="Other"/>, so a tag with many
/// values cannot grow it without bound.
/// </summary>
internal sealed class StatusTally(int maxKeys)
{
    public const string Other = "other";

    private readonly ConcurrentDictionary<string, StrongBox<long>> _totals = new(StringComparer.Ordinal);

    public void Add(string key, long delta)
    {
        if (!_totals.TryGetValue(key, out var total))
        {
            total = _totals.Count < maxKeys ? _totals.GetOrAdd(key, static _ => new StrongBox<long>()) : _totals.GetOrAdd(Other, static _ => new StrongBox<long>());
        }
        Interlocked.Add(ref total.Value, delta);
    }

    /// <summary>The totals now, by key.</summary>
    public Dictionary<string, long> Read()
    {
        var values = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (key, total) in _totals)
        {
            values[key] = Interlocked.Read(ref total.Value);
        }
        return values;
    }
}
