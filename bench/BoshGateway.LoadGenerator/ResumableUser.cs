using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// A chat user that survives losing its session, as a browser library does. With XEP-0198
/// (<see cref="StreamManagement"/>) it enables resumption after binding, counts what it receives (h),
/// answers the server's <c>&lt;r/&gt;</c>, asks for acks as it sends and keeps every stanza the server has
/// not acknowledged; when the session ends it opens a new one (through whichever node the balancer
/// picks), logs in, and resumes with <c>&lt;resume previd h/&gt;</c>, then resends what the server's
/// <c>&lt;resumed h/&gt;</c> says it never got (as Converse.js, xmpp.js and StanzaJS do). If the server
/// cannot resume (<c>&lt;failed/&gt;</c>, e.g. it restarted), it binds afresh and resends every unacknowledged
/// stanza, which may duplicate some. Without XEP-0198 it just logs in again; what was in flight is the
/// server's to store or bounce, or lost.
/// </summary>
internal sealed class ResumableUser(Func<IXmppUser> newSession, Credentials credentials, bool streamManagement) : IAsyncDisposable
{
    private const string Sm = "urn:xmpp:sm:3";
    private const int AskAckEvery = 5;
    private readonly Lock _sync = new();
    private readonly List<string> _unacked = [];
    private IXmppUser _session = null!;
    private string? _resumeId;
    private long _received;  // h: stanzas received since enable
    private long _acked;     // the server's last h
    private long _sentSinceAsk;
    private TaskCompletionSource<string>? _smAnswer;
    private readonly List<(string To, string Body)> _held = [];
    private bool _recovering;
    private TaskCompletionSource? _archiveDone;
    private long _lastAckProgress = Stopwatch.GetTimestamp();
    private long _askedSince; // when the oldest unanswered <r/> went out; 0: none is waiting

    public bool StreamManagement => streamManagement;

    public string Jid { get; private set; } = "";

    /// <summary>
    /// The session ended (the transport says so), or, with XEP-0198, an ack request has gone unanswered
    /// for <see cref="AckTimeout"/> while stanzas wait: a stalled node or server, which a TCP connection
    /// alone may never reveal. The user then gives up on that session as a library's liveness check would.
    /// (Counted from the request, not from the oldest unacknowledged stanza: a user who sends rarely has
    /// stanzas waiting for longer than that with nothing wrong, as no ack was asked for yet.)
    /// </summary>
    public bool Ended => _session.Ended || Stalled;

    public static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(10);

    private bool Stalled
    {
        get
        {
            lock (_sync)
            {
                return streamManagement && _unacked.Count > 0 && !_recovering && _askedSince != 0 && Stopwatch.GetElapsedTime(_askedSince) > AckTimeout;
            }
        }
    }

    /// <summary>Chat message bodies received (bounces and archive results included), and how each arrived.</summary>
    public Action<string, Stanzas.Arrival>? OnMessage { get; set; }

    public int Resumed { get; private set; }

    public int ResumeFailed { get; private set; }

    public int Relogins { get; private set; }

    /// <summary>Stanzas resent after a resumption (unacknowledged when the session was lost).</summary>
    public int Resent { get; private set; }

    public int Unacked
    {
        get
        {
            lock (_sync)
            {
                return _unacked.Count;
            }
        }
    }

    public async Task LoginAsync(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            _resumeId = null;
            _unacked.Clear();
        }
        _session = Attach(newSession());
        await _session.LoginAsync(credentials, cancellationToken);
        Jid = _session.Jid;
        if (streamManagement)
        {
            // Observe starts counting (h = 0) at <enabled/> itself, so nothing that follows it is missed.
            var enabled = await AskAsync($"<enable xmlns='{Sm}' resume='true'/>", cancellationToken);
            if (!enabled.Contains("<enabled", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"{credentials.User}: XEP-0198 not enabled: {enabled}");
            }
        }
    }

    /// <summary>
    /// Sends a chat message; with XEP-0198 it is kept until acknowledged. While a new session is being
    /// made (and, with XEP-0198, once the old one is known to be gone) it waits for the new one, as the
    /// libraries queue what the user types while reconnecting; without XEP-0198, a message given to a
    /// session that is gone but not yet noticed is the server's to store or bounce, or lost.
    /// </summary>
    public Task SendMessageAsync(string to, string body, CancellationToken cancellationToken)
    {
        IXmppUser session;
        lock (_sync)
        {
            if (_recovering || (streamManagement && _session.Ended))
            {
                _held.Add((to, body));
                return Task.CompletedTask;
            }
            session = _session;
        }
        return SendNowAsync(session, to, body, cancellationToken);
    }

    /// <summary>
    /// The session chat may use, or null while a new one is being made: nothing but the login may go on a
    /// stream before it is authenticated (a server closes a stream that gets an <c>&lt;r/&gt;</c> or a message
    /// there). Taken under the lock, so a recovery that starts later cannot swap the session under the caller.
    /// </summary>
    private IXmppUser? Established()
    {
        lock (_sync)
        {
            return _recovering ? null : _session;
        }
    }

    private async Task SendNowAsync(IXmppUser session, string to, string body, CancellationToken cancellationToken)
    {
        var xml = Stanzas.Message(to, body);
        var askAck = false;
        lock (_sync)
        {
            if (streamManagement)
            {
                if (_unacked.Count == 0)
                {
                    _lastAckProgress = Stopwatch.GetTimestamp();
                }
                _unacked.Add(xml);
                // Every few stanzas, or when the oldest has waited a while with no request out (a user who sends rarely).
                askAck = ++_sentSinceAsk >= AskAckEvery || (_askedSince == 0 && Stopwatch.GetElapsedTime(_lastAckProgress) > AckTimeout / 5);
                if (askAck)
                {
                    _sentSinceAsk = 0;
                    MarkAsked();
                }
            }
        }
        if (session.Ended)
        {
            return;
        }
        // One element per WebSocket message (RFC 7395): the ack request goes on its own.
        if (await TrySendAsync(session, xml, cancellationToken) && askAck)
        {
            await TrySendAsync(session, $"<r xmlns='{Sm}'/>", cancellationToken);
        }
    }

    /// <summary>Sends on <paramref name="session"/>; false when it is going (with XEP-0198 what was not acknowledged is resent after resumption).</summary>
    private static async Task<bool> TrySendAsync(IXmppUser session, string xml, CancellationToken cancellationToken)
    {
        try
        {
            await session.SendRawAsync(xml, cancellationToken);
            return true;
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or HttpRequestException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// After the session ended: a new one, resumed when possible. Returns how long it took from
    /// <paramref name="noticed"/>; retries (a node may be down, the balancer not yet aware) for up to a minute.
    /// </summary>
    public async Task<TimeSpan> RecoverAsync(long noticed, CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            _recovering = true;
            _lastAckProgress = Stopwatch.GetTimestamp();
            _askedSince = 0; // a request on the old session says nothing about the new one
        }
        var took = await ReconnectAsync(noticed, cancellationToken);
        while (true)
        {
            List<(string To, string Body)> held;
            lock (_sync)
            {
                if (_held.Count == 0)
                {
                    _recovering = false;
                    return took;
                }
                held = [.. _held];
                _held.Clear();
            }
            foreach (var (to, body) in held)
            {
                await SendNowAsync(_session, to, body, cancellationToken);
            }
        }
    }

    private async Task<TimeSpan> ReconnectAsync(long noticed, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var old = _session;
            try
            {
                old.Abort();
                await old.DisposeAsync();
                if (streamManagement && _resumeId is not null && await TryResumeAsync(cancellationToken))
                {
                    Resumed++;
                    return Stopwatch.GetElapsedTime(noticed);
                }
                if (streamManagement)
                {
                    ResumeFailed++;
                }
                List<string> resend;
                lock (_sync)
                {
                    resend = [.. _unacked];
                }
                await LoginAsync(cancellationToken);
                Relogins++;
                foreach (var xml in resend)
                {
                    await SendRawTracked(xml, cancellationToken);
                }
                if (streamManagement)
                {
                    await _session.SendRawAsync(AckRequest(), cancellationToken);
                }
                return Stopwatch.GetElapsedTime(noticed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                if (Stopwatch.GetElapsedTime(noticed) > TimeSpan.FromMinutes(1))
                {
                    throw new InvalidOperationException($"{credentials.User}: not back after a minute: {ex.Message}", ex);
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250 * Math.Min(attempt + 1, 8)), cancellationToken);
            }
        }
    }

    private async Task<bool> TryResumeAsync(CancellationToken cancellationToken)
    {
        _session = Attach(newSession());
        await _session.LoginAsync(credentials, bind: false, cancellationToken);
        long h;
        lock (_sync)
        {
            h = _received;
        }
        var answer = await AskAsync($"<resume xmlns='{Sm}' previd='{_resumeId}' h='{h}'/>", cancellationToken);
        if (!answer.Contains("<resumed", StringComparison.Ordinal))
        {
            // The stream is usable for a fresh bind, but a new session is simpler and as real.
            _session.Abort();
            await _session.DisposeAsync();
            return false;
        }
        _session.Jid = Jid;
        List<string> resend;
        lock (_sync)
        {
            Acknowledge(long.Parse(Stanzas.Attribute(answer, "h")!, CultureInfo.InvariantCulture));
            resend = [.. _unacked];
            _unacked.Clear();
        }
        foreach (var xml in resend)
        {
            await SendRawTracked(xml, cancellationToken);
            Resent++;
        }
        await _session.SendRawAsync(AckRequest(), cancellationToken);
        return true;
    }

    private async Task SendRawTracked(string xml, CancellationToken cancellationToken)
    {
        if (streamManagement)
        {
            lock (_sync)
            {
                _lastAckProgress = Stopwatch.GetTimestamp();
                _unacked.Add(xml);
            }
        }
        await _session.SendRawAsync(xml, cancellationToken);
    }

    private IXmppUser Attach(IXmppUser session)
    {
        session.OnXml = xml => Observe(session, xml);
        return session;
    }

    private async Task<string> AskAsync(string xml, CancellationToken cancellationToken)
    {
        var answer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _smAnswer, answer);
        await _session.SendRawAsync(xml, cancellationToken);
        return await answer.Task.WaitAsync(TimeSpan.FromSeconds(15), cancellationToken);
    }

    /// <summary>Everything received: XEP-0198 bookkeeping, then chat bodies (a bounce is marked).</summary>
    private void Observe(IXmppUser session, string xml)
    {
        string? reply = null;
        lock (_sync)
        {
            if (Stanzas.SmElementAt(xml, "enabled", out var at) is { } enabled)
            {
                _resumeId = Stanzas.Attribute(enabled, "id");
                _received = Stanzas.CountStanzas(xml[at..]);
                _acked = 0;
            }
            else if (_resumeId is not null)
            {
                _received += Stanzas.CountStanzas(xml);
            }
            if (Stanzas.SmElement(xml, "r") is not null)
            {
                reply = $"<a xmlns='{Sm}' h='{_received}'/>";
            }
            if (Stanzas.SmElement(xml, "a") is { } ack && Stanzas.Attribute(ack, "h") is { } h)
            {
                Acknowledge(long.Parse(h, CultureInfo.InvariantCulture));
            }
        }
        foreach (var name in new[] { "enabled", "resumed", "failed" })
        {
            if (Stanzas.SmElement(xml, name) is { } element)
            {
                Volatile.Read(ref _smAnswer)?.TrySetResult(element);
            }
        }
        if (reply is not null && streamManagement)
        {
            _ = session.SendRawAsync(reply, CancellationToken.None).ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
        if (OnMessage is { } handler)
        {
            foreach (var (body, how) in Stanzas.MessageBodiesWithErrors(xml))
            {
                handler(body, how);
            }
        }
        if (xml.Contains("<fin", StringComparison.Ordinal) && xml.Contains("urn:xmpp:mam:2", StringComparison.Ordinal))
        {
            Volatile.Read(ref _archiveDone)?.TrySetResult();
        }
    }

    /// <summary>The server has <paramref name="h"/> of our stanzas: drop that many from the front (the caller holds the lock).</summary>
    private void Acknowledge(long h)
    {
        var newly = (int)Math.Clamp(h - _acked, 0, _unacked.Count);
        _unacked.RemoveRange(0, newly);
        _lastAckProgress = Stopwatch.GetTimestamp();
        _askedSince = 0; // an <a/> answers an <r/>: the stream is alive
        _acked = Math.Max(_acked, h);
    }

    /// <summary>An <c>&lt;r/&gt;</c> to send, noted as asked (the user stalls if it stays unanswered).</summary>
    private string AckRequest()
    {
        lock (_sync)
        {
            MarkAsked();
        }
        return $"<r xmlns='{Sm}'/>";
    }

    /// <summary>An ack request goes out (the caller holds the lock).</summary>
    private void MarkAsked()
    {
        if (_askedSince == 0)
        {
            _askedSince = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>
    /// Reads this user's archive of the conversation with <paramref name="with"/> (XEP-0313, up to
    /// <paramref name="max"/> messages): what a client without XEP-0198 can still find after a loss. The
    /// results arrive through <see cref="OnMessage"/> as <see cref="Stanzas.Arrival.Archived"/>.
    /// </summary>
    public async Task ReadArchiveAsync(string with, int max, CancellationToken cancellationToken)
    {
        if (Established() is not { Ended: false } session)
        {
            return;
        }
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Volatile.Write(ref _archiveDone, done);
        await TrySendAsync(session,
            "<iq type='set' id='ledger-mam' xmlns='jabber:client'><query xmlns='urn:xmpp:mam:2'><x xmlns='jabber:x:data' type='submit'>"
            + $"<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:mam:2</value></field><field var='with'><value>{with}</value></field></x>"
            + $"<set xmlns='http://jabber.org/protocol/rsm'><max>{max}</max></set></query></iq>", cancellationToken);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
    }

    /// <summary>Asks the server to acknowledge what it has (XEP-0198 only; while the session is up).</summary>
    public async Task RequestAckAsync(CancellationToken cancellationToken)
    {
        if (streamManagement && Established() is { Ended: false } session)
        {
            await TrySendAsync(session, AckRequest(), cancellationToken);
        }
    }

    public async ValueTask DisposeAsync() => await _session.DisposeAsync();
}
