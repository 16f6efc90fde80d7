namespace BoshGateway.Configuration;

/// <summary>
/// Per-client-address limits beside <see cref="GatewayOptions.MaxSessionsPerClientAddress"/> (<c>Gateway:Throttle</c>).
/// The XMPP server sees every client as the gateway, so these can only be enforced here. Refusals happen before a
/// session exists: HTTP 429 with <c>Retry-After</c>. Rates are token buckets: a burst, refilled each second.
/// </summary>
public sealed class ThrottleOptions
{
    /// <summary>New sessions (BOSH and WebSocket together) one address may start per second, sustained. Default 20; 0 turns the limit off.</summary>
    public int SessionsPerSecond { get; set; } = 20;

    /// <summary>New sessions one address may start at once before <see cref="SessionsPerSecond"/> applies. Default 100.</summary>
    public int SessionBurst { get; set; } = 100;

    /// <summary>BOSH requests for a sid this gateway does not know, per address per second, sustained. Default 5; 0 turns the limit off.</summary>
    public int UnknownSidsPerSecond { get; set; } = 5;

    /// <summary>Unknown-sid requests one address may make at once before <see cref="UnknownSidsPerSecond"/> applies. Default 20.</summary>
    public int UnknownSidBurst { get; set; } = 20;

    /// <summary>Sessions of one address that have a backend stream but no SASL success yet. Default 50.</summary>
    public int MaxUnauthenticatedPerAddress { get; set; } = 50;

    /// <summary>
    /// In-band registrations (XEP-0077 submissions before login) one address may make per hour, sustained. The server
    /// sees them all come from the gateway, so its own per-address throttle would count every user as one. Over the
    /// limit the session ends with <c>policy-violation</c> before the registration is forwarded. Default 6; 0 turns the limit off.
    /// </summary>
    public int RegistrationsPerHour { get; set; } = 6;

    /// <summary>Registrations one address may make at once before <see cref="RegistrationsPerHour"/> applies. Default 5.</summary>
    public int RegistrationBurst { get; set; } = 5;
}
