namespace BoshGateway.Sessions;

/// <summary>
/// Where a session lives (sid → owner node and durable fields). The in-memory directory is the
/// single-node default; the Redis directory lets several nodes serve as one. Only registration is
/// awaited (a new session needs it); the rest is best effort and never holds up an answer: the owner
/// node's memory stays authoritative for the rid window.
/// </summary>
public interface ISessionDirectory
{
    /// <summary>False while the shared store cannot be reached (new sessions are refused with 503).</summary>
    bool IsAvailable { get; }

    /// <summary>Stores a new session; false when the store could not be reached in time.</summary>
    ValueTask<bool> TryRegisterAsync(SessionRecord record, CancellationToken cancellationToken);

    /// <summary>The record, or null when unknown or when the store cannot be reached.</summary>
    ValueTask<SessionRecord?> FindAsync(string sid, CancellationToken cancellationToken);

    /// <summary>Notes the answer to <paramref name="rid"/> (for replay by another node) and keeps the record alive.</summary>
    void RecordAnswer(string sid, long rid, ReadOnlyMemory<byte> answer);

    /// <summary>Notes the JID the session bound.</summary>
    void RecordJid(string sid, string jid);

    void Remove(string sid);
}
