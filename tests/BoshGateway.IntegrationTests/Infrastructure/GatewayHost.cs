using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using BoshGateway.Hosting;
using BoshGateway.Sessions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>The real gateway on a free loopback port, in front of a given XMPP server.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GatewayHost(WebApplication app, Uri baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public Uri BaseUrl { get; }

    public Uri BoshUrl => new(BaseUrl, "/http-bind");

    public Uri WebSocketUrl => new(new Uri(BaseUrl.ToString().Replace("http://", "ws://", StringComparison.Ordinal)), "/xmpp-websocket");

    public SessionTable Sessions => _app.Services.GetRequiredService<SessionTable>();

    public IServiceProvider Services => _app.Services;

    public static Task<GatewayHost> StartAsync(int backendPort, params string[] settings) => StartAsync(backendPort, null, settings);

    /// <summary>Starts the gateway; <paramref name="log"/>, if given, receives its BoshGateway.* log lines from Information up.</summary>
    public static Task<GatewayHost> StartAsync(int backendPort, LogCapture? log, params string[] settings) => StartAsync(backendPort, log, plainBackend: true, settings);

    /// <summary>Starts the gateway with the shipped backend TLS setting (<c>Auto</c>) rather than the tests' usual <c>Tls=None</c>.</summary>
    public static Task<GatewayHost> StartWithShippedTlsAsync(int backendPort, LogCapture? log, params string[] settings) => StartAsync(backendPort, log, plainBackend: false, settings);

    private static async Task<GatewayHost> StartAsync(int backendPort, LogCapture? log, bool plainBackend, string[] settings)
    {
        var args = new List<string>
        {
            "--urls=http://127.0.0.1:0",
            $"--Gateway:Backends:Default:Port={backendPort}",
            // As the shipped nginx site is deployed: nginx connects from 127.0.0.2, the one proxy believed.
            "--Gateway:TrustedProxies:0=127.0.0.2",
            "--Logging:LogLevel:Default=Warning",
            // No balancer polls a test gateway's /health: end sessions at once on stopping (a test that
            // wants the grace sets Gateway:ShutdownGrace again; the last value wins).
            "--Gateway:ShutdownGrace=00:00:00",
        };
        if (plainBackend)
        {
            args.Add("--Gateway:Backends:Default:Tls=None");
        }
        args.AddRange(settings.Select(s => "--" + s));
        var app = GatewayApplication.Build([.. args], builder =>
        {
            if (log is not null)
            {
                builder.Logging.AddProvider(log);
                builder.Logging.AddFilter<LogCapture>("BoshGateway", Microsoft.Extensions.Logging.LogLevel.Information);
            }
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, new Uri(address));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
