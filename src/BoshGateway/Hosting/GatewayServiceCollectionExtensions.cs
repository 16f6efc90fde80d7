using BoshGateway.Backend;
using BoshGateway.Bosh;
using BoshGateway.Cluster;
using BoshGateway.Configuration;
using BoshGateway.Health;
using BoshGateway.Http;
using BoshGateway.Prebind;
using BoshGateway.Sessions;
using BoshGateway.StatusPage;
using BoshGateway.WebSockets;
using Microsoft.Extensions.Options;

namespace BoshGateway.Hosting;

/// <summary>Registers the gateway's services.</summary>
public static class GatewayServiceCollectionExtensions
{
    /// <summary>Registers the gateway; with <c>Gateway:Redis</c> set, also the Redis directory, node registry and forwarding.</summary>
    public static IServiceCollection AddBoshGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName).ValidateOnStart();
        services.AddSingleton<IPostConfigureOptions<GatewayOptions>, TrustedCaLoader>();
        services.AddSingleton<IPostConfigureOptions<GatewayOptions>, PrebindKeyLoader>();
        services.AddSingleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<SessionTable>();
        if (!string.IsNullOrWhiteSpace(configuration[$"{GatewayOptions.SectionName}:Redis"]))
        {
            services.AddClusterServices();
        }
        else
        {
            services.AddSingleton<ISessionDirectory, InMemorySessionDirectory>();
        }
        services.AddSingleton<BackendHealth>();
        services.AddSingleton<BackendDestinations>();
        services.AddSingleton(sp => new SrvLookup(
            SrvLookup.ParseServers(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Backends.DnsServers),
            sp.GetRequiredService<ILogger<SrvLookup>>()));
        services.AddSingleton<DestinationResolver>();
        services.AddSingleton<BackendPool>();
        services.AddSingleton<BackendConnector>();
        services.AddSingleton<IBackendConnector>(sp => sp.GetRequiredService<BackendConnector>());
        services.AddHostedService<BackendPoolService>();
        services.AddSingleton<OriginPolicy>();
        services.AddSingleton<ClientAddressLimiter>();
        services.AddSingleton<SessionLifecycle>();
        services.AddSingleton<BoshEndpoint>();
        services.AddSingleton<PrebindReplayGuard>();
        services.AddSingleton<PrebindEndpoint>();
        services.AddSingleton<XmppWebSocketEndpoint>();
        services.AddSingleton<SessionSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<SessionSweeper>());
        services.AddSingleton<DrainState>();
        services.AddHostedService<ShutdownDrain>();
        // The host's shutdown timeout (30 s unless set) bounds the whole of stopping: grant the grace and
        // the drain on top, so what it leaves for open requests to finish is what it was.
        services.AddOptions<HostOptions>().PostConfigure<IOptions<GatewayOptions>>((host, gateway) =>
        {
            if (host.ShutdownTimeout != Timeout.InfiniteTimeSpan)
            {
                host.ShutdownTimeout += gateway.Value.ShutdownGrace + ShutdownDrain.Drain;
            }
        });
        services.AddGatewayHealthChecks();
        services.AddStatusPage(configuration);
        return services;
    }

    private static void AddClusterServices(this IServiceCollection services)
    {
        services.AddHttpForwarder();
        services.AddSingleton<RedisConnection>();
        services.AddSingleton<RedisSessionDirectory>();
        services.AddSingleton<ISessionDirectory>(sp => sp.GetRequiredService<RedisSessionDirectory>());
        services.AddSingleton(sp => new ClusterSigner(sp.GetRequiredService<IOptions<GatewayOptions>>().Value.Cluster.Secret!));
        services.AddSingleton<NodeRegistry>();
        services.AddHostedService(sp => sp.GetRequiredService<NodeRegistry>());
        services.AddSingleton<OwnerForwarder>();
        services.AddSingleton<ClusterRouter>();
    }
}
