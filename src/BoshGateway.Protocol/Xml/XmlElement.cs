using System.Text;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// One complete top-level element (a stanza, features, SASL element, ...) exactly as it was received,
/// with what routing and namespace fix-ups need: its name, namespace, start-tag attributes and the
/// prefixes it uses but inherits from the root (<see cref="InheritedPrefixes"/>).
/// </summary>
public sealed class XmlElement
{
    internal XmlElement(byte[] raw, string qualifiedName, string namespaceUri, XmlAttribute[] attributes, string[] inheritedPrefixes)
    {
        Raw = raw;
        QualifiedName = qualifiedName;
        NamespaceUri = namespaceUri;
        Attributes = attributes;
        InheritedPrefixes = inheritedPrefixes;
        LocalName = XmlNames.LocalName(qualifiedName);
    }

    /// <summary>The element's bytes as received (UTF-8, validated).</summary>
    public ReadOnlyMemory<byte> Raw { get; }

    public string QualifiedName { get; }

    public string LocalName { get; }

    public string NamespaceUri { get; }

    /// <summary>Start-tag attributes, namespace declarations included, values decoded.</summary>
    public IReadOnlyList<XmlAttribute> Attributes { get; }

    /// <summary>Prefixes used inside the element that only the root declares ("" is the default namespace).</summary>
    public IReadOnlyList<string> InheritedPrefixes { get; }

    /// <summary>Offset in <see cref="Raw"/> just past the element's qualified name in its start tag.</summary>
    public int NameEnd => 1 + Encoding.UTF8.GetByteCount(QualifiedName);

    public string? GetAttribute(string name) => XmlAttribute.Find(Attributes, name);

    /// <summary>True when this is one of the three stanza kinds in <c>jabber:client</c>.</summary>
    public bool IsStanza(string contentNamespace = XmlNames.JabberClient) =>
        NamespaceUri == contentNamespace && LocalName is "message" or "presence" or "iq";

    public bool Is(string localName, string namespaceUri) => LocalName == localName && NamespaceUri == namespaceUri;

    public override string ToString() => Encoding.UTF8.GetString(Raw.Span);
}
