using BoshGateway.Telemetry;
using BoshGateway.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BoshGateway.Cluster;

/// <summary>
/// The one shared Redis multiplexer of this node. It never aborts on a failed connect (the node
/// starts, and keeps serving its sessions, while Redis is down) and reconnects by itself; its
/// timeouts default to <c>Gateway:Cluster:RedisTimeout</c> unless the connection string sets them.
/// </summary>
public sealed partial class RedisConnection : IDisposable
{
    private readonly ILogger _logger;

    public RedisConnection(IOptions<GatewayOptions> options, ILogger<RedisConnection> logger)
    {
        _logger = logger;
        var text = options.Value.Redis ?? throw new InvalidOperationException("Gateway:Redis is not set.");
        var config = ConfigurationOptions.Parse(text);
        config.AbortOnConnectFail = false;
        config.ClientName ??= "boshgateway-" + options.Value.Node.Id;
        var timeout = (int)options.Value.Cluster.RedisTimeout.TotalMilliseconds;
        if (!text.Contains("connectTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            config.ConnectTimeout = timeout;
        }
        if (!text.Contains("syncTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            config.SyncTimeout = timeout;
        }
        if (!text.Contains("asyncTimeout=", StringComparison.OrdinalIgnoreCase))
        {
            config.AsyncTimeout = timeout;
        }
        Multiplexer = ConnectionMultiplexer.Connect(config);
        Multiplexer.ConnectionFailed += (_, e) => Log.ConnectionFailed(_logger, e.EndPoint, e.FailureType, e.Exception?.Message);
        Multiplexer.ConnectionRestored += (_, e) => Log.ConnectionRestored(_logger, e.EndPoint);
        if (!Multiplexer.IsConnected)
        {
            Log.NotConnectedAtStart(_logger);
        }
    }

    public IConnectionMultiplexer Multiplexer { get; }

    public bool IsConnected => Multiplexer.IsConnected;

    public IDatabase Database => Multiplexer.GetDatabase();

    /// <summary>The hash of one session; the sid is the hash tag, so Redis Cluster keeps it in one slot.</summary>
    public static RedisKey SessionKey(string sid) => "bg:s:{" + sid + "}";

    /// <summary>A used prebind request token (its <c>jti</c>), kept until the token expires.</summary>
    public static RedisKey PrebindTokenKey(string id) => "bg:pb:{" + id + "}";

    /// <summary>A node's registry entry (its internal URL), kept alive by its heartbeat.</summary>
    public static RedisKey NodeKey(string node) => "bg:n:{" + node + "}";

    public void Dispose() => Multiplexer.Dispose();

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.RedisConnectionFailed, EventName = nameof(EventIds.RedisConnectionFailed), Level = LogLevel.Warning, Message = "Redis connection to {EndPoint} failed ({FailureType}): {Message}. Sessions continue on their owners; new sessions are refused until it returns")]
        public static partial void ConnectionFailed(ILogger logger, System.Net.EndPoint? endPoint, ConnectionFailureType failureType, string? message);

        [LoggerMessage(EventId = EventIds.RedisConnectionRestored, EventName = nameof(EventIds.RedisConnectionRestored), Level = LogLevel.Information, Message = "Redis connection to {EndPoint} restored")]
        public static partial void ConnectionRestored(ILogger logger, System.Net.EndPoint? endPoint);

        [LoggerMessage(EventId = EventIds.RedisNotConnectedAtStart, EventName = nameof(EventIds.RedisNotConnectedAtStart), Level = LogLevel.Warning, Message = "Redis is not reachable at start-up; the node starts and keeps trying")]
        public static partial void NotConnectedAtStart(ILogger logger);
    }
}
