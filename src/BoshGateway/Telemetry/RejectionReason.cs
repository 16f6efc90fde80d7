namespace BoshGateway.Telemetry;

/// <summary>Why a new session was refused before it started (<c>boshgateway.rejected_sessions</c>).</summary>
public enum RejectionReason
{
    /// <summary>The client's address holds the most sessions it may (<c>Gateway:MaxSessionsPerClientAddress</c>).</summary>
    AddressCap,

    /// <summary>The client's address holds the most not-yet-authenticated sessions it may (<c>Gateway:Throttle:MaxUnauthenticatedPerAddress</c>).</summary>
    Unauthenticated,

    /// <summary>The client's address starts sessions faster than <c>Gateway:Throttle:SessionsPerSecond</c>.</summary>
    StartRate,

    /// <summary>The client's address asked for too many unknown sids (<c>Gateway:Throttle:UnknownSidsPerSecond</c>).</summary>
    UnknownSidRate,

    /// <summary>The Origin is not allowed.</summary>
    Origin,

    /// <summary>The node is stopping.</summary>
    Draining,

    /// <summary>No stream to the XMPP server could be opened (or it refused the stream).</summary>
    BackendUnavailable,

    /// <summary>Too many connects to the server were under way (<c>Gateway:Backends:MaxConnectsInFlight</c>): 503 with Retry-After.</summary>
    BackendBusy,

    /// <summary>The session directory (Redis) cannot be reached.</summary>
    DirectoryUnavailable,

    /// <summary>The session request itself was refused (unknown domain, missing subprotocol, bad body).</summary>
    BadRequest,
}
