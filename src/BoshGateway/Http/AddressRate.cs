using System.Collections.Concurrent;
using System.Net;

namespace BoshGateway.Http;

/// <summary>
/// A token bucket per client address on the injected clock: <c>burst</c> tokens, refilled at <c>perSecond</c>.
/// Buckets refill lazily when touched; full ones (idle addresses) are dropped whenever the table has doubled
/// since the last sweep, so memory follows the addresses active now.
/// </summary>
internal sealed class AddressRate(double perSecond, int burst, TimeProvider time)
{
    private const int MinSweepSize = 1024;
    private readonly ConcurrentDictionary<IPAddress, Bucket> _buckets = new();
    private int _sweepAt = MinSweepSize;

    /// <summary>Takes <paramref name="count"/> tokens (0 only asks); false with the wait for one token when there are too few.</summary>
    public bool TryTake(IPAddress address, int count, out TimeSpan retryAfter)
    {
        var now = time.GetTimestamp();
        if (!_buckets.TryGetValue(address, out var bucket))
        {
            bucket = _buckets.GetOrAdd(address, _ => new Bucket(burst, now));
            if (_buckets.Count > Volatile.Read(ref _sweepAt))
            {
                Sweep(now);
            }
        }
        lock (bucket)
        {
            Refill(bucket, now);
            if (bucket.Tokens >= Math.Max(count, 1))
            {
                bucket.Tokens -= count;
                retryAfter = TimeSpan.Zero;
                return true;
            }
            retryAfter = TimeSpan.FromSeconds((1 - bucket.Tokens) / perSecond);
            return false;
        }
    }

    private void Refill(Bucket bucket, long now)
    {
        var seconds = (double)(now - bucket.Stamp) / time.TimestampFrequency;
        bucket.Tokens = Math.Min(burst, bucket.Tokens + seconds * perSecond);
        bucket.Stamp = now;
    }

    private void Sweep(long now)
    {
        foreach (var (address, bucket) in _buckets)
        {
            bool full;
            lock (bucket)
            {
                Refill(bucket, now);
                full = bucket.Tokens >= burst;
            }
            if (full)
            {
                _buckets.TryRemove(new KeyValuePair<IPAddress, Bucket>(address, bucket));
            }
        }
        Volatile.Write(ref _sweepAt, Math.Max(MinSweepSize, _buckets.Count * 2));
    }

    /// <summary>Addresses with a bucket now (for tests).</summary>
    public int Count => _buckets.Count;

    private sealed class Bucket(double tokens, long stamp)
    {
        public double Tokens = tokens;
        public long Stamp = stamp;
    }
}
