using System.Collections.Concurrent;
using BoshGateway.Cluster;
using BoshGateway.Configuration;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BoshGateway.Prebind;

/// <summary>
/// Makes each request token single-use: its <c>jti</c> is remembered until the token expires. With Redis the
/// claim is a <c>SET NX</c> shared by every node (a token replayed to another node is refused too), and a
/// token is refused while Redis cannot be reached; alone, the node remembers them itself, at most
/// <see cref="MaxRemembered"/> at once.
/// </summary>
internal sealed class PrebindReplayGuard(TimeProvider time, IOptions<GatewayOptions> options, RedisConnection? redis = null)
{
    internal const int MaxRemembered = 100_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _used = new(StringComparer.Ordinal);
    private readonly TimeSpan _redisTimeout = options.Value.Cluster.RedisTimeout;

    public enum Outcome
    {
        FirstUse,
        Replayed,
        Unavailable,
    }

    public async ValueTask<Outcome> TryUseAsync(PrebindToken token, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (redis is not null)
        {
            try
            {
                var claimed = await redis.Database.StringSetAsync(RedisConnection.PrebindTokenKey(token.Id), 1, token.Expires - now, When.NotExists)
                    .WaitAsync(_redisTimeout, cancellationToken);
                return claimed ? Outcome.FirstUse : Outcome.Replayed;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                return Outcome.Unavailable;
            }
        }
        if (_used.Count >= MaxRemembered / 2)
        {
            foreach (var (id, expires) in _used)
            {
                if (expires <= now)
                {
                    _used.TryRemove(id, out _);
                }
            }
            if (_used.Count >= MaxRemembered)
            {
                return Outcome.Unavailable;
            }
        }
        return _used.TryAdd(token.Id, token.Expires) ? Outcome.FirstUse : Outcome.Replayed;
    }
}
