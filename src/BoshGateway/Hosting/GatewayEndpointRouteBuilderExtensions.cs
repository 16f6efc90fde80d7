using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.DemoPage;
using BoshGateway.Discovery;
using BoshGateway.Health;
using BoshGateway.Telemetry;
using BoshGateway.WebSockets;
using BoshGateway.Http;
using BoshGateway.Prebind;
using BoshGateway.Sessions;
using BoshGateway.StatusPage;
using Microsoft.Extensions.Options;

namespace BoshGateway.Hosting;

/// <summary>Maps the gateway's endpoints: BOSH, WebSocket, discovery, health, metrics, and the index page.</summary>
public static class GatewayEndpointRouteBuilderExtensions
{
    public static IEndpointRouteBuilder MapBoshGateway(this IEndpointRouteBuilder endpoints)
    {
        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<GatewayOptions>>().Value;
        var bosh = endpoints.ServiceProvider.GetRequiredService<BoshEndpoint>();
        endpoints.Map(options.Bosh.Path, bosh.HandleAsync);
        endpoints.Map(options.WebSocket.Path, endpoints.ServiceProvider.GetRequiredService<XmppWebSocketEndpoint>().HandleAsync);
        if (options.Prebind.Enabled)
        {
            endpoints.Map(options.Prebind.Path, endpoints.ServiceProvider.GetRequiredService<PrebindEndpoint>().HandleAsync);
        }
        endpoints.MapHostMeta();
        endpoints.MapGatewayHealthChecks();
        endpoints.MapGatewayTelemetry(options);
        endpoints.MapStatusPage(options);
        if (options.DemoPage.Enabled)
        {
            endpoints.MapDemoPage(options);
        }
        else if (options.ServeIndexPage)
        {
            endpoints.MapGet("/", context => InfoPage.WriteAsync(context, "BoshGateway",
                $"XMPP web connection manager. BOSH: <code>{options.Bosh.Path}</code>, WebSocket: <code>{options.WebSocket.Path}</code>, discovery: <code>/.well-known/host-meta</code>."));
        }
        return endpoints;
    }
}
