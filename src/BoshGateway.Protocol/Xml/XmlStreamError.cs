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
}
