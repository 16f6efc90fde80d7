using System.Net;
using BoshGateway.Telemetry;

namespace BoshGateway.Sessions;

/// <summary>
/// The transport-neutral part of a session: its id, transport, client address, start time and what
/// passed through it each way. Counters are updated from the request, backend and WebSocket threads
/// with interlocked adds, and into the transport's <see cref="TrafficTotals"/> for the meter;
/// <see cref="SessionLifecycle"/> reads them once, at the end.
/// </summary>
public sealed class SessionInfo(string sid, SessionTransport transport, IPAddress? clientAddress, long startedAt, TrafficTotals? totals = null)
{
    private long _stanzasToServer;
    private long _bytesToServer;
    private long _stanzasToClient;
    private long _bytesToClient;
    private int _ended;
    private int _authenticated;
    private int _preAuthElements;

    public string Sid { get; } = sid;

    public SessionTransport Transport { get; } = transport;

    public IPAddress? ClientAddress { get; } = clientAddress;

    /// <summary>When the session was admitted (<see cref="TimeProvider.GetTimestamp"/>).</summary>
    public long StartedAt { get; } = startedAt;

    public long StanzasToServer => Volatile.Read(ref _stanzasToServer);

    public long BytesToServer => Volatile.Read(ref _bytesToServer);

    public long StanzasToClient => Volatile.Read(ref _stanzasToClient);

    public long BytesToClient => Volatile.Read(ref _bytesToClient);

    /// <summary>True once the session has ended (its end was recorded).</summary>
    public bool IsEnded => Volatile.Read(ref _ended) != 0;

    public void CountToServer(int bytes, bool stanza)
    {
        totals?.AddToServer(bytes, stanza);
        Interlocked.Add(ref _bytesToServer, bytes);
        if (stanza)
        {
            Interlocked.Increment(ref _stanzasToServer);
        }
    }

    public void CountToClient(int bytes, bool stanza)
    {
        totals?.AddToClient(bytes, stanza);
        Interlocked.Add(ref _bytesToClient, bytes);
        if (stanza)
        {
            Interlocked.Increment(ref _stanzasToClient);
        }
    }

    /// <summary>True once the server said SASL success (or the session ended before it did).</summary>
    public bool IsAuthenticated => Volatile.Read(ref _authenticated) != 0;

    /// <summary>True for the one caller that marks the session authenticated (and so gives its unauthenticated slot back).</summary>
    internal bool MarkAuthenticated() => Interlocked.Exchange(ref _authenticated, 1) == 0;

    /// <summary>Counts one more element sent before authentication; returns the count.</summary>
    internal int CountPreAuthElement() => Interlocked.Increment(ref _preAuthElements);

    /// <summary>True for the one caller that ends the session.</summary>
    internal bool TryMarkEnded() => Interlocked.Exchange(ref _ended, 1) == 0;
}
