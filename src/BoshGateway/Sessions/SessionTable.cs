using System.Collections.Concurrent;
using BoshGateway.Bosh;

namespace BoshGateway.Sessions;

/// <summary>
/// The live sessions of this node, both transports, by sid: the sweeper walks it, the BOSH endpoint
/// looks sessions up in it, shutdown waits for it to empty. Only <see cref="SessionLifecycle"/> adds and removes.
/// </summary>
public sealed class SessionTable
{
    private readonly ConcurrentDictionary<string, IGatewaySession> _sessions = new(StringComparer.Ordinal);
    private int _bosh;
    private int _websocket;

    /// <summary>Sessions of both transports.</summary>
    public int Count => _sessions.Count;

    public int BoshCount => Volatile.Read(ref _bosh);

    public int WebSocketCount => Volatile.Read(ref _websocket);

    public IEnumerable<IGatewaySession> All => _sessions.Values;

    public bool TryGet(string sid, out BoshSession session)
    {
        if (_sessions.TryGetValue(sid, out var found) && found is BoshSession bosh)
        {
            session = bosh;
            return true;
        }
        session = null!;
        return false;
    }

    internal bool TryAdd(IGatewaySession session)
    {
        if (!_sessions.TryAdd(session.Info.Sid, session))
        {
            return false;
        }
        Interlocked.Increment(ref Counter(session));
        return true;
    }

    internal bool Remove(IGatewaySession session)
    {
        if (!_sessions.TryRemove(new KeyValuePair<string, IGatewaySession>(session.Info.Sid, session)))
        {
            return false;
        }
        Interlocked.Decrement(ref Counter(session));
        return true;
    }

    private ref int Counter(IGatewaySession session) => ref session.Info.Transport == SessionTransport.Bosh ? ref _bosh : ref _websocket;
}
