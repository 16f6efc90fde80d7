using BoshGateway.Configuration;
using OpenTelemetry;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace BoshGateway.Telemetry;

/// <summary>
/// OpenTelemetry for the gateway: its own meter and activity source plus the framework's
/// (<c>Microsoft.AspNetCore.Hosting</c>, <c>Microsoft.AspNetCore.Server.Kestrel</c>, <c>System.Net.Http</c>,
/// <c>System.Runtime</c>), exported to a Prometheus scrape endpoint (<c>Gateway:Telemetry</c>) and, when
/// the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, metrics, traces and logs over OTLP.
/// </summary>
internal static class TelemetryServiceCollectionExtensions
{
    public static readonly string[] FrameworkMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http", "System.Runtime"];

    public static WebApplicationBuilder AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<GatewayMetrics>();
        var telemetry = builder.Configuration.GetSection($"{GatewayOptions.SectionName}:Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        if (!telemetry.PrometheusEnabled && !otlp)
        {
            return builder;
        }
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService("boshgateway"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewayMetrics.MeterName).AddMeter(FrameworkMeters);
                if (telemetry.PrometheusEnabled)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            otel.WithTracing(tracing => tracing
                    .AddSource(GatewayActivitySource.Name)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation())
                .WithLogging(logging => { }, options =>
                {
                    options.IncludeScopes = true;
                    options.IncludeFormattedMessage = true;
                })
                .UseOtlpExporter();
        }
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayTelemetry(this IEndpointRouteBuilder endpoints, GatewayOptions options)
    {
        if (options.Telemetry.PrometheusEnabled)
        {
            endpoints.MapPrometheusScrapingEndpoint(options.Telemetry.PrometheusPath);
        }
        return endpoints;
    }
}
