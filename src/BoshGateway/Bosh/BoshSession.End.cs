using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;

namespace BoshGateway.Bosh;

// Timers, and the one path every end of this session takes: MarkEnded records it with the lifecycle
// exactly once; Forget (through the lifecycle) takes the session out of the table once its last answer
// was handed over, or nobody came for it.
public sealed partial class BoshSession
{
    /// <summary>Called by the sweeper: answers held requests whose <c>wait</c> ran out, ends inactive or stalled sessions.</summary>
    public void OnTick()
    {
        lock (_sync)
        {
            var now = _time.GetTimestamp();
            if (_isEnded)
            {
                // An end nobody came to collect: forget it after one inactivity period.
                if (now - _lastActivity > _inactivityTicks)
                {
                    _terminal = null;
                    _lifecycle.Forget(this);
                }
                return;
            }
            _backend.KeepAlive();
            while (_held.Count > 0 && _held[0].Deadline <= now)
            {
                Respond(_held[0], BuildResponse(_held[0], withOutbox: true));
            }
            if (!Info.IsAuthenticated && now - Info.StartedAt > _preAuthTicks)
            {
                Log.NotAuthenticatedInTime(_logger, _p.Sid, _p.PreAuthTimeout.TotalSeconds);
                EndWith(BoshConditions.PolicyViolation, null, SessionEndReason.Timeout, hasCurrentRequest: false);
                return;
            }
            if (_blocked is { } blocked && blocked.Deadline <= now)
            {
                Log.SendQueueStalled(_logger, _p.Sid, _p.QueueFullTimeout.TotalSeconds);
                EndWith(BoshConditions.PolicyViolation, null, SessionEndReason.Error, hasCurrentRequest: false);
                return;
            }
            if (!HasLiveRequest && now - _lastActivity > _inactivityTicks)
            {
                if (_waiting.Count > 0)
                {
                    // XEP-0124 §14.3: the rid the waiting requests need never came (the client lost it and went
                    // away, or never sent it): they can never be processed. Answer them and end the session.
                    Log.RidGapExpired(_logger, _p.Sid, _nextRid, _waiting.Count);
                    EndWith(BoshConditions.ItemNotFound, null, SessionEndReason.Timeout, hasCurrentRequest: false);
                    return;
                }
                // XEP-0124 §10: end silently; drop the backend without </stream:stream> so an
                // XEP-0198 session stays resumable on the server.
                // Nobody is told: a client that comes back gets item-not-found.
                Log.InactivityTimeout(_logger, _p.Sid);
                MarkEnded(SessionEndReason.Timeout, bounce: true);
                _lifecycle.Forget(this);
            }
        }
    }

    /// <summary>
    /// Ends the session from outside any request (shutdown: <c>system-shutdown</c>; fencing:
    /// <c>item-not-found</c>): held requests get the condition, the backend is dropped.
    /// </summary>
    public void EndUnplanned(SessionEndReason reason)
    {
        var condition = reason switch
        {
            SessionEndReason.Shutdown => BoshConditions.SystemShutdown,
            SessionEndReason.OwnershipLost => BoshConditions.ItemNotFound,
            _ => BoshConditions.UndefinedCondition,
        };
        lock (_sync)
        {
            if (!_isEnded)
            {
                EndWith(condition, null, reason, hasCurrentRequest: false);
            }
        }
    }

    /// <summary>Ends the session with <paramref name="condition"/>; returns the terminate body for the current request.</summary>
    public byte[] End(string condition, SessionEndReason reason)
    {
        lock (_sync)
        {
            return _isEnded ? TakeTerminal() : EndWith(condition, null, reason, hasCurrentRequest: true);
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

    /// <summary>
    /// The client's terminate (XEP-0124 §13): the oldest held request gets the terminate, others and the
    /// terminate request itself an empty body. No payload after the client asked to leave: clients
    /// such as StanzaJS stop reading at the terminate and fail on data that comes after it.
    /// </summary>
    private void EndByClient(HeldRequest request)
    {
        MarkEnded(SessionEndReason.Normal, bounce: false);
        _lifecycle.Forget(this);
        var terminate = BoshResponseWriter.Terminate(null);
        while (_held.Count > 0)
        {
            Respond(_held[0], terminate);
            terminate = BoshResponseWriter.Empty();
        }
        ClearOutbox();
        Respond(request, BoshResponseWriter.Empty());
        AnswerOutstandingOutside(BoshResponseWriter.Empty());
    }

    /// <summary>
    /// Ends the session with a terminate body that carries everything still queued for the client
    /// (XEP-0206 §6: pending stanzas, then the stream error). Requests outstanding get it now; otherwise
    /// it waits for the client's next request.
    /// </summary>
    private byte[] EndWith(string? condition, ReadOnlyMemory<byte>? error, SessionEndReason reason, bool hasCurrentRequest)
    {
        var nobodyWaiting = OutstandingCount == 0 && !hasCurrentRequest;
        MarkEnded(reason, bounce: nobodyWaiting);
        List<KeyValuePair<string, string>> attributes = [new("type", "terminate")];
        if (condition is not null)
        {
            attributes.Add(new("condition", condition));
        }
        if (error is { } e)
        {
            QueueForClient(e);
            _outboxHasStreamElement = true;
        }
        var terminal = BoshResponseWriter.Write(attributes, _outbox, _outboxHasStreamElement, false);
        ClearOutbox();
        if (nobodyWaiting)
        {
            // Nobody to tell yet: keep the answer for the client's next request.
            _terminal = terminal;
            return terminal;
        }
        // Forget the session before anyone hears of its end, so a client never finds it still listed.
        _lifecycle.Forget(this);
        while (_held.Count > 0)
        {
            Respond(_held[0], terminal);
        }
        AnswerOutstandingOutside(terminal);
        return terminal;
    }

    /// <summary>Requests still waiting for their turn or for room, at the end: answered with <paramref name="body"/>, never left hanging.</summary>
    private void AnswerOutstandingOutside(byte[] body)
    {
        foreach (var (_, waiting) in _waiting)
        {
            AnswerOutside(waiting.Request, body);
        }
        _waiting.Clear();
        if (_blocked is { } blocked)
        {
            AnswerOutside(blocked.Request, body);
            _blocked = null;
        }
    }

    /// <summary>
    /// The session ends here, once: the backend is closed (a client's terminate: <c>&lt;/stream:stream&gt;</c>)
    /// or dropped (every other end, so an XEP-0198 session stays resumable), and the lifecycle records the end.
    /// </summary>
    private void MarkEnded(SessionEndReason reason, bool bounce)
    {
        if (_isEnded)
        {
            return;
        }
        _isEnded = true;
        if (reason == SessionEndReason.Normal)
        {
            _backend.Close();
        }
        else
        {
            _backend.AbortAfter(bounce ? BouncesForUndelivered(reason) : []);
        }
        _lifecycle.End(this, reason);
    }

    /// <summary>The answer for a request that arrives after the session ended; the session is then forgotten.</summary>
    private byte[] TakeTerminal()
    {
        var terminal = _terminal ?? BoshResponseWriter.Terminate(BoshConditions.ItemNotFound);
        _terminal = null;
        _lifecycle.Forget(this);
        return terminal;
    }

    /// <summary>
    /// XEP-0206 §7 for stanzas that will never reach the client (the session timed out, or the gateway is
    /// stopping with nobody waiting): messages get recipient-unavailable, iq requests
    /// service-unavailable, so senders learn of it. Not with XEP-0198: the server then keeps the
    /// unacknowledged stanzas itself for a resumption.
    /// </summary>
    private List<ReadOnlyMemory<byte>> BouncesForUndelivered(SessionEndReason reason)
    {
        List<ReadOnlyMemory<byte>> bounces = [];
        if (_streamManagement || reason is not (SessionEndReason.Timeout or SessionEndReason.Shutdown or SessionEndReason.OwnershipLost))
        {
            return bounces;
        }
        foreach (var bounce in _outboxBounces)
        {
            bounces.Add(bounce.ToBytes());
        }
        return bounces;
    }
}
