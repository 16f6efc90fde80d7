using BoshGateway.Configuration;
using BoshGateway.Sessions;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// Stopping, in order: readiness (<c>/health</c>) fails at once while the node goes on serving
/// everything, new sessions included, for <c>Gateway:ShutdownGrace</c> (the balancer may not have
/// noticed yet, and refusing what it still sends would be an error a user sees); then every session
/// ends (<see cref="DrainState.Closed"/>: BOSH <c>system-shutdown</c>, WebSocket <c>see-other-uri</c> or
/// <c>system-shutdown</c>) and new ones are refused (<see cref="ShutdownGate"/>); then the gateway waits,
/// for at most <see cref="Drain"/>, until every ended session has been collected. A BOSH client between
/// two requests at that moment (its held request just answered, often by the unavailable presence of a
/// user whose session ended first) has no request to receive the <c>system-shutdown</c> on: the session
/// keeps that answer for its next request, and without the wait the client would meet a refused
/// connection, which Strophe.js retries quietly for half a minute with the page still showing the user
/// online. Each WebSocket finishes its close handshake meanwhile.
/// </summary>
/// <remarks>
/// Stopping reaches here two ways. On SIGTERM or Ctrl-C the host raises
/// <see cref="IHostApplicationLifetime.ApplicationStopping"/> first and calls
/// <see cref="IHostedLifecycleService.StoppingAsync"/> after; on <c>IHost.StopAsync</c> it is the other way
/// round. Whichever comes first starts the one sequence, and StoppingAsync waits for it: the web server
/// stops only after it, so it still listens throughout. The host's <see cref="HostOptions.ShutdownTimeout"/>
/// is raised by the grace and the drain (<see cref="Hosting.GatewayServiceCollectionExtensions"/>), so its
/// remainder is still there for open requests to finish; should it run out anyway, the grace is cut short.
/// </remarks>
internal sealed partial class ShutdownDrain(
    SessionTable sessions, DrainState state, IHostApplicationLifetime lifetime, IOptions<GatewayOptions> options, TimeProvider time, ILogger<ShutdownDrain> logger)
    : IHostedLifecycleService, IDisposable
{
    internal static readonly TimeSpan Drain = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _grace = options.Value.ShutdownGrace;
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _hurry = new();
    private CancellationTokenRegistration _onStopping;

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        _onStopping = lifetime.ApplicationStopping.Register(Begin);
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        Begin();
        // The host's shutdown timeout running out cuts the grace (and the drain) short.
        using var hurry = cancellationToken.Register(() => _hurry.Cancel());
        await _done.Task;
    }

    /// <summary>Starts the sequence once; with no grace, the sessions are ended before this returns.</summary>
    private void Begin()
    {
        if (state.BeginDraining())
        {
            _ = RunAsync();
        }
    }

    private async Task RunAsync()
    {
        try
        {
            Log.GraceStarted(logger, _grace.TotalSeconds);
            if (_grace > TimeSpan.Zero)
            {
                await DelayAsync(_grace);
            }
            // Its callbacks end every session (SessionSweeper); the gate refuses new ones from here on.
            state.Close();
            var deadline = time.GetTimestamp() + (long)(Drain.TotalSeconds * time.TimestampFrequency);
            // Ended sessions leave the table once their last answer is taken (BOSH) or their close handshake is done (WebSocket).
            while (sessions.Count > 0 && time.GetTimestamp() < deadline && !_hurry.IsCancellationRequested)
            {
                await DelayAsync(TimeSpan.FromMilliseconds(20));
            }
        }
        finally
        {
            _done.TrySetResult();
        }
    }

    private async Task DelayAsync(TimeSpan delay)
    {
        try
        {
            await Task.Delay(delay, time, _hurry.Token);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        _onStopping.Dispose();
        // Not disposed: a registration on the host's token may still cancel it.
        _hurry.Cancel();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ShutdownGraceStarted, EventName = nameof(EventIds.ShutdownGraceStarted), Level = LogLevel.Information,
            Message = "Stopping: readiness failing, ending sessions in {GraceSeconds:0.#} s")]
        public static partial void GraceStarted(ILogger logger, double graceSeconds);
    }
}
