using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Sessions;
using BoshGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Sessions;

/// <summary>The real <see cref="SessionLifecycle"/> over an in-memory directory, a fake clock and a recording logger.</summary>
internal static class TestLifecycle
{
    public static SessionLifecycle Create(TimeProvider time, RecordingLoggerFactory logs, IBackendConnector? connector = null, GatewayOptions? options = null, int maxSessionsPerAddress = 500, GatewayMetrics? metrics = null)
    {
        options ??= new GatewayOptions();
        options.MaxSessionsPerClientAddress = maxSessionsPerAddress;
        var wrapped = Options.Create(options);
        return new SessionLifecycle(new SessionTable(), new InMemorySessionDirectory(), new ClientAddressLimiter(wrapped, time), connector ?? new FakeConnector(), wrapped, metrics ?? Metrics(), time, logs);
    }

    /// <summary>The gateway's instruments on a meter factory of their own (listen with a <c>MeterListener</c> or <c>MetricCollector</c>).</summary>
    public static GatewayMetrics Metrics(IMeterFactory? factory = null)
        => new(factory ?? new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());
}
