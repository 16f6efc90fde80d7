using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BoshGateway.Health;

/// <summary>Readiness: unhealthy (HTTP 503) from the moment the node starts stopping, so the balancer sends nobody new.</summary>
internal sealed class DrainingHealthCheck(IHostApplicationLifetime lifetime) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(lifetime.ApplicationStopping.IsCancellationRequested
            ? HealthCheckResult.Unhealthy("draining")
            : HealthCheckResult.Healthy());
}
