namespace BoshGateway.Configuration;

/// <summary><c>Gateway:Telemetry</c>: where metrics go. OTLP (metrics, traces, logs) is on when the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set.</summary>
public sealed class TelemetryOptions
{
    /// <summary>Serve a Prometheus scrape endpoint. Default true.</summary>
    public bool PrometheusEnabled { get; set; } = true;

    /// <summary>Path of the Prometheus scrape endpoint. Default <c>/metrics</c>.</summary>
    public string PrometheusPath { get; set; } = "/metrics";
}
