using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.IntegrationTests.Nginx;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>A real redis-server, several gateway node processes sharing it, and optionally the shipped nginx configuration balancing round-robin across them.</summary>
public sealed class TestCluster : IAsyncDisposable
{
    private TestCluster(RedisServer redis, GatewayNode[] nodes, NginxFrontend? nginx)
    {
        Redis = redis;
        Nodes = nodes;
        Nginx = nginx;
    }

    public RedisServer Redis { get; }

    public GatewayNode[] Nodes { get; }

    public NginxFrontend? Nginx { get; }

    public Uri NginxBoshUrl => new(Nginx!.BaseUrl, "/http-bind");

    public static async Task<TestCluster> StartAsync(XmppServer server, int nodes, bool withNginx, string name)
    {
        server.RequireRunning();
        var redis = await RedisServer.StartAsync();
        var started = await Task.WhenAll(Enumerable.Range(1, nodes).Select(i => GatewayNode.StartAsync($"node{i}", server.C2sPort, redis.ConnectionString)));
        NginxFrontend? nginx = null;
        if (withNginx)
        {
            nginx = await NginxFrontend.StartAsync(name, [.. started.Select(n => n.Port)]);
            nginx.RequireRunning();
        }
        return new TestCluster(redis, started, nginx);
    }

    public async Task<long> ForwardedAsync()
    {
        long sum = 0;
        foreach (var node in Nodes)
        {
            sum += await node.HealthFigureAsync("forwarded");
        }
        return sum;
    }

    public async ValueTask DisposeAsync()
    {
        if (Nginx is not null)
        {
            await Nginx.DisposeAsync();
        }
        await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));
        await Redis.DisposeAsync();
    }
}
