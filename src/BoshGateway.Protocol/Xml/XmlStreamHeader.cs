namespace BoshGateway.Protocol.Xml;

/// <summary>The root start tag: <c>&lt;stream:stream&gt;</c> on a TCP stream, <c>&lt;body&gt;</c> in BOSH.</summary>
public sealed class XmlStreamHeader
{
    internal XmlStreamHeader(string qualifiedName, string namespaceUri, XmlAttribute[] attributes, NamespaceMap namespaces, bool isEmpty)
    {
        QualifiedName = qualifiedName;
        NamespaceUri = namespaceUri;
        Attributes = attributes;
        Namespaces = namespaces;
        IsEmptyElement = isEmpty;
        LocalName = XmlNames.LocalName(qualifiedName);
    }

    public string QualifiedName { get; }

    public string LocalName { get; }

    public string NamespaceUri { get; }

    public IReadOnlyList<XmlAttribute> Attributes { get; }

    /// <summary>Namespace declarations of the root: prefix to URI, "" for the default namespace.</summary>
    public IReadOnlyDictionary<string, string> Namespaces { get; }

    /// <summary>True for a self-closing root (<c>&lt;body/&gt;</c>).</summary>
    public bool IsEmptyElement { get; }

    /// <summary>The value of an unprefixed attribute, or null.</summary>
    public string? GetAttribute(string name) => XmlAttribute.Find(Attributes, name);

    /// <summary>The value of an attribute in the given namespace, whatever prefix the sender chose.</summary>
    public string? GetAttribute(string localName, string namespaceUri)
    {
        foreach (var a in Attributes)
        {
            var colon = a.Name.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0 && a.Name.AsSpan(colon + 1).SequenceEqual(localName)
                && Namespaces.TryGetValue(a.Name[..colon], out var uri) && uri == namespaceUri)
            {
                return a.Value;
            }
        }
        return null;
    }
}
