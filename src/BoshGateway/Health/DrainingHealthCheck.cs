using BoshGateway.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BoshGateway.Health;

/// <summary>
/// Readiness: unhealthy (HTTP 503) from the moment the node starts stopping, so the balancer sends nobody
/// new; that is the start of <c>Gateway:ShutdownGrace</c>, before any session is ended.
/// </summary>
internal sealed class DrainingHealthCheck(DrainState drain) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(drain.IsDraining
            ? HealthCheckResult.Unhealthy("draining")
            : HealthCheckResult.Healthy());
}
