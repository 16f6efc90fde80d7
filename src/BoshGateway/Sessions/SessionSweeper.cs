using BoshGateway.Configuration;
using BoshGateway.WebSockets;
using Microsoft.Extensions.Options;

namespace BoshGateway.Sessions;

/// <summary>
/// One timer for all sessions: every <c>Gateway:Bosh:TimerResolution</c> it lets each session answer
/// held requests whose <c>wait</c> ran out and end itself after inactivity. On shutdown it ends every
/// session with <c>system-shutdown</c>.
/// </summary>
internal sealed partial class SessionSweeper(SessionTable sessions, WebSocketSessionTable sockets, IOptions<GatewayOptions> options, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<SessionSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // End sessions as soon as stopping begins, before the server waits for open requests.
        using var stopping = lifetime.ApplicationStopping.Register(EndAll);
        using var timer = new PeriodicTimer(options.Value.Bosh.TimerResolution, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                Sweep();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One pass over all sessions.</summary>
    public void Sweep()
    {
        foreach (var session in sessions.All)
        {
            try
            {
                session.OnTick();
            }
            catch (Exception ex)
            {
                Log.TickFailed(logger, session.Sid, ex);
            }
        }
        foreach (var socket in sockets.All)
        {
            socket.OnTick();
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        EndAll();
        await base.StopAsync(cancellationToken);
    }

    private void EndAll()
    {
        var count = sessions.Count + sockets.Count;
        foreach (var session in sessions.All)
        {
            session.Shutdown();
        }
        foreach (var socket in sockets.All)
        {
            socket.Shutdown();
        }
        if (count > 0)
        {
            Log.ShutdownEnded(logger, count);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1020, EventName = "SessionTickFailed", Level = LogLevel.Error, Message = "Timer processing failed for session {Sid}")]
        public static partial void TickFailed(ILogger logger, string sid, Exception exception);

        [LoggerMessage(EventId = 1021, EventName = "SessionsShutDown", Level = LogLevel.Information, Message = "Ended {Count} sessions with system-shutdown")]
        public static partial void ShutdownEnded(ILogger logger, int count);
    }
}
