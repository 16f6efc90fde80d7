namespace BoshGateway.Configuration;

/// <summary>Backend XMPP servers (<c>Gateway:Backends</c>).</summary>
public sealed class BackendsOptions
{
    /// <summary>The server for every domain without its own entry.</summary>
    public BackendOptions Default { get; set; } = new();

    /// <summary>Per-domain overrides, keyed by the domain clients put in <c>to</c>.</summary>
    public IDictionary<string, BackendOverride> Domains { get; } = new Dictionary<string, BackendOverride>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// When false, only domains listed in <see cref="Domains"/> are served and any other <c>to</c> gets
    /// <c>host-unknown</c>. Default true: every domain goes to <see cref="Default"/>, which decides.
    /// </summary>
    public bool AllowUnlistedDomains { get; set; } = true;

    /// <summary>Send a whitespace keepalive on a backend stream idle this long (RFC 6120 §4.6.1), so NATs and firewalls keep it. Default 60 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Once the client is bound, probe a stream that has read nothing this long (XEP-0198 <c>&lt;r/&gt;</c>, else an
    /// XEP-0199 ping the client never sees), so a stopped or hung server is noticed. Default 30 s.
    /// </summary>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A probed server that sends nothing this long is taken as gone: <c>remote-connection-failed</c>. Default 20 s.</summary>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Per session, the most bytes queued toward the server before the gateway stops taking more from the
    /// client (WebSocket: stops reading; BOSH: holds the request). Default 256 KiB.
    /// </summary>
    public int MaxQueuedBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// How long a session may stay blocked on a full queue toward the server before it ends with
    /// <c>policy-violation</c> (the server is not reading). Default 30 s.
    /// </summary>
    public TimeSpan QueueFullTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Streams kept ready per domain.</summary>
    public BackendPoolOptions Pool { get; set; } = new();

    /// <summary>
    /// Per destination, the most connects (TCP, TLS, stream open) in flight at once; session starts beyond it
    /// queue for <see cref="ConnectQueueTimeout"/>, then get HTTP 503 with <c>Retry-After</c>. Default 128 (a
    /// 2,000-user reconnect storm against one Prosody: all back in 9.5–12.7 s, none refused; docs/benchmarks.md).
    /// </summary>
    public int MaxConnectsInFlight { get; set; } = 128;

    /// <summary>How long a session start may wait for a connect slot. Default 15 s (5 s refused 1,422 of 2,000 in that storm).</summary>
    public TimeSpan ConnectQueueTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// A destination that failed a connect or handshake is left out this long before a health check tries it
    /// again; each failed check doubles it, up to <see cref="MaxRetryBackoff"/>. While every destination of a domain
    /// is out, its new sessions are refused at once (<c>remote-connection-failed</c>). Default 1 s.
    /// </summary>
    public TimeSpan RetryBackoff { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest a failing destination is left out between health checks. Default 10 s.</summary>
    public TimeSpan MaxRetryBackoff { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>DNS servers for <c>Srv</c> lookups, as <c>address:port</c>. Empty (default): the system's.</summary>
    public IList<string> DnsServers { get; } = [];

    /// <summary><c>host:port</c> pairs a client's BOSH <c>route</c> may name. Empty (default): <c>route</c> is never dialled.</summary>
    public IList<string> AllowedRoutes { get; } = [];
}
