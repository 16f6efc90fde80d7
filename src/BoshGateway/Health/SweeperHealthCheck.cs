using BoshGateway.Configuration;
using BoshGateway.Sessions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BoshGateway.Health;

/// <summary>
/// Liveness (<c>/alive</c>): fails when the session sweeper has not completed a sweep for
/// <see cref="MissedSweeps"/> intervals (at least <see cref="MinimumStall"/>). A stuck timer loop
/// answers no BOSH <c>wait</c> and ends no session, so the process must be restarted.
/// </summary>
internal sealed class SweeperHealthCheck(SessionSweeper sweeper, IOptions<GatewayOptions> options, TimeProvider time) : IHealthCheck
{
    public const int MissedSweeps = 8;
    public static readonly TimeSpan MinimumStall = TimeSpan.FromSeconds(2);

    private readonly TimeSpan _limit = TimeSpan.FromTicks(Math.Max(options.Value.Bosh.TimerResolution.Ticks * MissedSweeps, MinimumStall.Ticks));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var since = time.GetElapsedTime(sweeper.LastCompleted);
        return Task.FromResult(since <= _limit
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"no session sweep completed for {since.TotalSeconds:0.0} s"));
    }
}
