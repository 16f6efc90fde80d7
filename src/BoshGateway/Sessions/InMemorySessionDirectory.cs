namespace BoshGateway.Sessions;

/// <summary>
/// The embedded default: one node, whose own memory (the <see cref="SessionTable"/> and each session's
/// replay cache) already answers everything; there is no other node to tell, so nothing is stored.
/// </summary>
public sealed class InMemorySessionDirectory : ISessionDirectory
{
    public bool IsAvailable => true;

    public ValueTask<bool> TryRegisterAsync(SessionRecord record, CancellationToken cancellationToken) => ValueTask.FromResult(true);

    public ValueTask<SessionRecord?> FindAsync(string sid, CancellationToken cancellationToken) => ValueTask.FromResult<SessionRecord?>(null);

    public void RecordAnswer(string sid, long rid, ReadOnlyMemory<byte> answer)
    {
    }

    public void RecordJid(string sid, string jid)
    {
    }

    public void Remove(string sid)
    {
    }
}
