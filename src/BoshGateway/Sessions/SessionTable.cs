using System.Collections.Concurrent;

namespace BoshGateway.Sessions;

/// <summary>The live sessions this node owns, by sid. The sweeper walks it; endpoints look sessions up in it.</summary>
public sealed class SessionTable
{
    private readonly ConcurrentDictionary<string, BoshSession> _sessions = new(StringComparer.Ordinal);

    public int Count => _sessions.Count;

    public bool TryAdd(BoshSession session) => _sessions.TryAdd(session.Sid, session);

    public bool TryGet(string sid, out BoshSession session) => _sessions.TryGetValue(sid, out session!);

    public void Remove(BoshSession session) => _sessions.TryRemove(new KeyValuePair<string, BoshSession>(session.Sid, session));

    public IEnumerable<BoshSession> All => _sessions.Values;
}
