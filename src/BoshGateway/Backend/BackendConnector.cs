using BoshGateway.Diagnostics;
using System.Net.Sockets;
using BoshGateway.Configuration;
using Microsoft.Extensions.Options;

namespace BoshGateway.Backend;

/// <summary>Dials a fresh c2s stream per session and completes the stream handshake (and STARTTLS).</summary>
internal sealed partial class BackendConnector(IOptions<GatewayOptions> options, ILogger<BackendConnector> logger) : IBackendConnector
{
    public async Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.ConnectTimeout);
        BackendConnection? connection = null;
        try
        {
            await socket.ConnectAsync(target.Host, target.Port, timeout.Token);
            connection = new BackendConnection(socket, new NetworkStream(socket, ownsSocket: true), target, options.Value.Limits, options.Value.Backends.KeepAliveInterval, options.Value.Backends.MaxQueuedBytes, logger);
            await connection.HandshakeAsync(language, timeout.Token);
            Log.Connected(logger, target.Host, target.Port, target.Domain, connection.IsTls);
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
            throw ex switch
            {
                BackendConnectException => ex,
                OperationCanceledException when !cancellationToken.IsCancellationRequested => new BackendConnectException("timed out connecting to the server", ex),
                OperationCanceledException => ex,
                _ => new BackendConnectException("cannot connect to the server: " + ex.Message, ex),
            };
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.BackendConnected, EventName = nameof(EventIds.BackendConnected), Level = LogLevel.Debug, Message = "Connected to {Host}:{Port} for {Domain} (TLS: {Tls})")]
        public static partial void Connected(ILogger logger, string host, int port, string domain, bool tls);

        [LoggerMessage(EventId = EventIds.BackendConnectFailed, EventName = nameof(EventIds.BackendConnectFailed), Level = LogLevel.Information, Message = "Cannot open a stream to {Host}:{Port} for {Domain}: {Reason}")]
        public static partial void ConnectFailed(ILogger logger, string host, int port, string domain, string reason);
    }
}
