using BoshGateway.Telemetry;
using System.Collections.Concurrent;
using System.Net;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Sessions;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BoshGateway.Cluster;

/// <summary>
/// Node liveness: every <c>HeartbeatInterval</c> this node writes its internal URL to
/// <c>bg:n:{node}</c> with a <c>NodeLease</c> expiry, and it looks other nodes up there (keeping the
/// last address seen, so forwarding works while Redis is down). When a heartbeat finds the entry
/// missing, either Redis lost its data (the node re-registers its sessions) or this node was silent
/// longer than its lease, so other nodes have been answering its sessions with item-not-found: then
/// it ends them itself rather than serve them again (fencing).
/// </summary>
internal sealed partial class NodeRegistry(
    RedisConnection redis,
    RedisSessionDirectory directory,
    SessionTable sessions,
    Microsoft.AspNetCore.Hosting.Server.IServer server,
    IOptions<GatewayOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<NodeRegistry> logger) : BackgroundService
{
    private const string HeartbeatScript = """
        local previous = redis.call('GET', KEYS[1])
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return previous
        """;

    private readonly ConcurrentDictionary<string, (string Url, long Seen)> _known = new(StringComparer.Ordinal);
    private readonly Lock _watchLock = new();
    private readonly Dictionary<string, OwnerWatch> _watches = new(StringComparer.Ordinal);
    private readonly ClusterOptions _cluster = options.Value.Cluster;
    private readonly SemaphoreSlim _beat = new(1, 1);
    private long _lastRenewed;
    private long _lastBeat;
    private bool _sawOutage;
    private bool _left;
    private long _dataLossSeen;

    public string NodeId { get; } = options.Value.Node.Id;

    /// <summary>The URL other nodes reach this one at; null until the server has started.</summary>
    public string? OwnUrl { get; private set; }

    public async ValueTask<NodeLocation> LocateAsync(string node, CancellationToken cancellationToken)
    {
        if (node == NodeId)
        {
            return new NodeLocation(NodeState.Self, OwnUrl);
        }
        var cached = _known.TryGetValue(node, out var entry);
        if (cached && time.GetElapsedTime(entry.Seen) < _cluster.HeartbeatInterval)
        {
            return new NodeLocation(NodeState.Alive, entry.Url);
        }
        if (!redis.IsConnected)
        {
            return new NodeLocation(NodeState.Unknown, cached ? entry.Url : null);
        }
        try
        {
            var url = await redis.Database.StringGetAsync(RedisConnection.NodeKey(node)).WaitAsync(_cluster.RedisTimeout, cancellationToken);
            if (url.IsNullOrEmpty)
            {
                // Keep the last address: Redis may have lost its data while the node lives (it
                // re-registers within a heartbeat); the caller tries it briefly.
                return new NodeLocation(NodeState.Gone, cached ? entry.Url : null);
            }
            _known[node] = (url.ToString(), time.GetTimestamp());
            return new NodeLocation(NodeState.Alive, url.ToString());
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return new NodeLocation(NodeState.Unknown, cached ? entry.Url : null);
        }
    }

    /// <summary>
    /// True when a node missing from the registry may still be alive: Redis lost its data a moment
    /// ago (restart, FLUSHALL, failover) and the nodes have not all written their entries back yet.
    /// This node's own entry tells: if it is missing too, or was found missing within the last
    /// lease, the registry is being rebuilt.
    /// </summary>
    public async ValueTask<bool> IsRebuildingAsync(CancellationToken cancellationToken)
    {
        if (_dataLossSeen != 0 && time.GetElapsedTime(_dataLossSeen) < _cluster.NodeLease + _cluster.HeartbeatInterval)
        {
            return true;
        }
        try
        {
            return !await redis.Database.KeyExistsAsync(RedisConnection.NodeKey(NodeId)).WaitAsync(_cluster.RedisTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return true;
        }
    }

    /// <summary>Drops the remembered address of a node that did not answer there.</summary>
    public void Forget(string node) => _known.TryRemove(node, out _);

    /// <summary>
    /// Watches <paramref name="node"/> for as long as a request forwarded to it is outstanding: the
    /// lease's token is cancelled when a heartbeat finds the node out of the registry.
    /// </summary>
    public OwnerWatchLease Watch(string node)
    {
        lock (_watchLock)
        {
            if (!_watches.TryGetValue(node, out var watch))
            {
                _watches[node] = watch = new OwnerWatch(node);
            }
            watch.InFlight++;
            return new OwnerWatchLease(this, watch);
        }
    }

    internal void Release(OwnerWatch watch)
    {
        lock (_watchLock)
        {
            if (--watch.InFlight == 0 && _watches.TryGetValue(watch.Node, out var current) && current == watch)
            {
                _watches.Remove(watch.Node);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }
        OwnUrl = ResolveOwnUrl();
        Log.Joined(logger, NodeId, OwnUrl);
        using var timer = new PeriodicTimer(_cluster.HeartbeatInterval, time);
        redis.Multiplexer.ConnectionRestored += OnRedisRestored;
        try
        {
            do
            {
                await BeatAsync(force: true);
                await EndForwardsToGoneOwnersAsync();
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            redis.Multiplexer.ConnectionRestored -= OnRedisRestored;
        }
    }

    /// <summary>
    /// Redis is back: renew the lease now, not at the next tick. An outage longer than the lease let this
    /// node's entry expire, and until it is written again other nodes answer requests for this node's
    /// sessions with 503 (try again).
    /// </summary>
    private void OnRedisRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (e.ConnectionType == ConnectionType.Interactive)
        {
            _ = BeatAfterRestoreAsync();
        }
    }

    private async Task BeatAfterRestoreAsync()
    {
        try
        {
            await BeatAsync(force: true);
        }
        catch (Exception ex)
        {
            // Runs from a Redis event, unobserved: a failure is logged, and the next tick tries again.
            Log.HeartbeatFailed(logger, ex.Message);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // No heartbeat after this one's delete (one started by a reconnect could otherwise write the entry back).
        // A heartbeat under way ends within RedisTimeout; the wait is bounded so a stop never hangs here.
        var entered = await _beat.WaitAsync(_cluster.RedisTimeout + TimeSpan.FromSeconds(1), CancellationToken.None);
        try
        {
            _left = true;
            // Leave at once, so other nodes answer this node's sessions with item-not-found without waiting for the lease.
            if (OwnUrl is not null && redis.IsConnected)
            {
                try
                {
                    await redis.Database.KeyDeleteAsync(RedisConnection.NodeKey(NodeId)).WaitAsync(_cluster.RedisTimeout, cancellationToken);
                }
                catch (Exception ex) when (ex is RedisException or TimeoutException or OperationCanceledException)
                {
                    Log.LeaveFailed(logger, ex.Message);
                }
            }
        }
        finally
        {
            if (entered)
            {
                _beat.Release();
            }
        }
    }

    /// <summary>
    /// Completes at once unless the heartbeat has not even been tried for a whole lease: then this
    /// process was stalled (GC, SIGSTOP, a frozen VM) and has only just woken, possibly with requests
    /// already read before its heartbeat loop ran. Those wait for one heartbeat, which ends this
    /// node's sessions if its lease ran out meanwhile, so nothing is served for a session that other
    /// nodes have already answered <c>item-not-found</c> (fencing before serving, not after).
    /// </summary>
    public ValueTask EnsureLeaseAsync()
    {
        if (OwnUrl is null || time.GetElapsedTime(Volatile.Read(ref _lastBeat)) < _cluster.NodeLease)
        {
            return ValueTask.CompletedTask;
        }
        return new ValueTask(BeatAsync(force: false));
    }

    private async Task BeatAsync(bool force)
    {
        await _beat.WaitAsync();
        try
        {
            // A request that waited here behind the loop's heartbeat needs no second one. The time is
            // taken when a heartbeat has finished: a request must not pass while one is under way.
            if (!_left && (force || time.GetElapsedTime(Volatile.Read(ref _lastBeat)) >= _cluster.NodeLease))
            {
                await HeartbeatAsync();
                Volatile.Write(ref _lastBeat, time.GetTimestamp());
            }
        }
        finally
        {
            _beat.Release();
        }
    }

    private async Task HeartbeatAsync()
    {
        if (OwnUrl is null)
        {
            return;
        }
        if (!redis.IsConnected)
        {
            _sawOutage = true;
            return;
        }
        RedisResult previous;
        try
        {
            previous = await redis.Database.ScriptEvaluateAsync(HeartbeatScript, [RedisConnection.NodeKey(NodeId)],
                [OwnUrl, (long)_cluster.NodeLease.TotalMilliseconds]).WaitAsync(_cluster.RedisTimeout);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.HeartbeatFailed(logger, ex.Message);
            _sawOutage = true;
            return;
        }
        var silentFor = _lastRenewed == 0 ? TimeSpan.Zero : time.GetElapsedTime(_lastRenewed);
        var wasRegistered = _lastRenewed != 0;
        var outage = _sawOutage;
        _lastRenewed = time.GetTimestamp();
        _sawOutage = false;
        if (!previous.IsNull && previous.ToString() != OwnUrl)
        {
            Log.DuplicateNodeId(logger, NodeId, previous.ToString());
        }
        if (!wasRegistered || !previous.IsNull)
        {
            return;
        }
        _dataLossSeen = _lastRenewed;
        // Silent past the lease while Redis stayed reachable: this process was stalled (GC, SIGSTOP)
        // and others may have answered its sessions as gone. Silent because Redis was down: nobody
        // could see the lease run out, and Redis merely lost its data.
        if (silentFor >= _cluster.NodeLease && !outage)
        {
            EndSessionsAfterLostLease(silentFor);
        }
        else
        {
            Log.Republished(logger, directory.RepublishLocal());
        }
    }

    /// <summary>
    /// Requests forwarded to an owner that has since dropped out of the registry would otherwise wait
    /// for the forwarding timeout (a held long-poll: <c>Bosh:MaxWait</c> + 30 s) when the owner is
    /// stalled rather than dead; cancelling them lets <see cref="ClusterRouter"/> answer
    /// <c>item-not-found</c> now, as it answers any new request for those sessions.
    /// </summary>
    private async Task EndForwardsToGoneOwnersAsync()
    {
        string[] watched;
        lock (_watchLock)
        {
            if (_watches.Count == 0)
            {
                return;
            }
            watched = [.. _watches.Keys];
        }
        foreach (var node in watched)
        {
            try
            {
                if (!redis.IsConnected || await redis.Database.KeyExistsAsync(RedisConnection.NodeKey(node)).WaitAsync(_cluster.RedisTimeout)
                    || await IsRebuildingAsync(CancellationToken.None))
                {
                    continue;
                }
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                Log.HeartbeatFailed(logger, ex.Message);
                return;
            }
            OwnerWatch? gone;
            lock (_watchLock)
            {
                if (_watches.Remove(node, out gone))
                {
                    Log.OwnerLeaseExpired(logger, node, gone.InFlight);
                }
            }
            if (gone is null)
            {
                continue;
            }
            Forget(node);
            try
            {
                await gone.CancelAsync();
            }
            catch (AggregateException ex)
            {
                // A forward's own cancellation callback failed; the others have run, and the loop goes on.
                Log.CancelForwardsFailed(logger, node, ex);
            }
        }
    }

    private void EndSessionsAfterLostLease(TimeSpan silentFor)
    {
        var count = 0;
        // Only BOSH sessions are known to other nodes; a WebSocket lives with its connection.
        foreach (var session in sessions.All.Where(s => s.Info.Transport == SessionTransport.Bosh))
        {
            session.EndUnplanned(SessionEndReason.OwnershipLost);
            count++;
        }
        Log.LeaseLost(logger, silentFor, count);
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStarted = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        using var onStopping = stoppingToken.Register(() => started.TrySetCanceled(stoppingToken));
        try
        {
            await started.Task;
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private string ResolveOwnUrl()
    {
        if (options.Value.Node.InternalUrl is { } configured)
        {
            return configured.TrimEnd('/');
        }
        var first = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("Set Gateway:Node:InternalUrl: the server reports no bound address.");
        var uri = new UriBuilder(first.Replace("://+", "://0.0.0.0", StringComparison.Ordinal).Replace("://*", "://0.0.0.0", StringComparison.Ordinal));
        if (IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any)))
        {
            uri.Host = Dns.GetHostName();
        }
        return uri.Uri.GetLeftPart(UriPartial.Authority);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.NodeJoined, EventName = nameof(EventIds.NodeJoined), Level = LogLevel.Information, Message = "Node {Node} serves the cluster at {Url}")]
        public static partial void Joined(ILogger logger, string node, string url);

        [LoggerMessage(EventId = EventIds.HeartbeatFailed, EventName = nameof(EventIds.HeartbeatFailed), Level = LogLevel.Debug, Message = "Node heartbeat failed: {Message}")]
        public static partial void HeartbeatFailed(ILogger logger, string message);

        [LoggerMessage(EventId = EventIds.DuplicateNodeId, EventName = nameof(EventIds.DuplicateNodeId), Level = LogLevel.Error, Message = "Another process registered node id {Node} at {Url}: give every node its own Gateway:Node:Id")]
        public static partial void DuplicateNodeId(ILogger logger, string node, string url);

        [LoggerMessage(EventId = EventIds.SessionsRepublished, EventName = nameof(EventIds.SessionsRepublished), Level = LogLevel.Warning, Message = "Redis had lost this node's registry entry (restart without persistence, FLUSHALL or failover); re-registered {Count} sessions")]
        public static partial void Republished(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.LeaseLost, EventName = nameof(EventIds.LeaseLost), Level = LogLevel.Warning, Message = "This node was out of the registry for {SilentFor} (longer than Gateway:Cluster:NodeLease); other nodes have answered its sessions as gone, so it ended {Count} sessions")]
        public static partial void LeaseLost(ILogger logger, TimeSpan silentFor, int count);

        [LoggerMessage(EventId = EventIds.OwnerLeaseExpired, EventName = nameof(EventIds.OwnerLeaseExpired), Level = LogLevel.Warning, Message = "Node {Node} is out of the registry (its lease ran out): {Count} requests forwarded to it are answered item-not-found")]
        public static partial void OwnerLeaseExpired(ILogger logger, string node, int count);

        [LoggerMessage(EventId = EventIds.CancelForwardsFailed, EventName = nameof(EventIds.CancelForwardsFailed), Level = LogLevel.Error, Message = "Ending the requests forwarded to node {Node} failed")]
        public static partial void CancelForwardsFailed(ILogger logger, string node, Exception exception);

        [LoggerMessage(EventId = EventIds.LeaveFailed, EventName = nameof(EventIds.LeaveFailed), Level = LogLevel.Debug, Message = "Could not remove this node's registry entry: {Message}")]
        public static partial void LeaveFailed(ILogger logger, string message);
    }
}
