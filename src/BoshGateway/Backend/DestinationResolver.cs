namespace BoshGateway.Backend;

/// <summary>
/// Turns a session's target into the servers that may carry its stream, in preference order (lower
/// priority first): the configured list, or with <c>Srv</c> what DNS names for the domain.
/// </summary>
public class DestinationResolver
{
    public virtual ValueTask<IReadOnlyList<DestinationAddress>> ResolveAsync(BackendTarget target, CancellationToken cancellationToken) =>
        ValueTask.FromResult(target.Destinations);
}
