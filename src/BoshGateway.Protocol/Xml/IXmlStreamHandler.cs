namespace BoshGateway.Protocol.Xml;

/// <summary>Receives what <see cref="XmlStreamReader"/> cuts out of the byte stream, in order.</summary>
public interface IXmlStreamHandler
{
    /// <summary>The root start tag; called again for every stream restart on a backend stream.</summary>
    void OnStreamHeader(XmlStreamHeader header);

    /// <summary>A complete element directly under the root.</summary>
    void OnElement(XmlElement element);

    /// <summary>The root's end tag (<c>&lt;/stream:stream&gt;</c>, <c>&lt;/body&gt;</c>, or a self-closing root).</summary>
    void OnStreamEnd();
}
