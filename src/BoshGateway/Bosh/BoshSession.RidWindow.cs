using System.Security.Cryptography;
using System.Text;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Telemetry;

namespace BoshGateway.Bosh;

// The rid window (XEP-0124 §14): in-order processing, out-of-order requests waiting, replay of
// answered rids, keys (§15), acks (§9), pause (§10), and requests waiting for room toward the server.
public sealed partial class BoshSession
{
    private static readonly byte[] RecoverableError = BoshResponseWriter.Empty(new KeyValuePair<string, string>("type", "error"));
    private const int MaxCachedResponsesWithAcks = 16;

    private long _nextRid;
    private long _lastAnsweredRid;
    private readonly SortedDictionary<long, (BoshBody Body, HeldRequest Request)> _waiting = [];
    private readonly Dictionary<long, CachedResponse> _responses = [];
    private BlockedRequest? _blocked;
    private string? _key;
    private long _lastEmptyPoll = long.MinValue;

    /// <summary>Places a request in the window; false with the immediate answer when it is answered at once.</summary>
    private bool TryAccept(BoshBody body, out HeldRequest request, out BoshAnswer? immediate)
    {
        var now = _time.GetTimestamp();
        if (body.Rid <= _nextRid)
        {
            // A request that must wait for a missing rid is no sign of life: it cannot be processed until the
            // gap is filled, so it must not keep the session (its backend stream, its address slot) alive (OnTick).
            _lastActivity = now;
        }
        immediate = null;
        request = null!;
        // Attributes read while processing are checked now, before the request may wait for its turn or
        // for room: a bad one must end the session here (the endpoint answers it), not later on another thread.
        _ = body.Number("ack");
        _ = body.Number("pause");
        if (_isEnded)
        {
            immediate = BoshAnswer.Immediate(TakeTerminal());
            return false;
        }
        var rid = body.Rid;
        if (TryReplaceOutstanding(rid, out request))
        {
            return true;
        }
        if (rid < _nextRid)
        {
            immediate = BoshAnswer.Immediate(Replay(body) ?? OutOfWindow("rid already used and its response is gone"));
            return false;
        }
        if (rid >= _nextRid + _p.Requests)
        {
            immediate = BoshAnswer.Immediate(OutOfWindow($"rid {rid} outside the window starting at {_nextRid}"));
            return false;
        }
        request = new HeldRequest(rid);
        if (rid > _nextRid)
        {
            _metrics.RidEvent(RidEventKind.Reordered);
            _waiting[rid] = (body, request);
            CheckOveractivity(body);
        }
        else
        {
            ProcessInOrder(body, request, now);
        }
        return true;
    }

    private byte[] OutOfWindow(string reason)
    {
        _metrics.RidEvent(RidEventKind.OutOfWindow);
        return Fail(BoshConditions.ItemNotFound, reason);
    }

    /// <summary>Processes the request whose rid is next, then every waiting one that follows it, until one must wait for room.</summary>
    private void ProcessInOrder(BoshBody body, HeldRequest request, long now)
    {
        while (true)
        {
            var bytes = PayloadBytes(body);
            if (bytes > 0 && !body.IsTerminate && !_backend.HasRoomFor(bytes))
            {
                Block(body, request, bytes, now);
                return;
            }
            Process(body, request, now);
            if (_isEnded || !_waiting.Remove(_nextRid, out var next))
            {
                return;
            }
            (body, request) = next;
        }
    }

    /// <summary>
    /// The server is behind by more than <c>Gateway:Backends:MaxQueuedBytes</c>: the request stays
    /// unanswered (the client sends nothing more meanwhile, hold + 1 requests at most) until the queue
    /// drains, for at most <c>QueueFullTimeout</c> (then <see cref="OnTick"/> ends the session).
    /// </summary>
    private void Block(BoshBody body, HeldRequest request, int bytes, long now)
    {
        _blocked = new BlockedRequest(body, request, bytes, now + (long)(_p.QueueFullTimeout.TotalSeconds * _time.TimestampFrequency));
        _backend.WaitForRoomAsync(bytes).ContinueWith(static (_, state) => ((BoshSession)state!).OnRoom(), this,
            CancellationToken.None, TaskContinuationOptions.RunContinuationsAsynchronously, TaskScheduler.Default);
    }

    /// <summary>The queue toward the server drained some: go on with the blocked request if it fits now.</summary>
    private void OnRoom()
    {
        lock (_sync)
        {
            if (_blocked is not { } blocked || _isEnded)
            {
                return;
            }
            _blocked = null;
            try
            {
                ProcessInOrder(blocked.Body, blocked.Request, _time.GetTimestamp());
            }
            catch (Exception ex)
            {
                // Nothing awaits this callback: answer the request and end the session rather than lose both.
                Log.Terminated(_logger, _p.Sid, BoshConditions.UndefinedCondition, ex.Message);
                var terminal = EndWith(BoshConditions.UndefinedCondition, null, Sessions.SessionEndReason.Error, hasCurrentRequest: true);
                AnswerOutside(blocked.Request, terminal);
                return;
            }
            if (_blocked is { } again && again.Request == blocked.Request)
            {
                // Still no room for the same request: keep its first deadline, so a stalled server is not waited on for ever.
                _blocked = again with { Deadline = blocked.Deadline };
            }
        }
    }

    private static int PayloadBytes(BoshBody body)
    {
        var bytes = 0;
        foreach (var child in body.Children)
        {
            bytes += child.Raw.Length;
        }
        return bytes;
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

        if (!CheckPayload(body, request))
        {
            return;
        }
        if (body.Attribute("pause") is not null)
        {
            HandlePause(body, request);
            return;
        }
        if (body.IsTerminate)
        {
            Forward(body);
            Log.ClientTerminated(_logger, _p.Sid);
            EndByClient(request);
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
        _metrics.HeldRequestsChanged(1);
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

    /// <summary>
    /// Every child is checked before any is forwarded (<see cref="ClientElementPolicy"/>): a stanza that is not
    /// <c>jabber:client</c> (robustness A11) or an element no client may send ends the session with
    /// <c>bad-request</c>. A <c>&lt;starttls/&gt;</c> (A13) is answered as RFC 6120 §5.4.2.2 answers a failed
    /// STARTTLS, as over WebSocket: <c>&lt;failure/&gt;</c>, then the stream closes, here a terminate body that
    /// carries the failure and no condition (a stream closed without a stream error). Before SASL success the
    /// children also count toward <c>Gateway:PreAuth</c> (policy-violation past it). Nothing is forwarded. Every
    /// payload passes here, whatever the body does next (pause, terminate, restart), so none goes round the checks.
    /// </summary>
    private bool CheckPayload(BoshBody body, HeldRequest request)
    {
        foreach (var child in body.Children)
        {
            if (ClientElementPolicy.Check(child) == ClientElementVerdict.StartTls)
            {
                Log.StartTlsRefused(_logger, _p.Sid);
                Respond(request, EndWith(null, Protocol.Framing.FramingElements.TlsFailure, Sessions.SessionEndReason.Error, hasCurrentRequest: true));
                return false;
            }
            if (ClientElementPolicy.Refusal(child) is { } refusal)
            {
                Respond(request, Fail(refusal.BoshCondition, refusal.Message));
                return false;
            }
        }
        if (_lifecycle.CheckPreAuth(Info, body.Children) is { } violation)
        {
            Respond(request, Fail(BoshConditions.PolicyViolation, violation));
            return false;
        }
        return true;
    }

    private void Forward(BoshBody body)
    {
        foreach (var child in body.Children)
        {
            var bytes = ElementWriter.ToSelfContained(child, body.Wrapper.Namespaces, includeDefault: false);
            Info.CountToServer(bytes.Length, child.IsStanza());
            _backend.Send(bytes);
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
        _clientAck = Math.Max(_clientAck, Math.Min(ack, _lastAnsweredRid));
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
        if (OutstandingCount > limit)
        {
            Log.Terminated(_logger, _p.Sid, BoshConditions.PolicyViolation, "too many requests outstanding");
            EndWith(BoshConditions.PolicyViolation, null, Sessions.SessionEndReason.Error, hasCurrentRequest: false);
        }
    }

    /// <summary>Requests the client has out and the session has not answered: held, waiting for their turn, or for room.</summary>
    private int OutstandingCount => _held.Count + _waiting.Count + (_blocked is null ? 0 : 1);

    /// <summary>
    /// Requests that keep the session alive: held, or waiting for room. Requests waiting for a missing rid do
    /// not (as Prosody's deferred request): only the missing one can move the session on.
    /// </summary>
    private bool HasLiveRequest => _held.Count > 0 || _blocked is not null;

    private void TrimResponseCache()
    {
        // Keep the last `requests` answers for replay (XEP-0124 §14.3); with acks, those not yet acknowledged,
        // up to MaxCachedResponsesWithAcks and, beyond the last `requests`, MaxQueuedBytes: each answer is at
        // most one outbox, so a client that never acknowledges cannot make this hold 16 full outboxes.
        var keep = _p.Acks ? MaxCachedResponsesWithAcks : _p.Requests;
        while (_responses.Count > keep || (_responses.Count > _p.Requests && CachedBytes() > _p.MaxQueuedBytes))
        {
            _responses.Remove(_responses.Keys.Min());
        }
    }

    private long CachedBytes()
    {
        long bytes = 0;
        foreach (var cached in _responses.Values)
        {
            bytes += cached.Body.Length;
        }
        return bytes;
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
        _metrics.RidEvent(RidEventKind.Replayed);
        ReportIfCut(body.Rid);
        return cached.Body;
    }

    /// <summary>
    /// The same rid again while the first copy is still outstanding (held, waiting its turn, or waiting
    /// for room): answer the old copy with a recoverable error, keep the new one in its place (§14.3).
    /// </summary>
    private bool TryReplaceOutstanding(long rid, out HeldRequest replacement)
    {
        replacement = null!;
        if (!IsOutstanding(rid))
        {
            return false;
        }
        _metrics.RidEvent(RidEventKind.ResentWhileHeld);
        var index = _held.FindIndex(h => h.Rid == rid);
        if (index >= 0)
        {
            var old = _held[index];
            if (EndsCutEarly(old, out var heldSeconds))
            {
                // The resend is here while the first copy is still held: the cut and its resend at once.
                ReportCut(heldSeconds);
            }
            replacement = new HeldRequest(rid) { Deadline = old.Deadline, Key = old.Key };
            _held[index] = replacement;
            AnswerOutside(old, RecoverableError);
            return true;
        }
        if (_waiting.TryGetValue(rid, out var waiting))
        {
            replacement = new HeldRequest(rid);
            _waiting[rid] = (waiting.Body, replacement);
            AnswerOutside(waiting.Request, RecoverableError);
            return true;
        }
        var blocked = _blocked!;
        replacement = new HeldRequest(rid);
        _blocked = blocked with { Request = replacement };
        AnswerOutside(blocked.Request, RecoverableError);
        return true;
    }

    private bool IsOutstanding(long rid) => _held.Exists(h => h.Rid == rid) || _waiting.ContainsKey(rid) || _blocked?.Request.Rid == rid;
}
