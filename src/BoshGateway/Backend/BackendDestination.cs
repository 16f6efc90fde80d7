namespace BoshGateway.Backend;

/// <summary>
/// What the gateway knows about one server (host:port), shared by every domain it serves: how many
/// sessions use it, how many connects are in flight, and whether it is left out after a failure.
/// <para>
/// Health is passive first: a failed connect or handshake leaves the destination out for a backoff;
/// then an active check (<see cref="BackendPoolService"/>: connect, stream open, features) brings it
/// back, or doubles the backoff. Fields are updated with <see cref="Interlocked"/>; the backoff pair under
/// <c>_sync</c> (never held across an await).
/// </para>
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim needs Dispose only once its AvailableWaitHandle was used; it never is.")]
public sealed class BackendDestination
{
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _connects;
    private readonly int _maxInFlight;
    private int _sessions;
    private int _failures;
    private long _outUntil; // TimeProvider timestamp; 0 = in service
    private string? _lastFailure;
    private string? _lastDomain;
    private long _busyToldAt = long.MinValue;
    private long _answeredAt = long.MinValue; // when a connect last completed
    private AimedTarget? _aimed;

    internal BackendDestination(DestinationAddress address, int maxConnectsInFlight)
    {
        Address = address;
        _maxInFlight = maxConnectsInFlight;
        _connects = new SemaphoreSlim(maxConnectsInFlight, maxConnectsInFlight);
    }

    public DestinationAddress Address { get; }

    public string Key => Address.Key;

    /// <summary>Sessions (not pooled idle streams) currently on this destination.</summary>
    public int Sessions => Volatile.Read(ref _sessions);

    /// <summary>True while left out after a failure, until a health check succeeds.</summary>
    public bool IsOut => Volatile.Read(ref _outUntil) != 0;

    public string? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Load for balancing: sessions plus connects under way, per unit of weight.</summary>
    internal double Load => (Sessions + InFlight) / (double)Math.Max(1, Address.Weight);

    internal int InFlight => _maxInFlight - _connects.CurrentCount;

    /// <summary>Waits for a connect slot; false after <paramref name="timeout"/>.</summary>
    internal Task<bool> EnterConnectAsync(TimeSpan timeout, CancellationToken cancellationToken) => _connects.WaitAsync(timeout, cancellationToken);

    internal void ExitConnect() => _connects.Release();

    /// <summary>True at most once per <paramref name="interval"/>: a storm's refusals are logged once, and counted by the metric.</summary>
    internal bool ShouldTellBusy(long now, long interval)
    {
        var last = Volatile.Read(ref _busyToldAt);
        return (last == long.MinValue || now - last >= interval) && Interlocked.CompareExchange(ref _busyToldAt, now, last) == last;
    }

    /// <summary>
    /// <paramref name="target"/> aimed at this destination (<see cref="BackendTarget.At"/>): one record shared by the
    /// streams opened for the same resolved target, not one per session (each stream keeps its target for life).
    /// </summary>
    internal BackendTarget Aim(BackendTarget target)
    {
        if (Volatile.Read(ref _aimed) is { } aimed && ReferenceEquals(aimed.From, target))
        {
            return aimed.To;
        }
        var to = target.At(Address);
        Volatile.Write(ref _aimed, new AimedTarget(target, to));
        return to;
    }

    private sealed record AimedTarget(BackendTarget From, BackendTarget To);

    /// <summary>A domain this destination served lately: what its health check opens a stream for.</summary>
    internal string? LastDomain => Volatile.Read(ref _lastDomain);

    internal void Use(string domain) => Volatile.Write(ref _lastDomain, domain);

    internal void SessionStarted() => Interlocked.Increment(ref _sessions);

    internal void SessionEnded() => Interlocked.Decrement(ref _sessions);

    /// <summary>A connect, handshake or health check worked: back in service. True when it was out until now.</summary>
    internal bool Succeeded(long now)
    {
        lock (_sync)
        {
            Volatile.Write(ref _answeredAt, now);
            var wasOut = Volatile.Read(ref _outUntil) != 0;
            _failures = 0;
            Volatile.Write(ref _outUntil, 0);
            return wasOut;
        }
    }

    /// <summary>True when a connect to this server completed at or after <paramref name="since"/>: it is answering.</summary>
    internal bool AnsweredSince(long since) => Volatile.Read(ref _answeredAt) >= since;

    /// <summary>A connect or handshake failed: out for a backoff that doubles with each failure in a row. True when it was in service until now.</summary>
    internal bool Failed(string reason, long now, TimeProvider time, TimeSpan backoff, TimeSpan maxBackoff)
    {
        lock (_sync)
        {
            var wasIn = Volatile.Read(ref _outUntil) == 0;
            var wait = TimeSpan.FromTicks(Math.Min(maxBackoff.Ticks, backoff.Ticks << Math.Min(_failures, 20)));
            _failures++;
            Volatile.Write(ref _lastFailure, reason);
            Volatile.Write(ref _outUntil, Math.Max(1, now + (long)(wait.TotalSeconds * time.TimestampFrequency)));
            return wasIn;
        }
    }

    /// <summary>Out, and its backoff is over: time for a health check.</summary>
    internal bool CheckDue(long now)
    {
        var until = Volatile.Read(ref _outUntil);
        return until != 0 && now >= until;
    }
}
