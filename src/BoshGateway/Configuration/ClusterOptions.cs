namespace BoshGateway.Configuration;

/// <summary>Several nodes serving as one (<c>Gateway:Cluster</c>); used when <c>Gateway:Redis</c> is set.</summary>
public sealed class ClusterOptions
{
    /// <summary>
    /// Secret shared by all nodes (at least 32 characters). It signs the owner node inside each
    /// session id and every request one node forwards to another. Required with Redis.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>How long a node's registry entry lives without a heartbeat: a node silent this long counts as gone. Default 10 s.</summary>
    public TimeSpan NodeLease { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often a node renews its registry entry. Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Time allowed to open a connection to the owner node when forwarding. Default 2 s.</summary>
    public TimeSpan ForwardConnectTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most time one Redis call may take on a request's path before the request is answered without it. Default 2 s.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest BOSH answer kept in Redis so another node can replay it after the owner is gone. Default 64 KiB.</summary>
    public int MaxReplayBytes { get; set; } = 64 * 1024;
}
