namespace BoshGateway.Protocol.Xml;

/// <summary>Thrown by <see cref="XmlStreamReader"/> when the input breaks XML, restricted XML or a limit.</summary>
public sealed class XmlStreamException : Exception
{
    public XmlStreamException(XmlStreamError error, string message) : base(message) => Error = error;

    public XmlStreamException() : this(XmlStreamError.NotWellFormed, "not well-formed") { }

    public XmlStreamException(string message) : this(XmlStreamError.NotWellFormed, message) { }

    public XmlStreamException(string message, Exception inner) : base(message, inner) => Error = XmlStreamError.NotWellFormed;

    /// <summary>The class of error, for choosing the protocol's answer.</summary>
    public XmlStreamError Error { get; }

    /// <summary>The BOSH terminate condition (XEP-0124 §17.2) matching <see cref="Error"/>: a limit is a policy violation, anything else a bad request.</summary>
    public string BoshCondition => Error == XmlStreamError.PolicyViolation ? "policy-violation" : "bad-request";

    /// <summary>The XMPP stream error condition (RFC 6120 §4.9.3) matching <see cref="Error"/>.</summary>
    public string StreamErrorCondition => Error switch
    {
        XmlStreamError.RestrictedXml => "restricted-xml",
        XmlStreamError.BadFormat => "bad-format",
        XmlStreamError.UnsupportedEncoding => "unsupported-encoding",
        XmlStreamError.PolicyViolation => "policy-violation",
        XmlStreamError.InvalidNamespace => "invalid-namespace",
        XmlStreamError.UnsupportedStanzaType => "unsupported-stanza-type",
        _ => "not-well-formed",
    };
}
