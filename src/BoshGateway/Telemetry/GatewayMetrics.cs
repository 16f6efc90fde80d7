using System.Diagnostics;
using System.Diagnostics.Metrics;
using BoshGateway.Sessions;

namespace BoshGateway.Telemetry;

/// <summary>
/// The gateway's instruments, on one <see cref="Meter"/> named <c>BoshGateway</c> created through
/// <see cref="IMeterFactory"/>, as Kestrel's own meter is built: names follow the OpenTelemetry rules
/// (unit in <c>unit</c>, never in the name), an up-down counter gets the same tags on +1 and −1, and
/// <c>Enabled</c> is checked before any tag work. The names are a contract: dashboards and alerts in
/// <c>deploy/</c> use them, and a test checks every expression there against a real Prometheus.
/// Stanzas and bytes are counted with interlocked adds per session and read by the meter when it is
/// collected (observable counters), so the relay path pays nothing more for them.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "BoshGateway";

    private static readonly KeyValuePair<string, object?> Bosh = new("boshgateway.transport", "bosh");
    private static readonly KeyValuePair<string, object?> WebSocket = new("boshgateway.transport", "websocket");

    private readonly Meter _meter;
    private readonly UpDownCounter<long> _activeSessions;
    private readonly Histogram<double> _sessionDuration;
    private readonly Counter<long> _rejectedSessions;
    private readonly UpDownCounter<long> _heldRequests;
    private readonly Counter<long> _ridEvents;
    private readonly UpDownCounter<long> _backendConnections;
    private readonly Histogram<double> _backendConnectDuration;
    private readonly Counter<long> _forwardedRequests;
    private readonly Counter<long> _poolTakes;
    private readonly Counter<long> _prebinds;
    private readonly TrafficTotals _bosh = new();
    private readonly TrafficTotals _websocket = new();

    public GatewayMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _activeSessions = meter.CreateUpDownCounter<long>("boshgateway.active_sessions", "{session}", "Sessions open on this node.");
        _sessionDuration = meter.CreateHistogram("boshgateway.session.duration", "s", "How long sessions lasted, by how they ended.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 28800, 86400] });
        _rejectedSessions = meter.CreateCounter<long>("boshgateway.rejected_sessions", "{session}", "New sessions refused before they started, by reason.");
        _heldRequests = meter.CreateUpDownCounter<long>("boshgateway.bosh.held_requests", "{request}", "BOSH requests held open (long polls).");
        _ridEvents = meter.CreateCounter<long>("boshgateway.bosh.rid_events", "{request}", "BOSH requests outside the plain in-order case, by kind.");
        meter.CreateObservableCounter("boshgateway.stanzas", ObserveStanzas, "{stanza}", "Stanzas relayed, by transport and direction.");
        meter.CreateObservableCounter("boshgateway.transferred_bytes", ObserveBytes, "By", "Bytes of XMPP relayed, by transport and direction.");
        _backendConnections = meter.CreateUpDownCounter<long>("boshgateway.backend.active_connections", "{connection}", "Open streams toward XMPP servers.");
        _backendConnectDuration = meter.CreateHistogram("boshgateway.backend.connect.duration", "s", "Time to open a stream toward the server (TCP, TLS, stream features).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15] });
        _forwardedRequests = meter.CreateCounter<long>("boshgateway.cluster.forwarded_requests", "{request}", "BOSH requests for another node's session, by outcome.");
        _poolTakes = meter.CreateCounter<long>("boshgateway.backend.pool.takes", "{stream}", "New sessions by where their server stream came from: a warm pooled one (hit) or a fresh connect (miss).");
        _prebinds = meter.CreateCounter<long>("boshgateway.prebind.requests", "{request}", "Token prebind requests by result: ok, refused (bad token or request), failed (the server or the login), unavailable.");
    }

    /// <summary>One prebind request answered with <paramref name="status"/>.</summary>
    public void Prebind(int status)
    {
        if (_prebinds.Enabled)
        {
            var result = status switch
            {
                200 => "ok",
                503 => "unavailable",
                >= 500 => "failed",
                _ => "refused",
            };
            _prebinds.Add(1, new KeyValuePair<string, object?>("boshgateway.prebind.result", result));
        }
    }

    public void PoolTake(bool hit)
    {
        if (_poolTakes.Enabled)
        {
            _poolTakes.Add(1, new KeyValuePair<string, object?>("boshgateway.pool.result", hit ? "hit" : "miss"));
        }
    }

    /// <summary>
    /// A gauge read when metrics are collected, for a component that owns the value: the sweeper's lag
    /// (<c>boshgateway.sweeper.lag</c>), the busiest client address (<c>boshgateway.client_address.sessions</c>),
    /// Redis reachability (<c>boshgateway.directory.available</c>).
    /// </summary>
    public void Observe(string name, string unit, string description, Func<double> read) => _meter.CreateObservableGauge(name, read, unit, description);

    /// <summary>Stanza and byte totals of one transport, which its sessions add to.</summary>
    public TrafficTotals Traffic(SessionTransport transport) => transport == SessionTransport.Bosh ? _bosh : _websocket;

    public void SessionStarted(SessionTransport transport)
    {
        if (_activeSessions.Enabled)
        {
            _activeSessions.Add(1, Transport(transport));
        }
    }

    public void SessionEnded(SessionTransport transport, SessionEndReason reason, double seconds)
    {
        if (_activeSessions.Enabled)
        {
            _activeSessions.Add(-1, Transport(transport));
        }
        if (_sessionDuration.Enabled)
        {
            _sessionDuration.Record(seconds, Transport(transport), new("boshgateway.session.end_reason", EndReasonName(reason)));
        }
    }

    /// <summary>An admitted session that never started (its backend or directory failed): no duration to record.</summary>
    public void SessionAbandoned(SessionTransport transport)
    {
        if (_activeSessions.Enabled)
        {
            _activeSessions.Add(-1, Transport(transport));
        }
    }

    public void SessionRejected(SessionTransport transport, RejectionReason reason)
    {
        if (_rejectedSessions.Enabled)
        {
            _rejectedSessions.Add(1, Transport(transport), new("boshgateway.rejection.reason", RejectionName(reason)));
        }
    }

    public void HeldRequestsChanged(int delta)
    {
        if (_heldRequests.Enabled)
        {
            _heldRequests.Add(delta);
        }
    }

    public void RidEvent(RidEventKind kind)
    {
        if (_ridEvents.Enabled)
        {
            _ridEvents.Add(1, new KeyValuePair<string, object?>("boshgateway.bosh.rid_event", RidEventName(kind)));
        }
    }

    public void BackendConnectionOpened(string host, int port)
    {
        if (_backendConnections.Enabled)
        {
            _backendConnections.Add(1, new("server.address", host), new("server.port", port));
        }
    }

    public void BackendConnectionClosed(string host, int port)
    {
        if (_backendConnections.Enabled)
        {
            _backendConnections.Add(-1, new("server.address", host), new("server.port", port));
        }
    }

    /// <summary>Records a connect attempt; <paramref name="errorType"/> is null when it succeeded.</summary>
    public void BackendConnect(string host, int port, TimeSpan duration, string? errorType)
    {
        if (!_backendConnectDuration.Enabled)
        {
            return;
        }
        var tags = new TagList { { "server.address", host }, { "server.port", port } };
        if (errorType is not null)
        {
            tags.Add("error.type", errorType);
        }
        _backendConnectDuration.Record(duration.TotalSeconds, tags);
    }

    public void Forwarded(ForwardingOutcome outcome)
    {
        if (_forwardedRequests.Enabled)
        {
            _forwardedRequests.Add(1, new KeyValuePair<string, object?>("boshgateway.forward.outcome", ForwardingName(outcome)));
        }
    }

    private static KeyValuePair<string, object?> Transport(SessionTransport transport) => transport == SessionTransport.Bosh ? Bosh : WebSocket;

    private IEnumerable<Measurement<long>> ObserveStanzas() =>
    [
        new(_bosh.StanzasToServer, Bosh, ToServer),
        new(_bosh.StanzasToClient, Bosh, ToClient),
        new(_websocket.StanzasToServer, WebSocket, ToServer),
        new(_websocket.StanzasToClient, WebSocket, ToClient),
    ];

    private IEnumerable<Measurement<long>> ObserveBytes() =>
    [
        new(_bosh.BytesToServer, Bosh, ToServer),
        new(_bosh.BytesToClient, Bosh, ToClient),
        new(_websocket.BytesToServer, WebSocket, ToServer),
        new(_websocket.BytesToClient, WebSocket, ToClient),
    ];

    private static readonly KeyValuePair<string, object?> ToServer = new("boshgateway.direction", "to_server");
    private static readonly KeyValuePair<string, object?> ToClient = new("boshgateway.direction", "to_client");

    internal static string EndReasonName(SessionEndReason reason) => reason switch
    {
        SessionEndReason.Normal => "normal",
        SessionEndReason.Timeout => "timeout",
        SessionEndReason.BackendClosed => "backend_closed",
        SessionEndReason.Error => "error",
        SessionEndReason.Shutdown => "shutdown",
        SessionEndReason.OwnershipLost => "ownership_lost",
        SessionEndReason.ClientGone => "client_gone",
        _ => "other",
    };

    internal static string RejectionName(RejectionReason reason) => reason switch
    {
        RejectionReason.AddressCap => "address_cap",
        RejectionReason.Unauthenticated => "unauthenticated_cap",
        RejectionReason.StartRate => "start_rate",
        RejectionReason.UnknownSidRate => "unknown_sid_rate",
        RejectionReason.Origin => "origin",
        RejectionReason.Draining => "draining",
        RejectionReason.BackendUnavailable => "backend_unavailable",
        RejectionReason.BackendBusy => "backend_busy",
        RejectionReason.DirectoryUnavailable => "directory_unavailable",
        RejectionReason.BadRequest => "bad_request",
        _ => "other",
    };

    internal static string RidEventName(RidEventKind kind) => kind switch
    {
        RidEventKind.Replayed => "replayed",
        RidEventKind.Reordered => "reordered",
        RidEventKind.OutOfWindow => "out_of_window",
        RidEventKind.ResentWhileHeld => "resent_while_held",
        RidEventKind.CutAndResent => "cut_and_resent",
        _ => "other",
    };

    internal static string ForwardingName(ForwardingOutcome outcome) => outcome switch
    {
        ForwardingOutcome.Forwarded => "forwarded",
        ForwardingOutcome.Replayed => "replayed",
        ForwardingOutcome.OwnerGone => "owner_gone",
        ForwardingOutcome.Unknown => "unknown",
        _ => "other",
    };
}
