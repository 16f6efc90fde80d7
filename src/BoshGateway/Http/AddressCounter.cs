using System.Collections.Concurrent;
using System.Net;

namespace BoshGateway.Http;

/// <summary>A lock-free count per client address with a ceiling; addresses at zero are dropped.</summary>
internal sealed class AddressCounter(int limit)
{
    private readonly ConcurrentDictionary<IPAddress, int> _counts = new();

    /// <summary>The highest count of any address (walks all addresses).</summary>
    public int Highest
    {
        get
        {
            var most = 0;
            foreach (var (_, count) in _counts)
            {
                most = Math.Max(most, count);
            }
            return most;
        }
    }

    public bool TryAcquire(IPAddress address)
    {
        while (true)
        {
            var current = _counts.GetValueOrDefault(address);
            if (current >= limit)
            {
                return false;
            }
            if (current == 0 ? _counts.TryAdd(address, 1) : _counts.TryUpdate(address, current + 1, current))
            {
                return true;
            }
        }
    }

    public void Release(IPAddress address)
    {
        while (_counts.TryGetValue(address, out var current))
        {
            if (current <= 1 ? _counts.TryRemove(new KeyValuePair<IPAddress, int>(address, current)) : _counts.TryUpdate(address, current - 1, current))
            {
                return;
            }
        }
    }
}
