namespace BoshGateway.Configuration;

/// <summary>This node's identity in a cluster (<c>Gateway:Node</c>).</summary>
public sealed class NodeOptions
{
    /// <summary>Node id (letters, digits, '-' and '_'; at most 40); unique per node. Default: the machine name.</summary>
    public string Id { get; set; } = Environment.MachineName;

    /// <summary>Base URL other nodes use to reach this one (e.g. <c>http://10.0.0.5:8080</c>); default: the first bound URL.</summary>
    public string? InternalUrl { get; set; }
}
