namespace BoshGateway.Configuration;

/// <summary>RFC 7395 endpoint settings (<c>Gateway:WebSocket</c>).</summary>
public sealed class WebSocketOptions
{
    /// <summary>Endpoint path. Default <c>/xmpp-websocket</c>.</summary>
    public string Path { get; set; } = "/xmpp-websocket";

    /// <summary>WebSocket ping interval; keep it well below proxies' read timeouts (nginx: 60 s). Default 30 s.</summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a ping may go unanswered before the connection is dropped. Default 60 s.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest message a client may send, in bytes. Default 256 KiB + 4 KiB of framing slack.</summary>
    public int MaxMessageBytes { get; set; } = 260 * 1024;

    /// <summary>Most frames one message may be split into (RFC 6455 §10.4; browsers send one). Default 16.</summary>
    public int MaxFragments { get; set; } = 16;

    /// <summary>Most bytes queued toward a client that does not read before the session is ended. Default 1 MiB.</summary>
    public int MaxQueuedBytes { get; set; } = 1024 * 1024;

    /// <summary>On shutdown, send clients here with <c>&lt;close see-other-uri/&gt;</c> (e.g. another node's <c>wss://</c> URL) instead of a <c>system-shutdown</c> stream error. Default none.</summary>
    public string? ShutdownRedirectUri { get; set; }

    /// <summary>Time allowed from the upgrade to SASL success. Default 30 s.</summary>
    public TimeSpan PreAuthTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
