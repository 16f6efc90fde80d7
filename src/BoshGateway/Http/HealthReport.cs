using System.Globalization;
using BoshGateway.Cluster;
using BoshGateway.Configuration;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// <c>GET /health</c>: one line of text. <c>ok</c>, or <c>degraded</c> while Redis cannot be reached
/// (sessions continue on their owners, new sessions get 503). Both answer 200: every node shares the
/// same Redis, so failing readiness on all of them at once would cut off sessions that still work.
/// </summary>
internal static class HealthReport
{
    public static IResult Write(HttpContext context, SessionTable sessions, ISessionDirectory directory, IOptions<GatewayOptions> options)
    {
        var status = directory.IsAvailable ? "ok" : "degraded";
        var line = string.Create(CultureInfo.InvariantCulture, $"{status} node={options.Value.Node.Id} bosh={sessions.BoshCount} websocket={sessions.WebSocketCount}");
        if (context.RequestServices.GetService<ClusterRouter>() is { } cluster)
        {
            line += string.Create(CultureInfo.InvariantCulture, $" redis={(directory.IsAvailable ? "connected" : "unavailable")} forwarded={cluster.Forwarded}");
        }
        return Results.Text(line + "\n");
    }
}
