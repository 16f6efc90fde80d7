namespace BoshGateway.Backend;

/// <summary>
/// Turns a session's target into the servers that may carry its stream, in preference order (lower
/// priority first): the configured list, or with <c>Srv</c> what DNS names for the domain
/// (<c>_xmpp-client._tcp</c> and <c>_xmpps-client._tcp</c>, RFC 6120 §3.2, XEP-0368). When DNS names
/// nothing, or cannot be asked, the configured list is used; when it says the domain offers no client
/// service (a lone "." target), the session is refused.
/// </summary>
public class DestinationResolver(SrvLookup srv)
{
    public virtual async ValueTask<IReadOnlyList<DestinationAddress>> ResolveAsync(BackendTarget target, CancellationToken cancellationToken)
    {
        if (!target.Srv)
        {
            return target.Destinations;
        }
        var result = await srv.LookupAsync(target.Domain, cancellationToken);
        return result.Outcome switch
        {
            SrvLookupOutcome.Found => SrvOrder.Order(result.Destinations, Random.Shared),
            SrvLookupOutcome.NotAvailable => throw new BackendConnectException($"DNS says {target.Domain} offers no XMPP client service"),
            _ => target.Destinations,
        };
    }
}
