using System.Globalization;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Backend;

// Is the server still there? A stopped or hung server keeps its TCP connections open (its kernel still
// acknowledges), so neither TCP keepalive nor a whitespace keepalive notices it. Once the client is bound,
// a stream that has read nothing for Gateway:Backends:PingInterval gets a probe that the server must
// answer: an XEP-0198 <r/> when stream management is on (the server's <a/> may go to the client: XEP-0198
// lets either side send <a/> at any time, and <r/> is not a stanza, so no count changes), else an XEP-0199
// ping whose answer the client never sees (no stanza is added to a stream whose counts matter). Any byte
// read proves the server alive; none within Gateway:Backends:PingTimeout fails the stream, and the session
// tells its client remote-connection-failed after the stanzas already read.
// Before the client is bound nothing may be probed (no stanza before binding), but nothing needs to be:
// every step a client sends while logging in (SASL, a stream restart, bind, a resumption, an in-band
// registration) is answered by the server. So a client's write starts the same PingTimeout, and a server
// that hangs mid-login (after SASL success too, where the pre-auth deadline no longer applies) is found the
// same way, rather than leaving the client waiting for its bind result for ever.
internal sealed partial class BackendConnection
{
    private const string PingIdPrefix = "boshgateway-ping-";

    private readonly long _pingIntervalMs;
    private readonly long _pingTimeoutMs;
    private long _lastReadMs = Environment.TickCount64;
    private long _probeSentMs; // 0: no probe outstanding
    private long _probes;
    private string? _pingId; // id of the XEP-0199 ping awaiting its answer
    private bool _bound;
    private string? _smNamespace; // set once the server enabled (or resumed) XEP-0198

    /// <summary>Called by the session's tick: probes an idle bound stream, fails one that did not answer in time.</summary>
    private bool CheckLiveness(long nowMs)
    {
        var sent = Volatile.Read(ref _probeSentMs);
        if (sent != 0)
        {
            if (nowMs - sent > _pingTimeoutMs)
            {
                Log.ServerStalled(_logger, _target.Host, _target.Port, _pingTimeoutMs / 1000.0);
                FailWith(new TimeoutException($"the server answered nothing for {_pingTimeoutMs / 1000.0:0.#} s after a ping or a login step"));
            }
            return true;
        }
        if (!Volatile.Read(ref _bound) || nowMs - Volatile.Read(ref _lastReadMs) < _pingIntervalMs || Volatile.Read(ref _queuedBytes) != 0)
        {
            return false;
        }
        Volatile.Write(ref _probeSentMs, nowMs);
        if (Volatile.Read(ref _smNamespace) is { } sm)
        {
            Enqueue(System.Text.Encoding.UTF8.GetBytes($"<r xmlns='{sm}'/>"));
        }
        else
        {
            var id = PingIdPrefix + Interlocked.Increment(ref _probes).ToString(CultureInfo.InvariantCulture);
            Volatile.Write(ref _pingId, id);
            Enqueue(System.Text.Encoding.UTF8.GetBytes($"<iq type='get' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>"));
        }
        return true;
    }

    /// <summary>
    /// From the session's writes: before the client is bound, the server owes an answer. The first write since
    /// the last read starts the wait (a read clears it), so a pipelined second step is covered by the first's.
    /// </summary>
    private void AwaitAnswerWhileLoggingIn()
    {
        if (!Volatile.Read(ref _bound))
        {
            Interlocked.CompareExchange(ref _probeSentMs, Environment.TickCount64, 0);
        }
    }

    /// <summary>From the read loop: bytes arrived, so the server is alive.</summary>
    private void MarkRead()
    {
        Volatile.Write(ref _lastReadMs, Environment.TickCount64);
        Volatile.Write(ref _probeSentMs, 0);
    }

    /// <summary>From the read loop, before an element goes to the session: tracks binding and XEP-0198; false for the answer to our ping.</summary>
    private bool ObserveForLiveness(XmlElement element)
    {
        if (element.LocalName == "iq" && Volatile.Read(ref _pingId) is { } id && element.GetAttribute("id") == id)
        {
            Volatile.Write(ref _pingId, null);
            return false;
        }
        if (!_bound && ResourceBinding.TryGetBoundJid(element) is not null)
        {
            Volatile.Write(ref _bound, true);
        }
        else if (element.LocalName is "enabled" or "resumed" && XmlNames.IsStreamManagement(element.NamespaceUri))
        {
            Volatile.Write(ref _smNamespace, element.NamespaceUri);
            Volatile.Write(ref _bound, true);
        }
        return true;
    }
}
