using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Sessions;

// Backend events, timers and the one place every session end goes through.
public sealed partial class BoshSession
{
    public void OnBackendHeader(XmlStreamHeader header)
    {
        lock (_sync)
        {
            _streamId ??= header.GetAttribute("id");
            _streamFrom ??= header.GetAttribute("from");
            _streamVersion ??= header.GetAttribute("version");
        }
    }

    public void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces)
    {
        var forClient = ServerElementFilter.ToClient(element, streamNamespaces);
        lock (_sync)
        {
            if (_isEnded)
            {
                return;
            }
            if (element.Is("error", XmlNames.Streams))
            {
                Log.Terminated(_logger, _p.Sid, BoshConditions.RemoteStreamError, "the server sent a stream error");
                EndWith(BoshConditions.RemoteStreamError, forClient, SessionEndReason.BackendClosed, hasCurrentRequest: false);
                return;
            }
            _outbox.Add(forClient);
            _outboxHasStreamElement |= element.NamespaceUri == XmlNames.Streams;
            _streamManagement |= element.LocalName == "enabled" && element.NamespaceUri.StartsWith("urn:xmpp:sm:", StringComparison.Ordinal);
            if (element.IsStanza())
            {
                _outboxStanzas.Add(element);
                if (_boundJid is null && ResourceBinding.TryGetBoundJid(element) is { } jid)
                {
                    _boundJid = jid;
                    _boundJidReported = false;
                }
            }
            Flush();
        }
    }

    public void OnBackendClosed(Exception? failure)
    {
        lock (_sync)
        {
            if (_isEnded)
            {
                return;
            }
            var condition = failure is null ? null : BoshConditions.RemoteConnectionFailed;
            Log.Terminated(_logger, _p.Sid, condition ?? "none", failure?.Message ?? "the server closed the stream");
            EndWith(condition, null, SessionEndReason.BackendClosed, hasCurrentRequest: false);
        }
    }

    /// <summary>Called by the sweeper: answers held requests whose <c>wait</c> ran out, ends inactive sessions.</summary>
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
                    _onEnded(this, _endReason);
                }
                return;
            }
            _backend.KeepAlive();
            while (_held.Count > 0 && _held[0].Deadline <= now)
            {
                Respond(_held[0], BuildResponse(_held[0], withOutbox: true));
            }
            if (_held.Count == 0 && _waiting.Count == 0 && now - _lastActivity > _inactivityTicks)
            {
                // XEP-0124 §10: end silently; drop the backend without </stream:stream> so an
                // XEP-0198 session stays resumable on the server.
                Log.InactivityTimeout(_logger, _p.Sid);
                EndSession(SessionEndReason.Timeout);
            }
        }
    }

    /// <summary>The gateway is stopping: answer held requests with <c>system-shutdown</c> and drop the backend.</summary>
    public void Shutdown() => EndUnplanned(BoshConditions.SystemShutdown, SessionEndReason.Shutdown);

    /// <summary>Ends the session from outside any request: held requests get <paramref name="condition"/>, the backend is dropped.</summary>
    public void EndUnplanned(string condition, SessionEndReason reason)
    {
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

    /// <summary>
    /// Ends the session with a terminate body that carries everything still queued for the client
    /// (XEP-0206 §6: pending stanzas, then the stream error). Held requests get it now; otherwise it
    /// waits for the client's next request.
    /// </summary>
    private byte[] EndWith(string? condition, ReadOnlyMemory<byte>? error, SessionEndReason reason, bool hasCurrentRequest)
    {
        List<KeyValuePair<string, string>> attributes = [new("type", "terminate")];
        if (condition is not null)
        {
            attributes.Add(new("condition", condition));
        }
        var nobodyWaiting = _held.Count == 0 && _waiting.Count == 0 && !hasCurrentRequest;
        var bounces = nobodyWaiting && reason != SessionEndReason.Normal ? BouncesForUndelivered(reason) : [];
        if (error is { } e)
        {
            _outbox.Add(e);
            _outboxHasStreamElement = true;
        }
        var terminal = BoshResponseWriter.Write(attributes, _outbox, _outboxHasStreamElement, false);
        ClearOutbox();
        if (nobodyWaiting)
        {
            // Nobody to tell yet: keep the answer for the client's next request.
            _isEnded = true;
            _endReason = reason;
            _terminal = terminal;
            if (reason == SessionEndReason.Normal)
            {
                _backend.Close();
            }
            else
            {
                _backend.AbortAfter(bounces);
            }
            return terminal;
        }
        // Forget the session before anyone hears of its end, so a client never finds it still listed.
        EndSession(reason);
        while (_held.Count > 0)
        {
            Respond(_held[0], terminal);
        }
        foreach (var (_, waiting) in _waiting)
        {
            waiting.Request.Completion.TrySetResult(BoshAnswer.Immediate(terminal));
        }
        _waiting.Clear();
        return terminal;
    }

    private void EndSession(SessionEndReason reason)
    {
        var first = !_isEnded;
        _isEnded = true;
        _endReason = reason;
        _terminal = null;
        if (first)
        {
            CloseBackend(reason);
        }
        _onEnded(this, reason);
    }

    private void CloseBackend(SessionEndReason reason)
    {
        if (reason == SessionEndReason.Normal)
        {
            _backend.Close();
        }
        else
        {
            _backend.AbortAfter(BouncesForUndelivered(reason));
        }
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
        foreach (var stanza in _outboxStanzas)
        {
            if (StanzaBounce.For(stanza) is { } bounce)
            {
                bounces.Add(bounce);
            }
        }
        return bounces;
    }
}
