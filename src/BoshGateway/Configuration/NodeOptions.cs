namespace BoshGateway.Configuration;

/// <summary>This node's identity in a cluster (<c>Gateway:Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>Node id; default: the machine name.</summary>
    public string Id { get; set; } = Environment.MachineName;

    /// <summary>Address other nodes use to reach this one; default: the first bound URL.</summary>
    public string? InternalUrl { get; set; }
}
