namespace BoshGateway.Sessions;

/// <summary>How a client reaches the gateway.</summary>
public enum SessionTransport
{
    /// <summary>BOSH long polling (XEP-0124, XEP-0206).</summary>
    Bosh,

    /// <summary>XMPP over WebSocket (RFC 7395).</summary>
    WebSocket,
}
