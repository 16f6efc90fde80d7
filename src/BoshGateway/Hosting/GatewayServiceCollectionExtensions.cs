using BoshGateway.Backend;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Sessions;
using BoshGateway.WebSockets;
using Microsoft.Extensions.Options;

namespace BoshGateway.Hosting;

/// <summary>Registers the gateway's services.</summary>
public static class GatewayServiceCollectionExtensions
{
    public static IServiceCollection AddBoshGateway(this IServiceCollection services)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SessionTable>();
        services.AddSingleton<ISessionDirectory, InMemorySessionDirectory>();
        services.AddSingleton<IBackendConnector, BackendConnector>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<ClientAddressLimiter>();
        services.AddSingleton<BoshEndpoint>();
        services.AddSingleton<WebSocketSessionTable>();
        services.AddSingleton<XmppWebSocketEndpoint>();
        services.AddHostedService<SessionSweeper>();
        services.AddHostedService<ShutdownDrain>();
        return services;
    }
}
