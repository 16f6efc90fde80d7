using BoshGateway.Backend;
using BoshGateway.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Backend;

/// <summary>The real connector with its real collaborators (destinations, pool, resolver), as the host wires them.</summary>
internal static class BackendTestConnectors
{
    public static DestinationResolver Resolver { get; } = new(new SrvLookup([], NullLogger<SrvLookup>.Instance));

    public static BackendConnector Create(GatewayOptions options) => Create(options, out _, out _);

    public static BackendConnector Create(GatewayOptions options, out BackendDestinations destinations, out BackendPool pool)
    {
        var wrapped = Options.Create(options);
        destinations = new BackendDestinations(wrapped);
        pool = new BackendPool(wrapped, TimeProvider.System);
        return new BackendConnector(wrapped, Sessions.TestLifecycle.Metrics(), new BackendHealth(TimeProvider.System), destinations, Resolver, pool, TimeProvider.System, NullLogger<BackendConnector>.Instance);
    }
}
