using BoshGateway.Sessions;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BoshGateway.Health;

/// <summary>
/// Readiness: "degraded" (still HTTP 200) while Redis cannot be reached. Sessions continue on their
/// owners and new ones get 503; every node shares the same Redis, so failing readiness on all of them
/// at once would cut off sessions that still work.
/// </summary>
internal sealed class DirectoryHealthCheck(ISessionDirectory directory) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        => Task.FromResult(directory.IsAvailable ? HealthCheckResult.Healthy() : HealthCheckResult.Degraded("redis unavailable"));
}
