using System.Collections.Concurrent;
using BoshGateway.Configuration;
using Microsoft.Extensions.Options;

namespace BoshGateway.Backend;

/// <summary>
/// Every destination the gateway has dialled, by host:port, and the choice of one for a new stream:
/// among the best-priority group that is in service, the one with the lowest load per weight.
/// </summary>
public sealed class BackendDestinations(IOptions<GatewayOptions> options)
{
    /// <summary>Bounds what DNS answers for unlisted domains can make the gateway remember.</summary>
    internal const int MaxTracked = 4096;

    private readonly ConcurrentDictionary<string, BackendDestination> _all = new(StringComparer.OrdinalIgnoreCase);
    private readonly int _maxConnectsInFlight = options.Value.Backends.MaxConnectsInFlight;

    public BackendDestination Get(DestinationAddress address)
    {
        if (_all.TryGetValue(address.Key, out var known))
        {
            return known;
        }
        if (_all.Count >= MaxTracked)
        {
            Prune();
        }
        return _all.GetOrAdd(address.Key, _ => new BackendDestination(address, _maxConnectsInFlight));
    }

    public ICollection<BackendDestination> All => _all.Values;

    /// <summary>
    /// The destination for a new stream among <paramref name="candidates"/> (already in preference order:
    /// lower SRV priority first), skipping those in <paramref name="tried"/>; null when none is in service.
    /// </summary>
    public BackendDestination? Choose(IReadOnlyList<DestinationAddress> candidates, ICollection<string>? tried = null)
    {
        BackendDestination? best = null;
        var bestPriority = int.MaxValue;
        for (var i = 0; i < candidates.Count; i++)
        {
            var priority = candidates[i].Priority;
            if (best is not null && priority > bestPriority)
            {
                break; // candidates come sorted by priority: a lower group that has a destination in service wins
            }
            var destination = Get(candidates[i]);
            if (destination.IsOut || (tried?.Contains(destination.Key) ?? false))
            {
                continue;
            }
            if (best is null || destination.Load < best.Load)
            {
                best = destination;
                bestPriority = priority;
            }
        }
        return best;
    }

    private void Prune()
    {
        foreach (var (key, destination) in _all)
        {
            if (destination.Sessions == 0 && destination.InFlight == 0 && !destination.IsOut)
            {
                _all.TryRemove(key, out _);
            }
        }
    }
}
