namespace BoshGateway.Configuration;

/// <summary>
/// Streams opened ahead of need (<c>Gateway:Backends:Pool</c>): connected, TLS done, features received,
/// so a new session gets its features without a round trip to the server.
/// </summary>
public sealed class BackendPoolOptions
{
    /// <summary>Idle streams kept ready per domain. 0 turns the pool off. Default 2.</summary>
    public int Size { get; set; } = 2;

    /// <summary>
    /// An idle stream older than this is closed and replaced, well before a server's own timeout for
    /// unauthenticated streams (Prosody's <c>c2s_timeout</c>, 300 s by default). Default 60 s.
    /// </summary>
    public TimeSpan MaxIdle { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The <c>xml:lang</c> pooled streams are opened with; a client asking for another gets a fresh stream. Default <c>en</c>.</summary>
    public string Language { get; set; } = "en";

    /// <summary>
    /// Domains warmed from start-up, besides those listed in <c>Gateway:Backends:Domains</c> and the demo
    /// page's. Other domains get a pool after their first session.
    /// </summary>
    public IList<string> Domains { get; } = [];

    /// <summary>The most domains pooled at once (domains learned from sessions are dropped after 10 idle minutes). Default 32.</summary>
    public int MaxDomains { get; set; } = 32;
}
