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
internal sealed partial class BackendPoolService(
    BackendPool pool,
    BackendDestinations destinations,
    BackendConnector connector,
    DestinationResolver resolver,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<BackendPoolService> logger) : BackgroundService
{
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
                    Log.TaskFailed(logger, "pool pass", "", ex.Message);
                }
                using var tick = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                tick.CancelAfter(Tick);
                try
                {
                    await pool.Wakeups.ReadAsync(tick.Token);
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
            pool.Clear().ForEach(c => c.Close());
        }
    }

    private void Pass(CancellationToken stoppingToken)
    {
        var (close, open) = pool.Maintain();
        close.ForEach(c => c.Close());
        foreach (var domain in open)
        {
            _ = FillAsync(domain, stoppingToken);
        }
        var now = time.GetTimestamp();
        foreach (var destination in destinations.All)
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
            var target = BackendRoute.Resolve(options.Value.Backends, domain, route: null);
            var candidates = await resolver.ResolveAsync(target, stoppingToken);
            if (destinations.Choose(candidates) is { } destination)
            {
                connection = await connector.OpenAsync(target.At(destination.Address), destination, pool.Language, stoppingToken);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Log.TaskFailed(logger, "warming a stream for", domain, ex.Message);
        }
        catch (OperationCanceledException)
        {
        }
        pool.Opened(domain, connection)?.Close();
    }

    private async Task CheckAsync(BackendDestination destination, string domain, CancellationToken stoppingToken)
    {
        try
        {
            var target = BackendRoute.Resolve(options.Value.Backends, domain, route: null).At(destination.Address);
            var connection = await connector.OpenAsync(target, destination, pool.Language, stoppingToken);
            // It passed (OpenAsync put the destination back in service); the pool refills on its own.
            connection.Close();
            pool.Wake();
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            Log.TaskFailed(logger, "health check of", destination.Key, ex.Message);
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
