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

    /// <summary><c>host:port</c> pairs a client's BOSH <c>route</c> may name. Empty (default): <c>route</c> is never dialled.</summary>
    public IList<string> AllowedRoutes { get; } = [];
}
