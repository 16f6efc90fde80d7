using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Bosh;

// Held requests and the outbox of server elements: who gets which answer, in which order.
// The outbox is bounded in bytes (Gateway:Bosh:MaxQueuedBytes): past it the backend's read loop is paused
// until the client's next request takes the outbox, so a client that stops polling holds at most that
// (plus the one read in progress) here, and the rest stays with the server, pushed back by TCP.
public sealed partial class BoshSession
{
    private readonly List<HeldRequest> _held = [];
    private readonly List<ReadOnlyMemory<byte>> _outbox = [];
    /// <summary>What to tell the server of each queued stanza that never reaches the client (XEP-0206 §7): not the stanza itself, which would hold its bytes twice.</summary>
    private readonly List<StanzaBounce> _outboxBounces = [];
    private bool _outboxHasStreamElement;
    private long _outboxBytes;
    private bool _readingPaused;

    /// <summary>Queues a server element for the client; past <c>MaxQueuedBytes</c> stops reading from the server.</summary>
    private void QueueForClient(ReadOnlyMemory<byte> element)
    {
        _outbox.Add(element);
        _outboxBytes += element.Length;
    }

    /// <summary>Called once an element was queued and offered to a held request: nobody took it and the outbox is full.</summary>
    private void PauseReadingIfFull()
    {
        if (!_readingPaused && !_isEnded && _outboxBytes > _p.MaxQueuedBytes)
        {
            _readingPaused = true;
            Log.ReadingPaused(_logger, _p.Sid, _outboxBytes);
            _backend.PauseReading();
        }
    }
    private Task<long> _lastWritten = BoshAnswer.NothingWritten;

    /// <summary>
    /// True once the client is bound (or resumed, or logged in with SASL2): from then on an answer with payload
    /// makes the next one wait <c>AnswerSpacing</c>. Before it, a login is a strict exchange: every client sends
    /// its next step only after it has handled the answer to the last (Strophe.js does not even poll before it is
    /// bound), and the server sends nothing of its own, so two answers with payload cannot be on the wire at once.
    /// </summary>
    private bool _isLive;

    /// <summary>The rid of the last answer in the write order, and the highest rid the client says it has received (XEP-0124 §9.1).</summary>
    private long _lastOrderedRid, _clientAck;

    /// <summary>A server element after which the client is live: XEP-0198 <c>&lt;resumed/&gt;</c> or a SASL2 <c>&lt;success/&gt;</c> (bind result: see the caller).</summary>
    private static bool IsLiveFrom(XmlElement element) =>
        (element.LocalName == "resumed" && XmlNames.IsStreamManagement(element.NamespaceUri))
        || (element.LocalName == "success" && element.NamespaceUri == XmlNames.Sasl2);

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

    /// <summary>Answers a held request in the session's write order and keeps the answer for replay.</summary>
    private void Respond(HeldRequest request, byte[] body)
    {
        if (_held.Remove(request))
        {
            _metrics.HeldRequestsChanged(-1);
        }
        var now = _time.GetTimestamp();
        _responses[request.Rid] = new CachedResponse(body, now, request.Key);
        _lastAnsweredRid = Math.Max(_lastAnsweredRid, request.Rid);
        _lastActivity = now;
        TrimResponseCache();
        request.AbortRegistration.Unregister();
        var written = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        // A client that acknowledges (XEP-0124 §9.1) and has acknowledged the previous answer has it: nothing to wait for.
        var previous = _p.Acks && _clientAck >= _lastOrderedRid ? BoshAnswer.NothingWritten : _lastWritten;
        var answer = new BoshAnswer(body, _isLive && body.AsSpan().EndsWith("</body>"u8), previous, written);
        _lastWritten = written.Task;
        _lastOrderedRid = request.Rid;
        request.Completion.TrySetResult(answer);
    }

    /// <summary>Answers a request outside the ordered stream (an error for a duplicate, the end for one still waiting).</summary>
    private static void AnswerOutside(HeldRequest request, byte[] body)
    {
        request.AbortRegistration.Unregister();
        request.Completion.TrySetResult(BoshAnswer.Immediate(body));
    }

    private void ClearOutbox()
    {
        _outbox.Clear();
        _outboxBounces.Clear();
        _outboxHasStreamElement = false;
        _outboxBytes = 0;
        if (_readingPaused)
        {
            _readingPaused = false;
            _backend.ResumeReading();
        }
    }
}
