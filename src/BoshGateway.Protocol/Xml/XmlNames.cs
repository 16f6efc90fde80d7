namespace BoshGateway.Protocol.Xml;

/// <summary>Well-known namespaces and small helpers on qualified names.</summary>
public static class XmlNames
{
    public const string JabberClient = "jabber:client";
    public const string Streams = "http://etherx.jabber.org/streams";
    public const string HttpBind = "http://jabber.org/protocol/httpbind";
    public const string XBosh = "urn:xmpp:xbosh";
    public const string Tls = "urn:ietf:params:xml:ns:xmpp-tls";
    public const string Sasl = "urn:ietf:params:xml:ns:xmpp-sasl";
    public const string Compress = "http://jabber.org/features/compress";
    public const string StreamErrors = "urn:ietf:params:xml:ns:xmpp-streams";
    public const string StanzaErrors = "urn:ietf:params:xml:ns:xmpp-stanzas";
    public const string Framing = "urn:ietf:params:xml:ns:xmpp-framing";
    public const string Bind = "urn:ietf:params:xml:ns:xmpp-bind";
    public const string SaslChannelBinding = "urn:xmpp:sasl-cb:0";
    public const string StreamManagement = "urn:xmpp:sm:3";
    public const string StreamManagement2 = "urn:xmpp:sm:2";
    public const string Sasl2 = "urn:xmpp:sasl:2";
    public const string ClientStateIndication = "urn:xmpp:csi:0";
    public const string Xml = "http://www.w3.org/XML/1998/namespace";

    /// <summary>True for any version of XEP-0198's namespace (<c>urn:xmpp:sm:N</c>).</summary>
    public static bool IsStreamManagement(string namespaceUri) => namespaceUri.StartsWith("urn:xmpp:sm:", StringComparison.Ordinal);

    public static string LocalName(string qualifiedName)
    {
        var colon = qualifiedName.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? qualifiedName : KnownStrings.Get(qualifiedName.AsSpan(colon + 1));
    }

    public static string Prefix(string qualifiedName)
    {
        var colon = qualifiedName.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? string.Empty : KnownStrings.Get(qualifiedName.AsSpan(0, colon));
    }
}
