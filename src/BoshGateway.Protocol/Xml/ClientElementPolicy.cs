namespace BoshGateway.Protocol.Xml;

/// <summary>What the gateway does with a top-level element a client sent (over either transport).</summary>
public enum ClientElementVerdict
{
    /// <summary>A <c>jabber:client</c> stanza or a known stream-level element: forwarded.</summary>
    Allowed,

    /// <summary><c>&lt;starttls/&gt;</c>: refused with <c>&lt;failure/&gt;</c>, then the stream is closed.</summary>
    StartTls,

    /// <summary>message, presence or iq in another namespace (<c>jabber:server</c>...): <c>invalid-namespace</c>.</summary>
    InvalidNamespace,

    /// <summary>Any other element: <c>unsupported-stanza-type</c>.</summary>
    UnsupportedStanzaType,
}

/// <summary>
/// The allow-list of top-level elements a client may send through the gateway (robustness A11, A13).
/// Stanzas must be <c>jabber:client</c>: explicitly, or by inheriting the default namespace, which
/// the server then reads as the c2s stream's <c>jabber:client</c> (over WebSocket the element has no
/// namespace of its own; in a BOSH body it inherits httpbind, and the body's default is not written
/// toward the server). A <c>jabber:server</c> stanza (or dialback) on a c2s stream would ask the
/// server to treat the client as a peer server. Besides stanzas only the stream-level protocols a
/// client legitimately speaks pass: SASL (RFC 6120 §6), SASL2 (XEP-0388, which carries Bind 2 and
/// FAST inside), stream management (XEP-0198, sm:3 and sm:2), client state indication (XEP-0352) and,
/// over WebSocket, a client's own stream error. STARTTLS is refused: the browser's TLS ends at the
/// HTTPS/WSS hop (RFC 7395, XEP-0206) and the gateway owns the TLS of its server link. Compression
/// (XEP-0138) and anything else are refused too: the gateway must be able to read what the server
/// sends back.
/// </summary>
public static class ClientElementPolicy
{
    public static ClientElementVerdict Check(XmlElement element)
    {
        var ns = InheritsDefault(element) ? XmlNames.JabberClient : element.NamespaceUri;
        var stanzaName = element.LocalName is "message" or "presence" or "iq";
        return ns switch
        {
            XmlNames.JabberClient => stanzaName ? ClientElementVerdict.Allowed : ClientElementVerdict.UnsupportedStanzaType,
            XmlNames.Tls => element.LocalName == "starttls" ? ClientElementVerdict.StartTls : ClientElementVerdict.UnsupportedStanzaType,
            XmlNames.Sasl or XmlNames.Sasl2 or XmlNames.StreamManagement or XmlNames.StreamManagement2 or XmlNames.ClientStateIndication => ClientElementVerdict.Allowed,
            XmlNames.Streams when element.LocalName == "error" => ClientElementVerdict.Allowed,
            _ => stanzaName ? ClientElementVerdict.InvalidNamespace : ClientElementVerdict.UnsupportedStanzaType,
        };
    }

    /// <summary>The refusal as an exception (its stream error and BOSH condition), or null when the element is allowed or is STARTTLS.</summary>
    public static XmlStreamException? Refusal(XmlElement element) => Check(element) switch
    {
        ClientElementVerdict.InvalidNamespace => new XmlStreamException(XmlStreamError.InvalidNamespace,
            $"<{element.LocalName}/> in namespace '{element.NamespaceUri}'; stanzas from a client must be jabber:client"),
        ClientElementVerdict.UnsupportedStanzaType => new XmlStreamException(XmlStreamError.UnsupportedStanzaType,
            $"<{element.LocalName}/> in namespace '{element.NamespaceUri}' is not something a client may send through the gateway"),
        _ => null,
    };

    /// <summary>True when the element takes its namespace from the root's default (no prefix, no xmlns of its own).</summary>
    private static bool InheritsDefault(XmlElement element) =>
        element.QualifiedName.IndexOf(':', StringComparison.Ordinal) < 0 && element.GetAttribute("xmlns") is null;
}
