using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using BoshGateway.Backend;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Sessions;

/// <summary>
/// One BOSH session: the rid window, the held requests, the queue of server elements for the client,
/// and the backend stream. All state is guarded by one lock that is never held across an await;
/// requests complete through <see cref="TaskCompletionSource{TResult}"/>s, and time is driven from
/// outside (<see cref="OnTick"/>) by one sweeper for all sessions.
/// </summary>
public sealed partial class BoshSession : IBackendEvents
{
    private static readonly byte[] RecoverableError = BoshResponseWriter.Empty(new KeyValuePair<string, string>("type", "error"));
    private const int MaxCachedResponsesWithAcks = 16;

    private readonly Lock _sync = new();
    private readonly BoshSessionParameters _p;
    private readonly IBackendLink _backend;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<BoshSession, SessionEndReason> _onEnded;
    private readonly long _reportAfter;

    private long _nextRid;
    private long _lastAnsweredRid;
    private readonly List<HeldRequest> _held = [];
    private readonly SortedDictionary<long, (BoshBody Body, HeldRequest Request)> _waiting = [];
    private readonly Dictionary<long, CachedResponse> _responses = [];
    private readonly List<ReadOnlyMemory<byte>> _outbox = [];
    private readonly List<XmlElement> _outboxStanzas = [];
    private bool _streamManagement;
    private bool _outboxHasStreamElement;
    private Task<long> _lastWritten = BoshAnswer.NothingWritten;
    private string? _key;
    private long _lastActivity;
    private long _inactivityTicks;
    private long _lastEmptyPoll = long.MinValue;
    private bool _isEnded;
    private SessionEndReason _endReason;
    private byte[]? _terminal;
    private string? _streamId;
    private string? _streamFrom;
    private string? _streamVersion;
    private string? _boundJid;
    private bool _boundJidReported = true;

    public BoshSession(BoshSessionParameters parameters, IBackendLink backend, TimeProvider time, TimeSpan reportMissingAfter, ILogger logger, Action<BoshSession, SessionEndReason> ended)
    {
        _p = parameters;
        _backend = backend;
        _time = time;
        _logger = logger;
        _onEnded = ended;
        _reportAfter = Ticks(reportMissingAfter.TotalSeconds);
        _key = parameters.InitialKey;
        _nextRid = parameters.CreationRid;
        _inactivityTicks = Ticks(parameters.Inactivity);
        _lastActivity = time.GetTimestamp();
    }

    public string Sid => _p.Sid;

    /// <summary>The full JID the server bound for this session, once it did.</summary>
    public string? BoundJid
    {
        get
        {
            lock (_sync)
            {
                return _boundJid;
            }
        }
    }

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


    /// <summary>Number of requests currently held (for tests and metrics).</summary>
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
                var terminal = _terminal;
                _terminal = null;
                EndSession(SessionEndReason.BackendClosed);
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
            var now = _time.GetTimestamp();
            _lastActivity = now;
            if (_isEnded)
            {
                return Task.FromResult(BoshAnswer.Immediate(TakeTerminal()));
            }
            var rid = body.Rid;
            if (TryReplaceHeld(rid, out var replacement))
            {
                request = replacement;
            }
            else if (rid < _nextRid)
            {
                return Task.FromResult(BoshAnswer.Immediate(Replay(body) ?? Fail(BoshConditions.ItemNotFound, "rid already used and its response is gone")));
            }
            else if (rid >= _nextRid + _p.Requests)
            {
                return Task.FromResult(BoshAnswer.Immediate(Fail(BoshConditions.ItemNotFound, $"rid {rid} outside the window starting at {_nextRid}")));
            }
            else
            {
                request = new HeldRequest(rid);
                if (rid > _nextRid)
                {
                    _waiting[rid] = (body, request);
                    CheckOveractivity(body);
                }
                else
                {
                    Process(body, request, now);
                    while (!_isEnded && _waiting.Remove(_nextRid, out var next))
                    {
                        Process(next.Body, next.Request, now);
                    }
                }
            }
        }
        if (requestAborted.CanBeCanceled && !request.Completion.Task.IsCompleted)
        {
            request.AbortRegistration = requestAborted.Register(static state =>
            {
                var (session, held) = ((BoshSession, HeldRequest))state!;
                session.Abandon(held);
            }, (this, request));
        }
        return request.Completion.Task;
    }

    private void Process(BoshBody body, HeldRequest request, long now)
    {
        _nextRid = body.Rid + 1;
        if (!CheckKey(body))
        {
            Respond(request, Fail(BoshConditions.ItemNotFound, "wrong or missing key"));
            return;
        }
        request.Key = body.Attribute("key");
        if (_p.Acks && body.Number("ack") is long ack)
        {
            ApplyClientAck(ack, request, now);
        }
        _inactivityTicks = Ticks(_p.Inactivity);

        if (body.Attribute("pause") is not null)
        {
            HandlePause(body, request);
            return;
        }
        if (body.IsTerminate)
        {
            Forward(body);
            Log.ClientTerminated(_logger, _p.Sid);
            EndSession(SessionEndReason.Normal);
            // XEP-0124 §13: the oldest held request gets the terminate, others and the terminate
            // request itself an empty body. No payload after the client asked to leave: clients
            // such as StanzaJS stop reading at the terminate and fail on data that comes after it.
            var terminate = BoshResponseWriter.Terminate(null);
            while (_held.Count > 0)
            {
                Respond(_held[0], terminate);
                terminate = BoshResponseWriter.Empty();
            }
            ClearOutbox();
            Respond(request, BoshResponseWriter.Empty());
            return;
        }
        var empty = body.Children.Count == 0;
        if (body.IsRestart)
        {
            _backend.Restart(body.Attribute("xml:lang") ?? _p.Language);
        }
        else
        {
            Forward(body);
        }
        if (_p.IsPolling && empty && !body.IsRestart)
        {
            if (_lastEmptyPoll != long.MinValue && now - _lastEmptyPoll < Ticks(_p.Polling))
            {
                Respond(request, Fail(BoshConditions.PolicyViolation, "polling too frequently"));
                return;
            }
            _lastEmptyPoll = now;
        }
        if (request.Completion.Task.IsCompleted)
        {
            return;
        }
        request.Deadline = now + Ticks(_p.Wait);
        _held.Add(request);
        CheckOveractivity(body);
        if (_isEnded)
        {
            return;
        }
        Flush();
        while (_held.Count > _p.Hold)
        {
            Respond(_held[0], EmptyResponse(_held[0]));
        }
    }

    private void Forward(BoshBody body)
    {
        foreach (var child in body.Children)
        {
            _backend.Send(ElementWriter.ToSelfContained(child, body.Wrapper.Namespaces, includeDefault: false));
        }
    }

    private void HandlePause(BoshBody body, HeldRequest request)
    {
        var pause = body.Number("pause") ?? 0;
        if (pause > _p.MaxPause)
        {
            Respond(request, Fail(BoshConditions.PolicyViolation, "pause longer than maxpause"));
            return;
        }
        ReleaseAllHeld();
        _inactivityTicks = Ticks(pause);
        // XEP-0124 §10: the answer to a pause request carries no payload, and is not kept for replay.
        request.Completion.TrySetResult(BoshAnswer.Immediate(BoshResponseWriter.Empty()));
        _lastAnsweredRid = Math.Max(_lastAnsweredRid, request.Rid);
    }

    private bool CheckKey(BoshBody body)
    {
        if (_key is null)
        {
            return true;
        }
        var key = body.Attribute("key");
        if (key is null)
        {
            return false;
        }
#pragma warning disable CA5350 // XEP-0124 §15 defines the key chain with SHA-1.
        var hash = Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(key)));
#pragma warning restore CA5350
        if (!hash.Equals(_key, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }
        _key = body.Attribute("newkey") ?? key;
        return true;
    }

    private void ApplyClientAck(long ack, HeldRequest request, long now)
    {
        foreach (var rid in _responses.Keys.Where(r => r <= ack).ToList())
        {
            _responses.Remove(rid);
        }
        if (ack < _lastAnsweredRid && _responses.TryGetValue(ack + 1, out var missing) && now - missing.SentAt >= _reportAfter)
        {
            // XEP-0124 §9.2: tell the client which response it seems to have missed.
            var elapsed = (long)_time.GetElapsedTime(missing.SentAt, now).TotalMilliseconds;
            request.ReportAttributes = [new("report", Str(ack + 1)), new("time", Str(elapsed))];
        }
    }

    private void CheckOveractivity(BoshBody body)
    {
        var limit = _p.Requests + (body.IsTerminate || body.Attribute("pause") is not null ? 1 : 0);
        if (_held.Count + _waiting.Count > limit)
        {
            Log.Terminated(_logger, _p.Sid, BoshConditions.PolicyViolation, "too many requests outstanding");
            EndWith(BoshConditions.PolicyViolation, null, SessionEndReason.Error, hasCurrentRequest: false);
        }
    }

    /// <summary>Answers the oldest held request with everything queued for the client.</summary>
    private void Flush()
    {
        if (_held.Count == 0)
        {
            return;
        }
        var oldest = _held[0];
        if (_outbox.Count > 0 || oldest.ReportAttributes is not null || _p.IsPolling)
        {
            Respond(oldest, BuildResponse(oldest, withOutbox: true));
        }
    }

    private void ReleaseAllHeld()
    {
        while (_held.Count > 0)
        {
            Respond(_held[0], BuildResponse(_held[0], withOutbox: true));
        }
    }

    private byte[] EmptyResponse(HeldRequest request) => BuildResponse(request, withOutbox: false);

    private byte[] BuildResponse(HeldRequest request, bool withOutbox)
    {
        List<KeyValuePair<string, string>> attributes = [];
        if (_p.Acks && _nextRid - 1 != request.Rid)
        {
            attributes.Add(new("ack", Str(_nextRid - 1)));
        }
        if (request.ReportAttributes is not null)
        {
            attributes.AddRange(request.ReportAttributes);
        }
        if (!withOutbox || _outbox.Count == 0)
        {
            return BoshResponseWriter.Write(attributes, [], false, false);
        }
        var body = BoshResponseWriter.Write(attributes, _outbox, _outboxHasStreamElement, false);
        ClearOutbox();
        return body;
    }

    private void Respond(HeldRequest request, byte[] body)
    {
        _held.Remove(request);
        var now = _time.GetTimestamp();
        _responses[request.Rid] = new CachedResponse(body, now, request.Key);
        _lastAnsweredRid = Math.Max(_lastAnsweredRid, request.Rid);
        _lastActivity = now;
        TrimResponseCache();
        request.AbortRegistration.Dispose();
        var written = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var answer = new BoshAnswer(body, body.AsSpan().EndsWith("</body>"u8), _lastWritten, written);
        _lastWritten = written.Task;
        request.Completion.TrySetResult(answer);
    }

    private void TrimResponseCache()
    {
        // Keep the last `requests` answers for replay (XEP-0124 §14.3); with acks, those not yet acknowledged.
        var keep = _p.Acks ? MaxCachedResponsesWithAcks : _p.Requests;
        while (_responses.Count > keep)
        {
            _responses.Remove(_responses.Keys.Min());
        }
    }

    /// <summary>A repeated rid: the byte-identical earlier answer, never a second forward of its payload.</summary>
    private byte[]? Replay(BoshBody body)
    {
        if (!_responses.TryGetValue(body.Rid, out var cached))
        {
            return null;
        }
        if (_key is not null && cached.Key != body.Attribute("key"))
        {
            return Fail(BoshConditions.ItemNotFound, "replayed rid with a different key");
        }
        Log.RidReplayed(_logger, _p.Sid, body.Rid);
        return cached.Body;
    }

    /// <summary>The same rid again while the first copy is still held: answer the old copy, hold the new one (§14.3).</summary>
    private bool TryReplaceHeld(long rid, out HeldRequest replacement)
    {
        replacement = null!;
        var index = _held.FindIndex(h => h.Rid == rid);
        if (index >= 0)
        {
            var old = _held[index];
            replacement = new HeldRequest(rid) { Deadline = old.Deadline, Key = old.Key };
            _held[index] = replacement;
            old.AbortRegistration.Dispose();
            old.Completion.TrySetResult(BoshAnswer.Immediate(RecoverableError));
            return true;
        }
        if (_waiting.TryGetValue(rid, out var waiting))
        {
            replacement = new HeldRequest(rid);
            _waiting[rid] = (waiting.Body, replacement);
            waiting.Request.Completion.TrySetResult(BoshAnswer.Immediate(RecoverableError));
            return true;
        }
        return false;
    }

    /// <summary>The client went away while its request was held: answer it empty so queued data waits for the next request.</summary>
    private void Abandon(HeldRequest request)
    {
        lock (_sync)
        {
            if (_held.Contains(request))
            {
                Respond(request, EmptyResponse(request));
            }
        }
    }

    /// <summary>Ends the session with a terminal condition and returns the body for the current request.</summary>
    private byte[] Fail(string condition, string reason)
    {
        if (_isEnded)
        {
            return TakeTerminal();
        }
        Log.Terminated(_logger, _p.Sid, condition, reason);
        return EndWith(condition, null, SessionEndReason.Error, hasCurrentRequest: true);
    }

    /// <summary>The answer for a request that arrives after the session ended; the session is then forgotten.</summary>
    private byte[] TakeTerminal()
    {
        var terminal = _terminal ?? BoshResponseWriter.Terminate(BoshConditions.ItemNotFound);
        _terminal = null;
        _onEnded(this, _endReason);
        return terminal;
    }

    private void ClearOutbox()
    {
        _outbox.Clear();
        _outboxStanzas.Clear();
        _outboxHasStreamElement = false;
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

        public CancellationTokenRegistration AbortRegistration { get; set; }
    }

    private readonly record struct CachedResponse(byte[] Body, long SentAt, string? Key);
}
