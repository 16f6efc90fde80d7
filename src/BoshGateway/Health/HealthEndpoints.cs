using System.Globalization;
using BoshGateway.Cluster;
using BoshGateway.Configuration;
using BoshGateway.Sessions;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace BoshGateway.Health;

/// <summary>
/// ASP.NET Core health checks: <c>/alive</c> (liveness: the checks tagged <c>live</c>, the session
/// sweeper) and <c>/health</c> (readiness: draining, Redis, backends). Both answer one line of text:
/// <c>ok</c>, <c>degraded</c> (HTTP 200) or <c>unhealthy</c> (HTTP 503), then figures and, when not ok, why.
/// </summary>
internal static class HealthEndpoints
{
    public const string Live = "live";
    public const string Ready = "ready";

    public static IServiceCollection AddGatewayHealthChecks(this IServiceCollection services)
    {
        services.AddHealthChecks()
            .AddCheck<SweeperHealthCheck>("sweeper", tags: [Live])
            .AddCheck<DrainingHealthCheck>("draining", tags: [Ready])
            .AddCheck<DirectoryHealthCheck>("redis", tags: [Ready])
            .AddCheck<BackendHealthCheck>("backend", tags: [Ready]);
        return services;
    }

    public static IEndpointRouteBuilder MapGatewayHealthChecks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapHealthChecks("/alive", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Live),
            ResponseWriter = (context, report) => WriteAsync(context, report, figures: false),
        });
        endpoints.MapHealthChecks("/health", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(Ready),
            ResponseWriter = (context, report) => WriteAsync(context, report, figures: true),
        });
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report, bool figures)
    {
        var line = report.Status switch
        {
            HealthStatus.Healthy => "ok",
            HealthStatus.Degraded => "degraded",
            _ => "unhealthy",
        };
        if (figures)
        {
            var services = context.RequestServices;
            var sessions = services.GetRequiredService<SessionTable>();
            var options = services.GetRequiredService<IOptions<GatewayOptions>>().Value;
            line += string.Create(CultureInfo.InvariantCulture, $" node={options.Node.Id} bosh={sessions.BoshCount} websocket={sessions.WebSocketCount}");
            if (services.GetService<ClusterRouter>() is { } cluster)
            {
                var redis = services.GetRequiredService<ISessionDirectory>().IsAvailable ? "connected" : "unavailable";
                line += string.Create(CultureInfo.InvariantCulture, $" redis={redis} forwarded={cluster.Forwarded}");
            }
        }
        foreach (var (name, entry) in report.Entries)
        {
            if (entry.Status != HealthStatus.Healthy)
            {
                line += $"; {name}: {entry.Description}";
            }
        }
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(line + "\n");
    }
}
