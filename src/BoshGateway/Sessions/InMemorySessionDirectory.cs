using System.Collections.Concurrent;

namespace BoshGateway.Sessions;

/// <summary>The embedded default: one node, sessions known only to this process.</summary>
public sealed class InMemorySessionDirectory : ISessionDirectory
{
    private readonly ConcurrentDictionary<string, SessionRecord> _records = new(StringComparer.Ordinal);

    public bool IsAvailable => true;

    public ValueTask<bool> TryRegisterAsync(SessionRecord record, CancellationToken cancellationToken)
    {
        _records[record.Sid] = record;
        return ValueTask.FromResult(true);
    }

    public ValueTask<SessionRecord?> FindAsync(string sid, CancellationToken cancellationToken)
        => ValueTask.FromResult(_records.TryGetValue(sid, out var record) ? record : null);

    // The owner's memory already answers replays; one node has nobody to hand them to.
    public void RecordAnswer(string sid, long rid, ReadOnlyMemory<byte> answer)
    {
    }

    public void RecordJid(string sid, string jid)
    {
        if (_records.TryGetValue(sid, out var record))
        {
            _records[sid] = record with { Jid = jid };
        }
    }

    public void Remove(string sid) => _records.TryRemove(sid, out _);
}
