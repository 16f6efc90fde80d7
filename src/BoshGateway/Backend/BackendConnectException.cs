namespace BoshGateway.Backend;

/// <summary>The backend could not be reached or refused the stream.</summary>
public sealed class BackendConnectException : Exception
{
    public BackendConnectException(string message, ReadOnlyMemory<byte>? streamError = null, Exception? inner = null) : base(message, inner)
        => StreamError = streamError;

    public BackendConnectException() : this("backend connection failed") { }

    public BackendConnectException(string message) : this(message, null, null) { }

    public BackendConnectException(string message, Exception inner) : this(message, null, inner) { }

    /// <summary>The server's <c>&lt;stream:error/&gt;</c> from the handshake, self-contained, ready for the client.</summary>
    public ReadOnlyMemory<byte>? StreamError { get; }
}
