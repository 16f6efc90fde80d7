using System.Net;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Xml;
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
    private static readonly TimeSpan CutWarningInterval = TimeSpan.FromMinutes(10);
    private readonly ILogger _logger = loggers.CreateLogger<SessionLifecycle>();
    private long _lastCutWarning = long.MinValue;
    private readonly TimeSpan _startTimeout = options.Value.Bosh.SessionStartTimeout;
    private readonly PreAuthOptions _preAuth = options.Value.PreAuth;
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

    /// <summary>
    /// Takes the per-address slots and start-rate token for a new session; a refusal (logged and counted) says
    /// why and, for a rate, when to try again. Every admitted session starts unauthenticated.
    /// </summary>
    public Admission TryAdmit(SessionTransport transport, IPAddress? client, string sid)
    {
        if (addresses.TryAdmit(client, out var retryAfter) is { } refused)
        {
            Log.AddressRefused(_logger, transport, client, refused);
            metrics.SessionRejected(transport, refused);
            return new Admission(null, refused, retryAfter);
        }
        metrics.SessionStarted(transport);
        return new Admission(new SessionInfo(sid, transport, client, time.GetTimestamp(), metrics.Traffic(transport)), null, null);
    }

    /// <summary>
    /// Before SASL success each element from the client counts toward <c>Gateway:PreAuth</c>: null when these
    /// may pass, else why not (the session ends with <c>policy-violation</c>). Free once authenticated.
    /// </summary>
    public string? CheckPreAuth(SessionInfo info, IReadOnlyList<XmlElement> elements)
    {
        foreach (var element in elements)
        {
            if (info.IsAuthenticated)
            {
                return null;
            }
            if (element.Raw.Length > _preAuth.MaxElementBytes)
            {
                return $"a {element.Raw.Length}-byte element before authentication (Gateway:PreAuth:MaxElementBytes)";
            }
            if (info.CountPreAuthElement() > _preAuth.MaxElements)
            {
                return $"more than {_preAuth.MaxElements} elements before authentication (Gateway:PreAuth:MaxElements)";
            }
            if (InBandRegistration.IsSubmission(element) && !addresses.TryRegister(info.ClientAddress))
            {
                return "too many in-band registrations from this address (Gateway:Throttle:RegistrationsPerHour)";
            }
        }
        return null;
    }

    /// <summary>Watches what the server sends for SASL success (RFC 6120 §6.4.6, or SASL2's).</summary>
    public void ObserveFromServer(SessionInfo info, XmlElement element)
    {
        if (!info.IsAuthenticated && element.LocalName == "success" && element.NamespaceUri is XmlNames.Sasl or XmlNames.Sasl2)
        {
            Authenticated(info);
        }
    }

    /// <summary>The server said SASL success: the session no longer counts toward its address's unauthenticated limit.</summary>
    public void Authenticated(SessionInfo info)
    {
        if (info.MarkAuthenticated())
        {
            addresses.ReleaseUnauthenticated(info.ClientAddress);
        }
    }

    /// <summary>
    /// A request named a sid nobody knows: false when its address has used up its unknown-sid
    /// budget (counted as a refusal); the caller answers 429 without looking further.
    /// </summary>
    public bool MayLookUpUnknownSid(IPAddress? client, out TimeSpan? retryAfter)
    {
        if (addresses.MayLookUpUnknownSid(client, out retryAfter))
        {
            return true;
        }
        metrics.SessionRejected(SessionTransport.Bosh, RejectionReason.UnknownSidRate);
        return false;
    }

    /// <summary>Spends one of the address's unknown-sid tokens (the answer was <c>item-not-found</c>).</summary>
    public void UnknownSid(IPAddress? client) => addresses.CountUnknownSid(client);

    /// <summary>Counts a new session refused before it was admitted (origin, draining, directory, bad request).</summary>
    public void Reject(SessionTransport transport, RejectionReason reason) => metrics.SessionRejected(transport, reason);

    /// <summary>A session admitted but never started (its backend or directory failed): give its slot back, write no end line.</summary>
    public void Abandon(SessionInfo info)
    {
        if (info.TryMarkEnded())
        {
            ReleaseSlots(info);
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
            return BackendConnectResult.Connected(await connector.ConnectAsync(target.ProxyProtocol ? target with { Client = info.ClientAddress } : target, language, timeout.Token));
        }
        catch (BackendConnectException ex) when (ex.RetryAfter is { } retryAfter)
        {
            metrics.SessionRejected(info.Transport, RejectionReason.BackendBusy);
            return new BackendConnectResult(null, null, ex.Message, retryAfter);
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
        ReleaseSlots(info);
        var duration = time.GetElapsedTime(info.StartedAt).TotalSeconds;
        metrics.SessionEnded(info.Transport, reason, duration);
        GatewayActivitySource.SessionEnded(info, reason, duration);
        Log.Ended(_logger, info.Sid, info.Transport, reason, duration, info.StanzasToServer, info.BytesToServer, info.StanzasToClient, info.BytesToClient);
        return true;
    }

    private void ReleaseSlots(SessionInfo info)
    {
        addresses.Release(info.ClientAddress);
        if (info.MarkAuthenticated())
        {
            addresses.ReleaseUnauthenticated(info.ClientAddress);
        }
    }

    /// <summary>Out of the table and the directory: the session's last answer was handed over (or nobody came for it).</summary>
    public void Forget(IGatewaySession session)
    {
        if (table.Remove(session) && session.Info.Transport == SessionTransport.Bosh)
        {
            directory.Remove(session.Info.Sid);
        }
    }

    /// <summary>
    /// A BOSH session saw a held request given up early and its rid resent (<c>BoshSession.CutRequests.cs</c>):
    /// warn, at most every <see cref="CutWarningInterval"/>, since one misconfigured proxy cuts every session's polls.
    /// Called under the session's lock: only an interlocked swap, and the log line.
    /// </summary>
    public void HeldRequestCut(double heldSeconds, long waitSeconds)
    {
        var now = time.GetTimestamp();
        var last = Volatile.Read(ref _lastCutWarning);
        if (last != long.MinValue && time.GetElapsedTime(last, now) < CutWarningInterval)
        {
            return;
        }
        if (Interlocked.CompareExchange(ref _lastCutWarning, now, last) == last)
        {
            Log.HeldRequestCut(_logger, heldSeconds, waitSeconds);
        }
    }

    /// <summary>The gateway's instruments, for the parts of a session that count things of their own (held requests, rid events).</summary>
    public GatewayMetrics Metrics => metrics;

    /// <summary>A logger whose every line carries the session's sid (see <see cref="SessionLogger"/>).</summary>
    public ILogger CreateLogger<T>(SessionInfo info) => new SessionLogger(loggers.CreateLogger<T>(), info);
}
