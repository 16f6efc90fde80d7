using BoshGateway.Backend;

namespace BoshGateway.Sessions;

/// <summary>
/// The outcome of opening a session's backend stream: the link, or why not. A server that refused the
/// stream sent a stream error (<see cref="StreamError"/>, passed on to the client as it is); anything
/// else (refused, unreachable, TLS, timeout) is <see cref="Failure"/>, told as <c>remote-connection-failed</c>.
/// With <see cref="RetryAfter"/> the server was not even tried (too many connects under way): BOSH answers
/// HTTP 503 with <c>Retry-After</c>, WebSocket closes with <c>resource-constraint</c>.
/// </summary>
public readonly record struct BackendConnectResult(IBackendLink? Link, ReadOnlyMemory<byte>? StreamError, string? Failure, TimeSpan? RetryAfter = null)
{
    public static BackendConnectResult Connected(IBackendLink link) => new(link, null, null);
}
