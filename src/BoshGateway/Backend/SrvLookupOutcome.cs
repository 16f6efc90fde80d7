namespace BoshGateway.Backend;

/// <summary>What a domain's SRV records say about its XMPP client service (RFC 6120 §3.2.1).</summary>
public enum SrvLookupOutcome
{
    /// <summary>At least one destination: connect to them in <see cref="SrvOrder"/> order.</summary>
    Found,

    /// <summary>No SRV records (NXDOMAIN or an empty answer): fall back to the domain itself on port 5222.</summary>
    NoRecords,

    /// <summary>
    /// The domain published a single SRV record with target "." for <c>_xmpp-client._tcp</c>: the service is decidedly
    /// not available there, so do not fall back to the domain on 5222 either.
    /// </summary>
    NotAvailable,

    /// <summary>The DNS could not answer (timeout, no server reachable, SERVFAIL, REFUSED, ...): nothing is known.</summary>
    Failed,
}
