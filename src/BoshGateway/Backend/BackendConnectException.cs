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

    /// <summary>
    /// Set when the server was not tried because too many connects to it were under way
    /// (<c>Gateway:Backends:MaxConnectsInFlight</c>): the client should come back after this long.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The server took longer than the connect timeout (TCP, TLS and stream open together).</summary>
    public bool TimedOut { get; init; }

    /// <summary>
    /// The server refused the stream for reasons of the domain asked for (<c>host-unknown</c>, <c>host-gone</c>,
    /// <c>improper-addressing</c>): says nothing about the server's health, and another server of the
    /// cluster would say the same.
    /// </summary>
    public bool ConcernsDomain => StreamError is { } error && DomainConditions.Any(c => error.Span.IndexOf(c) >= 0);

    private static readonly byte[][] DomainConditions = ["<host-unknown"u8.ToArray(), "<host-gone"u8.ToArray(), "<improper-addressing"u8.ToArray()];
}
