using System.Collections.Concurrent;

namespace BoshGateway.WebSockets;

/// <summary>The open WebSocket sessions of this node, for the sweeper and for shutdown.</summary>
public sealed class WebSocketSessionTable
{
    private readonly ConcurrentDictionary<XmppWebSocketSession, byte> _sessions = new();

    public int Count => _sessions.Count;

    public IEnumerable<XmppWebSocketSession> All => _sessions.Keys;

    internal void Add(XmppWebSocketSession session) => _sessions.TryAdd(session, 0);

    internal void Remove(XmppWebSocketSession session) => _sessions.TryRemove(session, out _);
}
