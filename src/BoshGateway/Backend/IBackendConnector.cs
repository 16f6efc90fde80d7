namespace BoshGateway.Backend;

/// <summary>
/// The one place sessions get their backend stream from (<see cref="BackendConnector"/>: a warm pooled
/// stream, or a fresh one on the least-loaded server in service); session code never dials.
/// </summary>
public interface IBackendConnector
{
    /// <summary>Connects, negotiates TLS as configured and returns once the server's first usable features arrived.</summary>
    /// <exception cref="BackendConnectException">Connect, TLS or handshake failure.</exception>
    Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken);
}
