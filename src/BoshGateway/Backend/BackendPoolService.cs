using BoshGateway.Configuration;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Backend;

/// <summary>
/// The backend's background loop, on its own task: keeps <see cref="BackendPool"/> filled and fresh, and
/// runs the active health check of every destination that is out of service once its backoff is over
/// (connect, stream open, features: the same path as a session's stream). It wakes every <see cref="Tick"/> or when the pool asks; each opening and
/// check runs as its own guarded task, so one destination's fault never stops the loop.
/// </summary>
internal sealed partial class BackendPoolService : BackgroundService
{
    private readonly BackendPool _pool;
    private readonly BackendDestinations _destinations;
    private readonly BackendConnector _connector;
    private readonly DestinationResolver _resolver;
    private readonly IOptions<GatewayOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<BackendPoolService> _logger;

    public BackendPoolService(BackendPool pool, BackendDestinations destinations, BackendConnector connector, DestinationResolver resolver,
        IOptions<GatewayOptions> options, TimeProvider time, GatewayMetrics metrics, ILogger<BackendPoolService> logger)
    {
        _pool = pool;
        _destinations = destinations;
        _connector = connector;
        _resolver = resolver;
        _options = options;
        _time = time;
        _logger = logger;
        metrics.Observe("boshgateway.backend.pool.idle", "{stream}", "Warm server streams waiting for a session (Gateway:Backends:Pool).", () => pool.IdleCount);
        metrics.Observe("boshgateway.backend.destinations_out", "{destination}", "Backend servers out of service after a failed connect or handshake, until a health check passes.",
            () => destinations.All.Count(d => d.IsOut));
    }

    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(500);

    private readonly HashSet<string> _checking = new(StringComparer.OrdinalIgnoreCase); // touched only by the loop and, under lock, by check tasks
    private readonly Lock _sync = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    Pass(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.TaskFailed(_logger, "pool pass", "", ex.Message);
                }
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(Tick);
                try
                {
                    await _pool.Wakeups.ReadAsync(tick.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _pool.Clear().ForEach(c => c.Close());
        }
    }

    private void Pass(CancellationToken stoppingToken)
    {
        var (close, open) = _pool.Maintain();
        close.ForEach(c => c.Close());
        foreach (var domain in open)
        {
            _ = FillAsync(domain, stoppingToken);
        }
        var now = _time.GetTimestamp();
        foreach (var destination in _destinations.All)
        {
            if (destination.CheckDue(now) && destination.LastDomain is { } domain)
            {
                lock (_sync)
                {
                    if (!_checking.Add(destination.Key))
                    {
                        continue;
                    }
                }
                _ = CheckAsync(destination, domain, stoppingToken);
            }
        }
    }

    private async Task FillAsync(string domain, CancellationToken stoppingToken)
    {
        BackendConnection? connection = null;
        try
        {
            var target = BackendRoute.Resolve(_options.Value.Backends, domain, route: null);
            var candidates = await _resolver.ResolveAsync(target, stoppingToken);
            if (_destinations.Choose(candidates) is { } destination)
            {
                connection = await _connector.OpenAsync(destination.Aim(target), destination, _pool.Language, stoppingToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Log.TaskFailed(_logger, "warming a stream for", domain, ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
        _pool.Opened(domain, connection)?.Close();
    }

    private async Task CheckAsync(BackendDestination destination, string domain, CancellationToken stoppingToken)
    {
        try
        {
            var target = destination.Aim(BackendRoute.Resolve(_options.Value.Backends, domain, route: null));
            var connection = await _connector.OpenAsync(target, destination, _pool.Language, stoppingToken);
            // It passed (OpenAsync put the destination back in service); the pool refills on its own.
            connection.Close();
            _pool.Wake();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Log.TaskFailed(_logger, "health check of", destination.Key, ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            lock (_sync)
            {
                _checking.Remove(destination.Key);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BackendPoolTaskFailed, EventName = nameof(EventIds.BackendPoolTaskFailed), Level = LogLevel.Debug, Message = "Backend {Task} {Subject} failed: {Reason}")]
        public static partial void TaskFailed(ILogger logger, string task, string subject, string reason);
    }
}
