namespace BoshGateway.Backend;

/// <summary>The order in which to try SRV destinations (RFC 2782, "Usage rules").</summary>
public static class SrvOrder
{
    /// <summary>
    /// Returns all <paramref name="destinations"/>, lowest priority first. Within one priority, repeatedly: the
    /// records not yet ordered are listed with the weight-0 ones first (among themselves in random order), a number
    /// is drawn and the first record whose running weight sum reaches it comes next. The number is uniform in
    /// 0..sum (RFC 2782) when a weight-0 record is listed, so 0 picks it with chance 1/(sum+1); otherwise it is
    /// uniform in 1..sum, which gives each record exactly its share (RFC 2782's 0 would add one extra unit of chance
    /// to whichever record happens to be listed first).
    /// </summary>
    public static IReadOnlyList<DestinationAddress> Order(IReadOnlyList<DestinationAddress> destinations, Random random)
    {
        ArgumentNullException.ThrowIfNull(destinations);
        ArgumentNullException.ThrowIfNull(random);
        var ordered = new List<DestinationAddress>(destinations.Count);
        foreach (var group in destinations.GroupBy(d => d.Priority).OrderBy(g => g.Key))
        {
            var zero = group.Where(d => d.Weight <= 0).ToList();
            random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(zero));
            var pending = new List<DestinationAddress>(zero);
            pending.AddRange(group.Where(d => d.Weight > 0));
            while (pending.Count > 0)
            {
                long sum = 0;
                foreach (var d in pending)
                {
                    sum += Math.Max(d.Weight, 0);
                }
                var draw = pending[0].Weight <= 0 ? random.NextInt64(0, sum + 1) : random.NextInt64(1, sum + 1);
                long running = 0;
                var chosen = pending.Count - 1;
                for (var i = 0; i < pending.Count; i++)
                {
                    running += Math.Max(pending[i].Weight, 0);
                    if (running >= draw)
                    {
                        chosen = i;
                        break;
                    }
                }
                ordered.Add(pending[chosen]);
                pending.RemoveAt(chosen);
            }
        }
        return ordered;
    }
}
