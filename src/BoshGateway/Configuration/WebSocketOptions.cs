namespace BoshGateway.Configuration;

/// <summary>RFC 7395 endpoint settings (<c>Gateway:WebSocket</c>).</summary>
public sealed class WebSocketOptions
{
    /// <summary>Endpoint path. Default <c>/xmpp-websocket</c>.</summary>
    public string Path { get; set; } = "/xmpp-websocket";
}
