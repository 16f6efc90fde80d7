using System.Globalization;
using BoshGateway.Backend;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using BoshGateway.Telemetry;

namespace BoshGateway.Bosh;

/// <summary>
/// One BOSH session. All state is guarded by <see cref="_sync"/>, which is never held across an await
/// and never while blocking on anything: requests complete through <see cref="TaskCompletionSource{TResult}"/>s
/// (continuations run asynchronously), abort registrations are only ever <c>Unregister</c>ed under it,
/// and time is driven from outside (<see cref="OnTick"/>) by one sweeper for all sessions.
/// Split by concern: the rid window (<c>.RidWindow.cs</c>), the outbox and answers (<c>.Outbox.cs</c>),
/// the backend's events (<c>.Backend.cs</c>), timers and the end (<c>.End.cs</c>).
/// </summary>
public sealed partial class BoshSession : IBackendEvents, IGatewaySession
{
    private readonly Lock _sync = new();
    private readonly BoshSessionParameters _p;
    private readonly IBackendLink _backend;
    private readonly SessionLifecycle _lifecycle;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly long _reportAfter;

    private long _lastActivity;
    private long _inactivityTicks;
    private readonly long _preAuthTicks;
    private bool _isEnded;
    private byte[]? _terminal;
    private string? _streamId;
    private string? _streamFrom;
    private string? _streamVersion;
    private string? _boundJid;
    private bool _boundJidReported = true;

    public BoshSession(SessionInfo info, BoshSessionParameters parameters, IBackendLink backend, SessionLifecycle lifecycle, TimeSpan reportMissingAfter, ILogger logger)
    {
        Info = info;
        _p = parameters;
        _backend = backend;
        _lifecycle = lifecycle;
        _metrics = lifecycle.Metrics;
        _time = lifecycle.Time;
        _logger = logger;
        _reportAfter = Ticks(reportMissingAfter.TotalSeconds);
        _key = parameters.InitialKey;
        _nextRid = parameters.CreationRid;
        _inactivityTicks = Ticks(parameters.Inactivity);
        _preAuthTicks = Ticks(parameters.PreAuthTimeout.TotalSeconds);
        _lastActivity = _time.GetTimestamp();
    }

    public SessionInfo Info { get; }

    public string Sid => _p.Sid;

    /// <summary>Every request must come over HTTPS (<see cref="BoshSessionParameters.CreatedOverHttps"/>).</summary>
    public bool CreatedOverHttps => _p.CreatedOverHttps;

    /// <summary>True once, right after resource binding succeeded (so the directory records the JID once).</summary>
    public bool TryTakeBoundJid(out string jid)
    {
        lock (_sync)
        {
            jid = _boundJid ?? "";
            if (_boundJid is null || _boundJidReported)
            {
                return false;
            }
            _boundJidReported = true;
            return true;
        }
    }

    /// <summary>Number of requests currently held (for tests).</summary>
    public int HeldCount
    {
        get
        {
            lock (_sync)
            {
                return _held.Count;
            }
        }
    }

    /// <summary>Bytes of server elements waiting for the client's next request (for tests).</summary>
    public long OutboxBytes
    {
        get
        {
            lock (_sync)
            {
                return _outboxBytes;
            }
        }
    }

    /// <summary>Attaches the backend and builds the session creation response (XEP-0124 §7.2), features included.</summary>
    public byte[] Start()
    {
        _backend.Start(this);
        lock (_sync)
        {
            _nextRid = _p.CreationRid + 1;
            _lastAnsweredRid = _p.CreationRid;
            if (_terminal is not null)
            {
                // The server closed the stream during the handshake: this answer is the session's last.
                var terminal = _terminal;
                _terminal = null;
                _lifecycle.Forget(this);
                return terminal;
            }
            var attributes = new List<KeyValuePair<string, string>>
            {
                new("sid", _p.Sid),
                new("wait", Str(_p.Wait)),
                new("requests", Str(_p.Requests)),
                new("hold", Str(_p.Hold)),
                new("inactivity", Str(_p.Inactivity)),
                new("polling", Str(_p.Polling)),
                new("maxpause", Str(_p.MaxPause)),
                new("ver", _p.Version),
                new("from", _streamFrom ?? _p.Domain),
                new("secure", _backend.IsSecure ? "true" : "false"),
                new("accept", "gzip"),
                new("xmpp:version", _streamVersion ?? "1.0"),
                new("xmpp:restartlogic", "true"),
            };
            if (_streamId is not null)
            {
                attributes.Add(new("authid", _streamId));
            }
            if (_p.Acks)
            {
                attributes.Add(new("ack", Str(_p.CreationRid)));
            }
            var body = BoshResponseWriter.Write(attributes, _outbox, _outboxHasStreamElement, declareXmpp: true);
            ClearOutbox();
            _responses[_p.CreationRid] = new CachedResponse(body, _time.GetTimestamp(), null);
            _lastActivity = _time.GetTimestamp();
            return body;
        }
    }

    /// <summary>Handles one request of this session; completes when it is answered (XEP-0124 §8, §14).</summary>
    public Task<BoshAnswer> HandleAsync(BoshBody body, CancellationToken requestAborted)
    {
        HeldRequest request;
        lock (_sync)
        {
            if (!TryAccept(body, out request, out var immediate))
            {
                return Task.FromResult(immediate!);
            }
        }
        if (requestAborted.CanBeCanceled && !request.Completion.Task.IsCompleted)
        {
            WatchForAbort(request, requestAborted);
        }
        return request.Completion.Task;
    }

    /// <summary>
    /// The client going away answers its held request empty (<see cref="Abandon"/>). The registration is
    /// made outside the lock (an already-aborted token runs the callback at once, and the callback takes
    /// the lock), then published under the lock so <see cref="Respond"/> sees it; if the request was
    /// answered meanwhile it is unregistered here. Never disposed under the lock: Dispose waits for a
    /// running callback, which may be waiting for this very lock.
    /// </summary>
    private void WatchForAbort(HeldRequest request, CancellationToken requestAborted)
    {
        var registration = requestAborted.UnsafeRegister(static state =>
        {
            var (session, held) = ((BoshSession, HeldRequest))state!;
            session.Abandon(held);
        }, (this, request));
        bool answered;
        lock (_sync)
        {
            answered = request.Completion.Task.IsCompleted;
            if (!answered)
            {
                request.AbortRegistration = registration;
            }
        }
        if (answered)
        {
            registration.Unregister();
        }
    }

    /// <summary>The client went away while its request was held: answer it empty so queued data waits for the next request.</summary>
    private void Abandon(HeldRequest request)
    {
        lock (_sync)
        {
            if (_held.Contains(request))
            {
                NoteIfCut(request);
                Respond(request, EmptyResponse(request));
            }
        }
    }

    private long Ticks(double seconds) => (long)(seconds * _time.TimestampFrequency);

    private static string Str(long value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class HeldRequest(long rid)
    {
        public long Rid { get; } = rid;

        public TaskCompletionSource<BoshAnswer> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public long Deadline { get; set; }

        public string? Key { get; set; }

        public KeyValuePair<string, string>[]? ReportAttributes { get; set; }

        /// <summary>Written and read under the session lock only; only ever unregistered (never disposed) there.</summary>
        public CancellationTokenRegistration AbortRegistration { get; set; }
    }

    /// <summary>A request whose payload waits for room in the queue toward the server.</summary>
    private sealed record BlockedRequest(BoshBody Body, HeldRequest Request, int Bytes, long Deadline);

    private readonly record struct CachedResponse(byte[] Body, long SentAt, string? Key);
}
