using System.Net;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Sessions;

/// <summary>
/// How every session of both transports starts and ends: <see cref="TryAdmit"/> (per-address cap),
/// <see cref="ConnectAsync"/> (the backend stream through <see cref="IBackendConnector"/>),
/// <see cref="Add"/> (the live table), <see cref="Started"/>, <see cref="End"/> exactly once with a <see cref="SessionEndReason"/>
/// (address slot given back, one structured end line), and <see cref="Forget"/> (out of the table and
/// the directory). Telemetry, drain and fencing hook in here. Nothing here blocks or takes a session lock:
/// sessions call <see cref="End"/> and <see cref="Forget"/> with their own lock held.
/// </summary>
public sealed partial class SessionLifecycle(
    SessionTable table,
    ISessionDirectory directory,
    ClientAddressLimiter addresses,
    IBackendConnector connector,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private readonly ILogger _logger = loggers.CreateLogger<SessionLifecycle>();
    private readonly TimeSpan _startTimeout = options.Value.Bosh.SessionStartTimeout;
    private readonly bool _observed = ObserveGauges(metrics, addresses, directory, options.Value);

    private static bool ObserveGauges(GatewayMetrics metrics, ClientAddressLimiter addresses, ISessionDirectory directory, GatewayOptions options)
    {
        metrics.Observe("boshgateway.client_address.sessions", "{session}", "The most sessions one client address holds (alert when near Gateway:MaxSessionsPerClientAddress).", () => addresses.Busiest);
        metrics.Observe("boshgateway.client_address.session_limit", "{session}", "Gateway:MaxSessionsPerClientAddress.", () => options.MaxSessionsPerClientAddress);
        metrics.Observe("boshgateway.directory.available", "1", "1 while the session directory (Redis) can be reached, else 0 (always 1 without Redis).", () => directory.IsAvailable ? 1 : 0);
        return true;
    }

    public SessionTable Table => table;

    public TimeProvider Time => time;

    /// <summary>Takes a per-address slot for a new session; null (and a warning) when the address holds the most it may.</summary>
    public SessionInfo? TryAdmit(SessionTransport transport, IPAddress? client, string sid)
    {
        if (!addresses.TryAcquire(client))
        {
            Log.TooManySessions(_logger, transport, client?.ToString() ?? "unknown");
            metrics.SessionRejected(transport, RejectionReason.AddressCap);
            return null;
        }
        metrics.SessionStarted(transport);
        return new SessionInfo(sid, transport, client, time.GetTimestamp(), metrics.Traffic(transport));
    }

    /// <summary>Counts a new session refused before it was admitted (origin, draining, directory, bad request).</summary>
    public void Reject(SessionTransport transport, RejectionReason reason) => metrics.SessionRejected(transport, reason);

    /// <summary>A session admitted but never started (its backend or directory failed): give its slot back, write no end line.</summary>
    public void Abandon(SessionInfo info)
    {
        if (info.TryMarkEnded())
        {
            addresses.Release(info.ClientAddress);
            metrics.SessionAbandoned(info.Transport);
            if (info.Transport == SessionTransport.Bosh)
            {
                directory.Remove(info.Sid);
            }
        }
    }

    /// <summary>Opens the backend stream within <c>Gateway:Bosh:SessionStartTimeout</c>; never throws for a server-side failure.</summary>
    /// <exception cref="OperationCanceledException">The client went away (<paramref name="cancellationToken"/>).</exception>
    public async Task<BackendConnectResult> ConnectAsync(SessionInfo info, BackendTarget target, string? language, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_startTimeout);
        try
        {
            return BackendConnectResult.Connected(await connector.ConnectAsync(target, language, timeout.Token));
        }
        catch (BackendConnectException ex) when (ex.StreamError is { } error)
        {
            Log.BackendRefused(_logger, info.Transport, target.Host, target.Port);
            metrics.SessionRejected(info.Transport, RejectionReason.BackendUnavailable);
            return new BackendConnectResult(null, error, ex.Message);
        }
        catch (Exception ex) when (ex is BackendConnectException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            var reason = ex is OperationCanceledException ? "timed out" : ex.Message;
            Log.BackendUnreachable(_logger, info.Transport, target.Host, target.Port, reason);
            metrics.SessionRejected(info.Transport, RejectionReason.BackendUnavailable);
            return new BackendConnectResult(null, null, reason);
        }
    }

    /// <summary>The session is live: listed for the sweeper, lookups, shutdown and drain.</summary>
    public void Add(IGatewaySession session) => table.TryAdd(session);

    /// <summary>The session's backend stream is open: the start line.</summary>
    public void Started(SessionInfo info, string domain) => Log.Started(_logger, info.Sid, info.Transport, domain);

    /// <summary>
    /// The one place a session ends: only the first call counts; it gives the address slot back and
    /// writes the end line. False for every later call.
    /// </summary>
    public bool End(IGatewaySession session, SessionEndReason reason)
    {
        var info = session.Info;
        if (!info.TryMarkEnded())
        {
            return false;
        }
        addresses.Release(info.ClientAddress);
        var duration = time.GetElapsedTime(info.StartedAt).TotalSeconds;
        metrics.SessionEnded(info.Transport, reason, duration);
        GatewayActivitySource.SessionEnded(info, reason, duration);
        Log.Ended(_logger, info.Sid, info.Transport, reason, duration, info.StanzasToServer, info.BytesToServer, info.StanzasToClient, info.BytesToClient);
        return true;
    }

    /// <summary>Out of the table and the directory: the session's last answer was handed over (or nobody came for it).</summary>
    public void Forget(IGatewaySession session)
    {
        if (table.Remove(session) && session.Info.Transport == SessionTransport.Bosh)
        {
            directory.Remove(session.Info.Sid);
        }
    }

    /// <summary>The gateway's instruments, for the parts of a session that count things of their own (held requests, rid events).</summary>
    public GatewayMetrics Metrics => metrics;

    /// <summary>A logger whose every line carries the session's sid (see <see cref="SessionLogger"/>).</summary>
    public ILogger CreateLogger<T>(SessionInfo info) => new SessionLogger(loggers.CreateLogger<T>(), info);
}
