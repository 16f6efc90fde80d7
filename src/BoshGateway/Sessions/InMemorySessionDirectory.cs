using System.Collections.Concurrent;

namespace BoshGateway.Sessions;

/// <summary>The embedded default: one node, sessions known only to this process.</summary>
internal sealed class InMemorySessionDirectory : ISessionDirectory
{
    private readonly ConcurrentDictionary<string, SessionRecord> _records = new(StringComparer.Ordinal);

    public ValueTask RegisterAsync(SessionRecord record, CancellationToken cancellationToken)
    {
        _records[record.Sid] = record;
        return ValueTask.CompletedTask;
    }

    public ValueTask<SessionRecord?> FindAsync(string sid, CancellationToken cancellationToken)
        => ValueTask.FromResult(_records.TryGetValue(sid, out var record) ? record : null);

    public ValueTask RemoveAsync(string sid, CancellationToken cancellationToken)
    {
        _records.TryRemove(sid, out _);
        return ValueTask.CompletedTask;
    }
}
