using BoshGateway.Protocol.Xml;

namespace BoshGateway.Backend;

/// <summary>What a backend stream reports to its session, in stream order, from its read loop.</summary>
public interface IBackendEvents
{
    /// <summary>The server's stream header (again after each restart).</summary>
    void OnBackendHeader(XmlStreamHeader header);

    /// <summary>A complete top-level element from the server.</summary>
    void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces);

    /// <summary>The stream ended: <c>&lt;/stream:stream&gt;</c> (error null), or the connection failed.</summary>
    void OnBackendClosed(Exception? failure);
}
