namespace BoshGateway.Backend;

/// <summary>
/// The one place sessions get their backend stream from. Today it dials per session; a warm pool or
/// server balancing can replace it without touching session code.
/// </summary>
public interface IBackendConnector
{
    /// <summary>Connects, negotiates TLS as configured and returns once the server's first usable features arrived.</summary>
    /// <exception cref="BackendConnectException">Connect, TLS or handshake failure.</exception>
    Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken);
}
