namespace BoshGateway.Configuration;

/// <summary>XEP-0156 host-meta (<c>Gateway:Discovery</c>). Unset URLs are built from <c>Gateway:PublicBaseUrl</c> or the request.</summary>
public sealed class DiscoveryOptions
{
    /// <summary>The BOSH URL to advertise, e.g. <c>https://chat.example.org/http-bind</c>.</summary>
    public string? BoshUrl { get; set; }

    /// <summary>The WebSocket URL to advertise, e.g. <c>wss://chat.example.org/xmpp-websocket</c>.</summary>
    public string? WebSocketUrl { get; set; }
}
