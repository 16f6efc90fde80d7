namespace BoshGateway.Cluster;

/// <summary>How forwarding a request to its session's owner went.</summary>
public enum ForwardOutcome
{
    /// <summary>The owner's answer was relayed (or the client left meanwhile).</summary>
    Forwarded,

    /// <summary>Nothing listens at the owner's address: the owner process is gone.</summary>
    Refused,

    /// <summary>The owner could not be reached or did not answer in time; nothing was sent to the client yet.</summary>
    Failed,

    /// <summary>The registry dropped the owner (its lease ran out) while the request waited there; nothing was sent to the client yet.</summary>
    OwnerGone,
}
