using BoshGateway.Protocol.Xml;

namespace BoshGateway.Configuration;

/// <summary>The <c>Gateway</c> configuration section.</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    public BoshOptions Bosh { get; set; } = new();

    public WebSocketOptions WebSocket { get; set; } = new();

    public BackendsOptions Backends { get; set; } = new();

    /// <summary>StackExchange.Redis connection string; empty (default) keeps the session directory in memory.</summary>
    public string? Redis { get; set; }

    public NodeOptions Node { get; set; } = new();

    public ClusterOptions Cluster { get; set; } = new();

    /// <summary>True when several nodes serve as one (Redis configured).</summary>
    public bool IsClustered => !string.IsNullOrWhiteSpace(Redis);

    public DiscoveryOptions Discovery { get; set; } = new();

    /// <summary>Base URL that discovery documents advertise; default: taken from each request.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Origins allowed for CORS and WebSocket (exact <c>scheme://host[:port]</c>, or <c>*</c>). Same-origin requests are always allowed.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Most sessions (BOSH and WebSocket together) one client address may hold; more get HTTP 429. Default 500.</summary>
    public int MaxSessionsPerClientAddress { get; set; } = 500;

    /// <summary>
    /// Addresses or CIDR networks of the reverse proxies whose <c>X-Forwarded-For</c>/<c>-Proto</c> are believed
    /// (e.g. <c>127.0.0.2</c> for the shipped nginx site, which binds there). Default none: the TCP peer is the client.
    /// </summary>
    public IList<string> TrustedProxies { get; } = [];

    /// <summary>What a client may send before SASL success.</summary>
    public PreAuthOptions PreAuth { get; set; } = new();

    /// <summary>Token prebind for web applications that log their users in themselves.</summary>
    public PrebindOptions Prebind { get; set; } = new();

    /// <summary>Per-client-address rate limits beside the session cap.</summary>
    public ThrottleOptions Throttle { get; set; } = new();

    /// <summary>XML limits applied to client input and backend streams.</summary>
    public XmlLimits Limits { get; set; } = new();

    /// <summary>Serve a small page at <c>GET /</c> that explains the endpoints. Default true.</summary>
    public bool ServeIndexPage { get; set; } = true;

    /// <summary>The Converse.js demo chat page at <c>/</c>; when enabled it takes the index page's place.</summary>
    public DemoPageOptions DemoPage { get; set; } = new();

    /// <summary>Metrics export (Prometheus scrape endpoint).</summary>
    public TelemetryOptions Telemetry { get; set; } = new();

    /// <summary>
    /// On stopping, how long readiness (<c>/health</c>) fails while the node still serves everything, new
    /// sessions included, before it ends its sessions: time for the balancer to notice and send new
    /// clients elsewhere. Default 5 s; 0 ends sessions at once (nothing polls <c>/health</c>).
    /// </summary>
    public TimeSpan ShutdownGrace { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The live status page (off by default).</summary>
    public StatusPageOptions Status { get; set; } = new();
}
