namespace BoshGateway.Telemetry;

/// <summary>What became of a BOSH request for another node's session (<c>boshgateway.cluster.forwarded_requests</c>).</summary>
public enum ForwardingOutcome
{
    /// <summary>Passed to the owner node.</summary>
    Forwarded,

    /// <summary>The owner is gone; a repeated rid was answered from the directory.</summary>
    Replayed,

    /// <summary>The owner is gone: item-not-found.</summary>
    OwnerGone,

    /// <summary>The owner cannot be told now: HTTP 503, try again.</summary>
    Unknown,
}
