using BoshGateway.Backend;

namespace BoshGateway.Sessions;

/// <summary>
/// The outcome of opening a session's backend stream: the link, or why not. A server that refused the
/// stream sent a stream error (<see cref="StreamError"/>, passed on to the client as it is); anything
/// else (refused, unreachable, TLS, timeout) is <see cref="Failure"/>, told as <c>remote-connection-failed</c>.
/// </summary>
public readonly record struct BackendConnectResult(IBackendLink? Link, ReadOnlyMemory<byte>? StreamError, string? Failure)
{
    public static BackendConnectResult Connected(IBackendLink link) => new(link, null, null);
}
