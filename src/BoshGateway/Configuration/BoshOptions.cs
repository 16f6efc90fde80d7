namespace BoshGateway.Configuration;

/// <summary>BOSH endpoint and session parameters (<c>Gateway:Bosh</c>). Defaults follow Prosody's mod_bosh.</summary>
public sealed class BoshOptions
{
    /// <summary>Endpoint path. Default <c>/http-bind</c>.</summary>
    public string Path { get; set; } = "/http-bind";

    /// <summary>Longest <c>wait</c> granted; a client asking more gets this. Default 60 s.</summary>
    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Longest time without a request before the session ends. Default 60 s.</summary>
    public TimeSpan Inactivity { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Shortest allowed interval between empty requests of a polling session. Default 5 s.</summary>
    public TimeSpan Polling { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest <c>pause</c> a client may ask for. Default 120 s.</summary>
    public TimeSpan MaxPause { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>Most requests held per session; <c>requests</c> is this plus one. Default 1.</summary>
    public int MaxHold { get; set; } = 1;

    /// <summary>
    /// Most bytes the server's elements may take while they wait for the client's next request; past it the
    /// gateway stops reading from the server (its TCP window fills) until the client takes them. Default 1 MiB.
    /// </summary>
    public int MaxQueuedBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// Most time a client may take none of a large answer (written in 64 KiB pieces) before its connection is closed,
    /// like nginx's <c>send_timeout</c>; the session keeps the answer for a repeated rid. Default 30 s.
    /// </summary>
    public TimeSpan SendTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Largest request body in bytes (after decompression). Default 512 KiB.</summary>
    public int MaxBodyBytes { get; set; } = 512 * 1024;

    /// <summary>How often held requests and idle sessions are checked. Default 250 ms.</summary>
    public TimeSpan TimerResolution { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>Time to connect and finish the backend handshake before <c>remote-connection-failed</c>. Default 15 s.</summary>
    public TimeSpan SessionStartTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Time allowed from session creation to SASL success; then terminate <c>policy-violation</c>. Default 30 s.</summary>
    public TimeSpan PreAuthTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gzip responses of at least this many bytes when the client accepts gzip; 0 disables. Default 1024.</summary>
    public int CompressResponsesFrom { get; set; } = 1024;

    /// <summary>
    /// Least time between writing an answer that carried payload and writing the session's next answer,
    /// once the client is bound, so clients that take answers in arrival order still see them in rid order
    /// (a login never waits: it is a strict exchange). Default 20 ms; 0 disables.
    /// </summary>
    public TimeSpan AnswerSpacing { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>With client acks (XEP-0124 §9.2), report a response as missing once it was sent this long ago. Default 2 s.</summary>
    public TimeSpan ReportMissingAfter { get; set; } = TimeSpan.FromSeconds(2);
}
