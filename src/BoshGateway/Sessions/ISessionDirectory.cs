namespace BoshGateway.Sessions;

/// <summary>
/// Where a session lives (sid → owner node and durable fields). The in-memory directory is the
/// single-node default; a Redis directory lets several nodes serve as one.
/// </summary>
public interface ISessionDirectory
{
    ValueTask RegisterAsync(SessionRecord record, CancellationToken cancellationToken);

    ValueTask<SessionRecord?> FindAsync(string sid, CancellationToken cancellationToken);

    ValueTask RemoveAsync(string sid, CancellationToken cancellationToken);
}
