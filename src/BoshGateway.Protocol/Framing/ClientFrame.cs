using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Framing;

/// <summary>What one client WebSocket message holds.</summary>
public enum ClientFrameKind
{
    /// <summary><c>&lt;open/&gt;</c>: open or restart the stream.</summary>
    Open,

    /// <summary><c>&lt;close/&gt;</c>: end the stream.</summary>
    Close,

    /// <summary>Any other allowed top-level element (stanza, SASL, XEP-0198...; <see cref="ClientElementPolicy"/>), forwarded as is.</summary>
    Element,

    /// <summary><c>open</c> or <c>close</c> in another namespace: an <c>invalid-namespace</c> stream error.</summary>
    MisplacedFraming,

    /// <summary><c>&lt;starttls/&gt;</c>: refused with <c>&lt;failure/&gt;</c> and the stream closed, never forwarded.</summary>
    StartTls,
}

/// <summary>One parsed client message: its kind and its element.</summary>
public sealed record ClientFrame(ClientFrameKind Kind, XmlElement Element);
