using System.Net.Sockets;
using BoshGateway.Configuration;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Backend;

/// <summary>
/// Gives each new session its backend stream: a warm one from <see cref="BackendPool"/> when one is
/// ready, else a fresh one on the destination in service with the lowest load (then the next, if that
/// fails). At most <c>Gateway:Backends:MaxConnectsInFlight</c> connects run per destination; a start that
/// waits longer than <c>ConnectQueueTimeout</c> for a slot is refused with <see cref="BackendConnectException.RetryAfter"/>.
/// Every attempt is measured (<c>boshgateway.backend.connect.duration</c>, with <c>error.type</c> when it
/// failed), traced (<c>backend.connect</c>, then the handshake's own spans) and reported to
/// <see cref="BackendHealth"/> and the destination's health.
/// </summary>
internal sealed partial class BackendConnector(
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    BackendHealth health,
    BackendDestinations destinations,
    DestinationResolver resolver,
    BackendPool pool,
    TimeProvider time,
    ILogger<BackendConnector> logger) : IBackendConnector
{
    public async Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken)
    {
        var candidates = await resolver.ResolveAsync(target, cancellationToken);
        // A stream whose PROXY header names this client cannot have been opened ahead of it.
        if (!target.ProxyProtocol)
        {
            if (pool.TryTake(target.Domain, language, candidates) is { } warm)
            {
                metrics.PoolTake(hit: true);
                warm.CountAsSession();
                return warm;
            }
            metrics.PoolTake(hit: false);
        }
        List<string>? tried = null;
        BackendConnectException? last = null;
        while (destinations.Choose(candidates, tried) is { } destination)
        {
            (tried ??= []).Add(destination.Key);
            try
            {
                var connection = await OpenAsync(destination.Aim(target), destination, language, cancellationToken);
                connection.CountAsSession();
                if (!target.ProxyProtocol)
                {
                    pool.NoteDemand(target.Domain);
                }
                return connection;
            }
            catch (BackendConnectException ex) when (ex.RetryAfter is null && !ex.ConcernsDomain && !cancellationToken.IsCancellationRequested)
            {
                last = ex; // try the next destination, if there is one in service
            }
        }
        if (last is not null)
        {
            throw last;
        }
        var reasons = string.Join("; ", candidates.Select(c => $"{c.Key}: {destinations.Get(c).LastFailure ?? "out of service"}"));
        Log.NoDestination(logger, target.Domain, reasons);
        throw new BackendConnectException($"no server for {target.Domain} is in service ({reasons})");
    }

    /// <summary>Opens one stream to one destination (for a session, the pool or a health check).</summary>
    internal async Task<BackendConnection> OpenAsync(BackendTarget target, BackendDestination destination, string? language, CancellationToken cancellationToken)
    {
        var backends = options.Value.Backends;
        if (!await destination.EnterConnectAsync(backends.ConnectQueueTimeout, cancellationToken))
        {
            if (destination.ShouldTellBusy(time.GetTimestamp(), time.TimestampFrequency * 10))
            {
                Log.ConnectQueueFull(logger, target.Host, target.Port, target.Domain, backends.MaxConnectsInFlight);
            }
            throw new BackendConnectException($"too many connects to {destination.Key} under way") { RetryAfter = RetryAfter(backends) };
        }
        destination.Use(target.Domain);
        var started = time.GetTimestamp();
        try
        {
            var connection = await DialAsync(target, language, cancellationToken);
            connection.Destination = destination;
            if (destination.Succeeded(time.GetTimestamp()))
            {
                Log.DestinationBack(logger, destination.Key);
            }
            return connection;
        }
        catch (BackendConnectException ex) when (!ex.ConcernsDomain && !(ex.TimedOut && destination.AnsweredSince(started)))
        {
            // (A timeout while other connects to the same server completed is a busy server, e.g. in a
            // reconnect storm, not a dead one: taking it out would refuse everyone until its health check.)
            if (destination.Failed(ex.Message, time.GetTimestamp(), time, backends.RetryBackoff, backends.MaxRetryBackoff))
            {
                Log.DestinationOut(logger, destination.Key, target.Domain, ex.Message);
            }
            throw;
        }
        finally
        {
            destination.ExitConnect();
        }
    }

    /// <summary>The queue's own wait, at most 5 s: the client has already waited that long once.</summary>
    private static TimeSpan RetryAfter(BackendsOptions backends) =>
        TimeSpan.FromSeconds(Math.Clamp(Math.Ceiling(backends.ConnectQueueTimeout.TotalSeconds), 1, 5));

    private async Task<BackendConnection> DialAsync(BackendTarget target, string? language, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        // After the connect (whose token also ends a slow name lookup), the deadline and a caller that goes away
        // dispose the socket rather than ride on each read and write: a socket keeps the registration of its last
        // pending read's token in a cached operation for as long as it lives, and with it the token sources behind
        // it, so a token passed to the handshake's reads would stay on the heap for the whole session.
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(target.ConnectTimeout);
        var closeOnTimeout = timeout.Token.UnsafeRegister(static s => ((Socket)s!).Dispose(), socket);
        BackendConnection? connection = null;
        try
        {
            using (var connect = GatewayActivitySource.StartBackendStep("backend.connect", target.Host, target.Port))
            {
                try
                {
                    await socket.ConnectAsync(target.Host, target.Port, timeout.Token);
                    if (target.ProxyProtocol)
                    {
                        await socket.SendAsync(ProxyProtocolHeader.Create(target.Client, 0, (System.Net.IPEndPoint)socket.RemoteEndPoint!));
                    }
                }
                catch (Exception ex)
                {
                    GatewayActivitySource.Fail(connect, ex);
                    throw;
                }
            }
            var backends = options.Value.Backends;
            connection = new BackendConnection(socket, new NetworkStream(socket, ownsSocket: true), target, options.Value.Limits, BackendStreamSettings.From(backends), metrics, logger);
            await connection.HandshakeAsync(language);
            if (!closeOnTimeout.Unregister())
            {
                throw new OperationCanceledException(timeout.Token); // the deadline passed as the handshake ended: the socket is gone
            }
            Log.Connected(logger, target.Host, target.Port, target.Domain, connection.IsTls);
            metrics.BackendConnect(target.Host, target.Port, time.GetElapsedTime(started), null);
            health.Succeeded(target);
            return connection;
        }
        catch (Exception ex)
        {
            closeOnTimeout.Unregister();
            if (connection is null)
            {
                socket.Dispose();
            }
            else
            {
                connection.Abort();
            }
            var timedOut = timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested;
            Log.ConnectFailed(logger, target.Host, target.Port, target.Domain, timedOut ? "timed out" : ex.Message);
            var failure = ex switch
            {
                _ when cancellationToken.IsCancellationRequested => new OperationCanceledException(cancellationToken),
                _ when timedOut => new BackendConnectException("timed out connecting to the server", ex) { TimedOut = true },
                BackendConnectException => ex,
                OperationCanceledException => ex,
                _ => new BackendConnectException("cannot connect to the server: " + ex.Message, ex),
            };
            // A client that went away says nothing about the server.
            if (failure is not OperationCanceledException)
            {
                metrics.BackendConnect(target.Host, target.Port, time.GetElapsedTime(started), ErrorType(ex, timedOut));
                health.Failed(target, failure.Message);
            }
            throw failure;
        }
    }

    private static string ErrorType(Exception ex, bool timedOut) => ex switch
    {
        _ when timedOut => "timeout",
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

        [LoggerMessage(EventId = EventIds.BackendDestinationOut, EventName = nameof(EventIds.BackendDestinationOut), Level = LogLevel.Warning, Message = "Backend {Destination} taken out of service (for {Domain}: {Reason}); a health check will try it again")]
        public static partial void DestinationOut(ILogger logger, string destination, string domain, string reason);

        [LoggerMessage(EventId = EventIds.BackendDestinationBack, EventName = nameof(EventIds.BackendDestinationBack), Level = LogLevel.Information, Message = "Backend {Destination} answers again: back in service")]
        public static partial void DestinationBack(ILogger logger, string destination);

        [LoggerMessage(EventId = EventIds.BackendConnectQueueFull, EventName = nameof(EventIds.BackendConnectQueueFull), Level = LogLevel.Warning, Message = "New sessions for {Domain} refused with 503: {MaxInFlight} connects to {Host}:{Port} already under way (Gateway:Backends:MaxConnectsInFlight; logged at most every 10 s, counted in boshgateway.rejected_sessions)")]
        public static partial void ConnectQueueFull(ILogger logger, string host, int port, string domain, int maxInFlight);

        [LoggerMessage(EventId = EventIds.BackendNoDestination, EventName = nameof(EventIds.BackendNoDestination), Level = LogLevel.Debug, Message = "New session for {Domain} refused at once: no server is in service ({Reasons})")]
        public static partial void NoDestination(ILogger logger, string domain, string reasons);
    }
}
