using BoshGateway.Http;
using BoshGateway.Telemetry;
using Microsoft.AspNetCore.HttpOverrides;

namespace BoshGateway.Hosting;

/// <summary>Builds the gateway application; used by Program and by tests that host it on a free port.</summary>
public static class GatewayApplication
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        // appsettings.json sits beside the binary, wherever the process is started from.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddBoshGateway(builder.Configuration);
        builder.AddGatewayTelemetry();
        // Every log line written during a request carries its trace: one request forwarded between nodes is one trace in the logs too.
        builder.Logging.Configure(o => o.ActivityTrackingOptions = ActivityTrackingOptions.TraceId | ActivityTrackingOptions.SpanId);
        // The slim builder pins the simple console formatter; Logging:Console:FormatterName (json, systemd) chooses again.
        if (builder.Configuration["Logging:Console:FormatterName"] is { Length: > 0 } formatter)
        {
            builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.FormatterName = formatter);
        }
        // Behind nginx: take the client's scheme and address from X-Forwarded-* only when the TCP peer
        // is one of Gateway:TrustedProxies (none by default, not even loopback: any local process could
        // otherwise pick the address that per-address limits count).
        builder.Services.AddOptions<ForwardedHeadersOptions>().Configure<Microsoft.Extensions.Options.IOptions<Configuration.GatewayOptions>>(
            (forwarded, gateway) => TrustedProxies.Apply(forwarded, gateway.Value.TrustedProxies));
        // Kestrel's connection limits (Kestrel:Limits:RequestHeadersTimeout, MinRequestBodyDataRate, MaxConcurrentConnections, ...)
        // from configuration: neither web builder binds them by itself, only Kestrel:Endpoints.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(builder.Configuration.GetSection("Kestrel"));
        configure?.Invoke(builder);
        var app = builder.Build();
        app.UseForwardedHeaders();
        app.WarnOnUntrustedForwarding();
        app.UseMiddleware<BoshGateway.Http.ShutdownGate>();
        app.UseWebSockets();
        app.MapBoshGateway();
        return app;
    }
}
