using BoshGateway.Configuration;
using Microsoft.Extensions.Options;

namespace BoshGateway.Backend;

/// <summary>
/// Streams opened ahead of need, per domain: connected, TLS done, features received, nobody has written
/// to them. A new session takes one (<see cref="TryTake"/>) and gets its features with no round trip to
/// the server; a taken stream never comes back. <see cref="BackendPoolService"/> fills, watches and
/// recycles the lists. One lock guards them; nothing is awaited and no stream is closed under it.
/// </summary>
public sealed class BackendPool
{
    /// <summary>A domain learned from sessions (not configured) keeps its pool this long after its last session.</summary>
    internal static readonly TimeSpan LearnedDomainIdle = TimeSpan.FromMinutes(10);

    private readonly Lock _sync = new();
    private readonly Dictionary<string, DomainPool> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly BackendPoolOptions _options;
    private readonly TimeProvider _time;
    private readonly System.Threading.Channels.Channel<bool> _wake = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });

    public BackendPool(IOptions<GatewayOptions> options, TimeProvider time)
    {
        _options = options.Value.Backends.Pool;
        _time = time;
        if (Enabled)
        {
            foreach (var domain in ConfiguredDomains(options.Value))
            {
                _domains[domain] = new DomainPool(domain, configured: true, time.GetTimestamp());
            }
        }
    }

    public bool Enabled => _options.Size > 0;

    /// <summary>The language pooled streams are opened with.</summary>
    public string Language => _options.Language;

    /// <summary>Idle streams across all domains.</summary>
    public int IdleCount
    {
        get
        {
            lock (_sync)
            {
                return _domains.Values.Sum(d => d.Idle.Count);
            }
        }
    }

    internal System.Threading.Channels.ChannelReader<bool> Wakeups => _wake.Reader;

    /// <summary>A warm stream for <paramref name="domain"/> on one of <paramref name="candidates"/>, or null.</summary>
    internal BackendConnection? TryTake(string domain, string? language, IReadOnlyList<DestinationAddress> candidates)
    {
        if (!Enabled || !string.Equals(BackendConnection.StreamLanguage(language), _options.Language, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        BackendConnection? taken = null;
        List<BackendConnection>? stale = null;
        lock (_sync)
        {
            if (!_domains.TryGetValue(domain, out var pool))
            {
                return null;
            }
            pool.LastDemand = _time.GetTimestamp();
            for (var i = 0; i < pool.Idle.Count && taken is null; i++)
            {
                var entry = pool.Idle[i];
                if (!entry.IsUsable)
                {
                    (stale ??= []).Add(entry.Connection);
                    pool.Idle.RemoveAt(i--);
                }
                else if (Contains(candidates, entry.Connection.Destination!.Key))
                {
                    taken = entry.Connection;
                    pool.Idle.RemoveAt(i);
                }
            }
        }
        stale?.ForEach(c => c.Close());
        Wake();
        return taken;
    }

    /// <summary>A session for <paramref name="domain"/> started on a fresh stream: pool that domain from now on (up to <c>MaxDomains</c>).</summary>
    internal void NoteDemand(string domain)
    {
        if (!Enabled)
        {
            return;
        }
        lock (_sync)
        {
            if (_domains.TryGetValue(domain, out var pool))
            {
                pool.LastDemand = _time.GetTimestamp();
                return;
            }
            if (_domains.Count >= _options.MaxDomains)
            {
                return;
            }
            _domains[domain] = new DomainPool(domain, configured: false, _time.GetTimestamp());
        }
        Wake();
    }

    /// <summary>
    /// The service's pass: drops dead, expired and unwanted streams (returned for closing), forgets learned
    /// domains nobody used lately, and says how many streams each domain still needs (counted as opening).
    /// </summary>
    internal (List<BackendConnection> ToClose, List<string> ToOpen) Maintain()
    {
        List<BackendConnection> close = [];
        List<string> open = [];
        var now = _time.GetTimestamp();
        lock (_sync)
        {
            foreach (var pool in _domains.Values.ToList())
            {
                for (var i = 0; i < pool.Idle.Count; i++)
                {
                    var entry = pool.Idle[i];
                    if (!entry.IsUsable || _time.GetElapsedTime(entry.OpenedAt, now) >= _options.MaxIdle)
                    {
                        close.Add(entry.Connection);
                        pool.Idle.RemoveAt(i--);
                    }
                }
                if (!pool.Configured && _time.GetElapsedTime(pool.LastDemand, now) >= LearnedDomainIdle)
                {
                    close.AddRange(pool.Idle.Select(e => e.Connection));
                    pool.Idle.Clear();
                    if (pool.Opening == 0)
                    {
                        _domains.Remove(pool.Domain);
                    }
                    continue;
                }
                for (var need = _options.Size - pool.Idle.Count - pool.Opening; need > 0; need--)
                {
                    pool.Opening++;
                    open.Add(pool.Domain);
                }
            }
        }
        return (close, open);
    }

    /// <summary>An opening finished: the stream joins the domain's list (or is returned for closing when no longer wanted).</summary>
    internal BackendConnection? Opened(string domain, BackendConnection? connection)
    {
        lock (_sync)
        {
            if (!_domains.TryGetValue(domain, out var pool))
            {
                return connection;
            }
            pool.Opening--;
            if (connection is null || pool.Idle.Count >= _options.Size)
            {
                return connection;
            }
            connection.WatchWhileIdle();
            pool.Idle.Add(new Entry(connection, _time.GetTimestamp()));
            return null;
        }
    }

    /// <summary>Empties every list (shutdown); the caller closes what is returned.</summary>
    internal List<BackendConnection> Clear()
    {
        lock (_sync)
        {
            var all = _domains.Values.SelectMany(d => d.Idle.Select(e => e.Connection)).ToList();
            foreach (var pool in _domains.Values)
            {
                pool.Idle.Clear();
            }
            return all;
        }
    }

    internal void Wake() => _wake.Writer.TryWrite(true);

    private static bool Contains(IReadOnlyList<DestinationAddress> candidates, string key)
    {
        foreach (var candidate in candidates)
        {
            if (string.Equals(candidate.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static IEnumerable<string> ConfiguredDomains(GatewayOptions options)
    {
        var domains = options.Backends.Domains.Keys.Concat(options.Backends.Pool.Domains);
        if (options.DemoPage.Enabled && !string.IsNullOrEmpty(options.DemoPage.Domain))
        {
            domains = domains.Append(options.DemoPage.Domain);
        }
        return domains.Select(BackendRoute.NormalizeDomain).OfType<string>().Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(d => !UsesProxyProtocol(options.Backends, d)).Take(options.Backends.Pool.MaxDomains);
    }

    private static bool UsesProxyProtocol(BackendsOptions backends, string domain)
    {
        try
        {
            return BackendRoute.Resolve(backends, domain, route: null).ProxyProtocol;
        }
        catch (Protocol.Bosh.BoshProtocolException)
        {
            return true; // not served at all: nothing to warm
        }
    }

    private sealed class DomainPool(string domain, bool configured, long now)
    {
        public string Domain { get; } = domain;

        public bool Configured { get; } = configured;

        public List<Entry> Idle { get; } = [];

        public int Opening { get; set; }

        public long LastDemand { get; set; } = now;
    }

    private readonly record struct Entry(BackendConnection Connection, long OpenedAt)
    {
        /// <summary>Untouched by the server since its features, and on a destination in service.</summary>
        public bool IsUsable => Connection.IdleIntact && Connection.Destination is { IsOut: false };
    }
}
