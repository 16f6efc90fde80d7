using BoshGateway.Protocol.Xml;

namespace BoshGateway.Backend;

/// <summary>The backend could not be reached or refused the stream.</summary>
public sealed class BackendConnectException : Exception
{
    public BackendConnectException(string message, XmlElement? streamError = null, Exception? inner = null) : base(message, inner)
        => StreamError = streamError;

    public BackendConnectException() : this("backend connection failed") { }

    public BackendConnectException(string message) : this(message, null, null) { }

    public BackendConnectException(string message, Exception inner) : this(message, null, inner) { }

    /// <summary>The server's <c>&lt;stream:error/&gt;</c>, when it sent one during the handshake.</summary>
    public XmlElement? StreamError { get; }
}
