namespace BoshGateway.Protocol.Xml;

/// <summary>Why a stream was refused; maps onto BOSH conditions and XMPP stream errors.</summary>
public enum XmlStreamError
{
    /// <summary>Syntax error: mismatched tags, bad quoting, invalid UTF-8, unbound prefix.</summary>
    NotWellFormed,

    /// <summary>RFC 6120 §11.1: a DTD, comment, processing instruction or undeclared entity.</summary>
    RestrictedXml,

    /// <summary>Character data where only elements may stand (directly in the stream or a BOSH body).</summary>
    BadFormat,

    /// <summary>An encoding other than UTF-8 was declared.</summary>
    UnsupportedEncoding,

    /// <summary>A configured limit (depth, attributes, size, name length) was exceeded.</summary>
    PolicyViolation,

    /// <summary>A stanza (message, presence, iq) in a namespace other than <c>jabber:client</c>, e.g. <c>jabber:server</c>.</summary>
    InvalidNamespace,

    /// <summary>A top-level element a client may not send through the gateway (not a stanza, nor a known stream-level element).</summary>
    UnsupportedStanzaType,
}
