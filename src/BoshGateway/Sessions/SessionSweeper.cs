using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Sessions;

/// <summary>
/// One timer for all sessions of both transports: every <c>Gateway:Bosh:TimerResolution</c> it lets
/// each session run its timers (wait expiry, inactivity, pre-authentication, send-queue deadline,
/// backend keepalive). Each session's tick is guarded, so one session's fault never stops the sweep or
/// the host; a sweep that starts late (the previous one, or the thread pool, was slow) is reported as
/// Kestrel's heartbeat does. On shutdown, once the grace is over (<see cref="DrainState.Closed"/>), it ends
/// every session with <see cref="SessionEndReason.Shutdown"/>.
/// </summary>
internal sealed partial class SessionSweeper : BackgroundService
{
    private readonly SessionTable _sessions;
    private readonly TimeProvider _time;
    private readonly DrainState _drain;
    private readonly ILogger<SessionSweeper> _logger;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _lateWarning;
    private long _lastCompleted;

    public SessionSweeper(SessionTable sessions, IOptions<GatewayOptions> options, GatewayMetrics metrics, TimeProvider time, DrainState drain, ILogger<SessionSweeper> logger)
    {
        _sessions = sessions;
        _time = time;
        _drain = drain;
        _logger = logger;
        _interval = options.Value.Bosh.TimerResolution;
        _lateWarning = TimeSpan.FromTicks(Math.Max(4 * _interval.Ticks, TimeSpan.FromSeconds(1).Ticks));
        _lastCompleted = time.GetTimestamp();
        metrics.Observe("boshgateway.sweeper.lag", "s", "Time since the session sweeper last completed a sweep; far above its interval means timers are stuck.",
            () => _time.GetElapsedTime(LastCompleted).TotalSeconds);
    }

    /// <summary>When the last sweep completed (<see cref="TimeProvider.GetTimestamp"/>), for liveness.</summary>
    public long LastCompleted => Volatile.Read(ref _lastCompleted);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // End sessions as soon as the shutdown grace is over, while the server still listens.
        using var closed = _drain.Closed.Register(EndAll);
        using var timer = new PeriodicTimer(_interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // Reported past a few intervals (at least a second), as Kestrel's heartbeat does: a busy
                // machine delays a tick now and then, a stuck or starved loop delays them all.
                var late = _time.GetElapsedTime(LastCompleted) - _interval;
                if (late > _lateWarning)
                {
                    Log.SweepLate(_logger, late.TotalMilliseconds, _interval.TotalMilliseconds);
                }
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One pass over all _sessions.</summary>
    public void Sweep()
    {
        foreach (var session in _sessions.All)
        {
            try
            {
                session.OnTick();
            }
            catch (Exception ex)
            {
                Log.TickFailed(_logger, session.Info.Sid, ex);
            }
        }
        Volatile.Write(ref _lastCompleted, _time.GetTimestamp());
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        EndAll();
        await base.StopAsync(cancellationToken);
    }

    private void EndAll()
    {
        var count = 0;
        foreach (var session in _sessions.All)
        {
            try
            {
                session.EndUnplanned(SessionEndReason.Shutdown);
                count++;
            }
            catch (Exception ex)
            {
                Log.TickFailed(_logger, session.Info.Sid, ex);
            }
        }
        if (count > 0)
        {
            Log.ShutdownEnded(_logger, count);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SessionTickFailed, EventName = nameof(EventIds.SessionTickFailed), Level = LogLevel.Error, Message = "Timer processing failed for session {Sid}")]
        public static partial void TickFailed(ILogger logger, string sid, Exception exception);

        [LoggerMessage(EventId = EventIds.SessionsShutDown, EventName = nameof(EventIds.SessionsShutDown), Level = LogLevel.Information, Message = "Ended {Count} sessions with system-shutdown")]
        public static partial void ShutdownEnded(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.SweepLate, EventName = nameof(EventIds.SweepLate), Level = LogLevel.Warning, Message = "Session sweep started {LateMs:0} ms late (interval {IntervalMs:0} ms): timers of every session were delayed")]
        public static partial void SweepLate(ILogger logger, double lateMs, double intervalMs);
    }
}
