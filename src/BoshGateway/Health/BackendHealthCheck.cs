using BoshGateway.Backend;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BoshGateway.Health;

/// <summary>
/// Readiness: "degraded" (still HTTP 200) when backend destinations were tried in the last few minutes
/// and none answered; the gateway itself can serve, but new sessions will fail.
/// </summary>
internal sealed class BackendHealthCheck(BackendHealth health) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (failing, answered) = health.Snapshot();
        return Task.FromResult(failing.Count > 0 && !answered
            ? HealthCheckResult.Degraded("no backend answered recently: " + string.Join(", ", failing))
            : HealthCheckResult.Healthy());
    }
}
