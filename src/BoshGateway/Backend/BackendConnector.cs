using System.Net.Sockets;
using BoshGateway.Configuration;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Backend;

/// <summary>
/// Dials a fresh c2s stream per session and completes the stream handshake (and STARTTLS). Every
/// attempt is measured (<c>boshgateway.backend.connect.duration</c>, with <c>error.type</c> when it
/// failed), traced (<c>backend.connect</c>, then the handshake's own spans) and reported to
/// <see cref="BackendHealth"/>.
/// </summary>
internal sealed partial class BackendConnector(IOptions<GatewayOptions> options, GatewayMetrics metrics, BackendHealth health, TimeProvider time, ILogger<BackendConnector> logger) : IBackendConnector
{
    public async Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.ConnectTimeout);
        BackendConnection? connection = null;
        try
        {
            using (var connect = GatewayActivitySource.StartBackendStep("backend.connect", target.Host, target.Port))
            {
                try
                {
                    await socket.ConnectAsync(target.Host, target.Port, timeout.Token);
                }
                catch (Exception ex)
                {
                    GatewayActivitySource.Fail(connect, ex);
                    throw;
                }
            }
            var backends = options.Value.Backends;
            connection = new BackendConnection(socket, new NetworkStream(socket, ownsSocket: true), target, options.Value.Limits, BackendStreamSettings.From(backends), metrics, logger);
            await connection.HandshakeAsync(language, timeout.Token);
            Log.Connected(logger, target.Host, target.Port, target.Domain, connection.IsTls);
            metrics.BackendConnect(target.Host, target.Port, time.GetElapsedTime(started), null);
            health.Succeeded(target);
            return connection;
        }
        catch (Exception ex)
        {
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                connection.Abort();
            }
            Log.ConnectFailed(logger, target.Host, target.Port, target.Domain, ex.Message);
            var failure = ex switch
            {
                BackendConnectException => ex,
                OperationCanceledException when !cancellationToken.IsCancellationRequested => new BackendConnectException("timed out connecting to the server", ex),
                OperationCanceledException => ex,
                _ => new BackendConnectException("cannot connect to the server: " + ex.Message, ex),
            };
            // A client that went away says nothing about the server.
            if (failure is not OperationCanceledException)
            {
                metrics.BackendConnect(target.Host, target.Port, time.GetElapsedTime(started), ErrorType(ex, cancellationToken));
                health.Failed(target, failure.Message);
            }
            throw failure;
        }
    }

    private static string ErrorType(Exception ex, CancellationToken cancellationToken) => ex switch
    {
        OperationCanceledException when !cancellationToken.IsCancellationRequested => "timeout",
        SocketException socket => socket.SocketErrorCode.ToString(),
        BackendConnectException { StreamError: not null } => "stream_error",
        BackendConnectException { InnerException: { } inner } => inner.GetType().Name,
        _ => ex.GetType().Name,
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BackendConnected, EventName = nameof(EventIds.BackendConnected), Level = LogLevel.Debug, Message = "Connected to {Host}:{Port} for {Domain} (TLS: {Tls})")]
        public static partial void Connected(ILogger logger, string host, int port, string domain, bool tls);

        [LoggerMessage(EventId = EventIds.BackendConnectFailed, EventName = nameof(EventIds.BackendConnectFailed), Level = LogLevel.Information, Message = "Cannot open a stream to {Host}:{Port} for {Domain}: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string host, int port, string domain, string reason);
    }
}
