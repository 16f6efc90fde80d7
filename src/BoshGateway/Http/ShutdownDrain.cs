using BoshGateway.Sessions;

namespace BoshGateway.Http;

/// <summary>
/// Stopping ends every BOSH session at once, but a client between two requests at that moment (its
/// held request just answered, often by the unavailable presence of a user whose session ended
/// first) has no request to receive the <c>system-shutdown</c> on: the session keeps that answer for
/// the client's next request. So, before the web server stops listening, the sessions are ended and
/// the gateway waits until every such session has handed its answer over (and every WebSocket has finished its close handshake), for at most
/// <see cref="Drain"/>; without this the client meets a refused connection, which Strophe.js retries
/// quietly for half a minute with the page still showing the user online. New sessions are refused
/// meanwhile (<see cref="ShutdownGate"/>).
/// </summary>
/// <remarks>
/// The host calls every <see cref="IHostedLifecycleService.StoppingAsync"/> first, then raises
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> (on which <see cref="SessionSweeper"/> ends
/// the sessions), then stops the services, the web server among them. Raising ApplicationStopping
/// here, early, ends the sessions while the server still listens; the host's own call is then a no-op.
/// </remarks>
internal sealed class ShutdownDrain(SessionTable sessions, IHostApplicationLifetime lifetime, TimeProvider time) : IHostedLifecycleService
{
    internal static readonly TimeSpan Drain = TimeSpan.FromSeconds(1);

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        lifetime.StopApplication();
        var deadline = time.GetTimestamp() + (long)(Drain.TotalSeconds * time.TimestampFrequency);
        try
        {
            // Ended sessions leave the table once their last answer is taken (BOSH) or their close handshake is done (WebSocket).
            while (sessions.Count > 0 && time.GetTimestamp() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(20), time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
