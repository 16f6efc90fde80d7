namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>Multi-node runs start several gateway processes, Redis and nginx: they go one at a time, after the parallel tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ClusterCollection
{
    public const string Name = "Cluster";
}
