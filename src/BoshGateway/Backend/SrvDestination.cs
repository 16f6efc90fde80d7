namespace BoshGateway.Backend;

/// <summary>
/// One place a domain's XMPP client service can be reached, from a DNS SRV record (RFC 6120 §3.2.1, XEP-0368).
/// </summary>
/// <param name="Host">The record's target, without the trailing dot.</param>
/// <param name="Port">The record's port.</param>
/// <param name="Priority">Lower is tried first (RFC 2782).</param>
/// <param name="Weight">Relative share among records of the same priority (RFC 2782); 0 = only a small chance.</param>
/// <param name="DirectTls">True for <c>_xmpps-client._tcp</c> (TLS from the first byte, XEP-0368); false for
/// <c>_xmpp-client._tcp</c> (plain TCP, then STARTTLS).</param>
public readonly record struct SrvDestination(string Host, int Port, int Priority, int Weight, bool DirectTls);
