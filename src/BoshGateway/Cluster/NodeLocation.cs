namespace BoshGateway.Cluster;

/// <summary>What the registry says about a session's owner node.</summary>
public enum NodeState
{
    /// <summary>This node.</summary>
    Self,

    /// <summary>Registered: its heartbeat is current.</summary>
    Alive,

    /// <summary>Not registered: its lease ran out or it left.</summary>
    Gone,

    /// <summary>Redis could not be asked; the address, if any, is the last one seen.</summary>
    Unknown,
}

/// <summary>A node's state and the base URL to forward to, when one is known.</summary>
public readonly record struct NodeLocation(NodeState State, string? Url);
