using BoshGateway.Telemetry;
using System.Collections.Concurrent;
using System.Globalization;
using BoshGateway.Configuration;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace BoshGateway.Cluster;

/// <summary>
/// The session directory in Redis: one hash per session (<c>bg:s:{sid}</c>) with the owner node,
/// creation parameters, bound JID and the last answer, expiring after the longest silence a live
/// session can have. Only registration is awaited; answers and JIDs are written fire-and-forget in
/// the connection's pipeline. Redis is never the only copy of anything the owner needs: the rid
/// window lives in the owner's memory, so lost or regressed writes cannot cause a double forward.
/// </summary>
internal sealed partial class RedisSessionDirectory : ISessionDirectory
{
    // Answers only move forward, and a removed session is never brought back by a late write.
    private const string RecordAnswerScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
        local current = tonumber(redis.call('HGET', KEYS[1], 'rid') or '-1')
        if tonumber(ARGV[1]) >= current then
          if ARGV[2] == '' then
            redis.call('HSET', KEYS[1], 'rid', ARGV[1])
            redis.call('HDEL', KEYS[1], 'answer')
          else
            redis.call('HSET', KEYS[1], 'rid', ARGV[1], 'answer', ARGV[2])
          end
        end
        redis.call('PEXPIRE', KEYS[1], ARGV[3])
        return 1
        """;

    private const string RecordFieldScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
        return 0
        """;

    private readonly RedisConnection _redis;
    private readonly ClusterOptions _cluster;
    private readonly TimeSpan _ttl;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, SessionRecord> _local = new(StringComparer.Ordinal);

    public RedisSessionDirectory(RedisConnection redis, IOptions<GatewayOptions> options, ILogger<RedisSessionDirectory> logger)
    {
        _redis = redis;
        _cluster = options.Value.Cluster;
        var bosh = options.Value.Bosh;
        // The longest a live session goes without a request: a held wait, then inactivity or a pause.
        _ttl = bosh.MaxWait + (bosh.Inactivity > bosh.MaxPause ? bosh.Inactivity : bosh.MaxPause) + TimeSpan.FromSeconds(30);
        _logger = logger;
    }

    public bool IsAvailable => _redis.IsConnected;

    public async ValueTask<bool> TryRegisterAsync(SessionRecord record, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            return false;
        }
        try
        {
            await Write(record).WaitAsync(_cluster.RedisTimeout, cancellationToken);
            _local[record.Sid] = record;
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            Log.RegisterFailed(_logger, record.Sid, ex.Message);
            return false;
        }
    }

    public async ValueTask<SessionRecord?> FindAsync(string sid, CancellationToken cancellationToken)
    {
        if (!_redis.IsConnected)
        {
            return null;
        }
        try
        {
            var fields = await _redis.Database.HashGetAllAsync(RedisConnection.SessionKey(sid)).WaitAsync(_cluster.RedisTimeout, cancellationToken);
            return fields.Length == 0 ? null : Read(sid, fields);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException or FormatException)
        {
            Log.LookupFailed(_logger, sid, ex.Message);
            return null;
        }
    }

    // The best-effort writes below are skipped while Redis is down rather than queued in the
    // multiplexer's backlog: the owner does not need them, and the keys expire by themselves. They
    // use the async API, discarded: a sync call can wait for the connection, and Remove runs
    // while a session's lock is held.
    public void RecordAnswer(string sid, long rid, ReadOnlyMemory<byte> answer)
    {
        if (!_redis.IsConnected)
        {
            return;
        }
        RedisValue kept = answer.Length <= _cluster.MaxReplayBytes ? answer : RedisValue.EmptyString;
        _ = _redis.Database.ScriptEvaluateAsync(RecordAnswerScript, [RedisConnection.SessionKey(sid)],
            [rid, kept, (long)_ttl.TotalMilliseconds], CommandFlags.FireAndForget);
    }

    public void RecordJid(string sid, string jid)
    {
        if (_local.TryGetValue(sid, out var record))
        {
            _local[sid] = record with { Jid = jid };
        }
        if (!_redis.IsConnected)
        {
            return;
        }
        _ = _redis.Database.ScriptEvaluateAsync(RecordFieldScript, [RedisConnection.SessionKey(sid)], ["jid", jid], CommandFlags.FireAndForget);
    }

    public void Remove(string sid)
    {
        _local.TryRemove(sid, out _);
        if (!_redis.IsConnected)
        {
            return;
        }
        _ = _redis.Database.KeyDeleteAsync(RedisConnection.SessionKey(sid), CommandFlags.FireAndForget);
    }

    /// <summary>Writes this node's live sessions again (after Redis lost its data: a restart without persistence, FLUSHALL, a failover).</summary>
    public int RepublishLocal()
    {
        foreach (var record in _local.Values)
        {
            _ = Write(record, CommandFlags.FireAndForget);
        }
        return _local.Count;
    }

    private Task<bool> Write(SessionRecord record, CommandFlags flags = CommandFlags.None)
    {
        var key = RedisConnection.SessionKey(record.Sid);
        HashEntry[] fields =
        [
            new("owner", record.OwnerNode),
            new("domain", record.Domain),
            new("wait", record.Wait),
            new("hold", record.Hold),
            new("inactivity", record.Inactivity),
            new("created", record.Created.ToUnixTimeMilliseconds()),
            .. record.Jid is { } jid ? [new HashEntry("jid", jid)] : Array.Empty<HashEntry>(),
        ];
        var transaction = _redis.Database.CreateTransaction();
        _ = transaction.HashSetAsync(key, fields, flags);
        _ = transaction.KeyExpireAsync(key, _ttl, flags: flags);
        return transaction.ExecuteAsync(flags);
    }

    private static SessionRecord Read(string sid, HashEntry[] fields)
    {
        var map = fields.ToDictionary(f => f.Name.ToString(), f => f.Value, StringComparer.Ordinal);
        RedisValue Get(string name) => map.TryGetValue(name, out var value) ? value : RedisValue.Null;
        int Int(string name) => (int)Get(name);
        return new SessionRecord(sid, Get("owner").ToString(), Get("domain").ToString(), Int("wait"), Int("hold"), Int("inactivity"),
            DateTimeOffset.FromUnixTimeMilliseconds((long)Get("created")))
        {
            Jid = Get("jid").IsNull ? null : Get("jid").ToString(),
            LastRid = Get("rid").IsNull ? -1 : long.Parse(Get("rid").ToString(), CultureInfo.InvariantCulture),
            LastAnswer = Get("answer").IsNull ? null : (byte[]?)Get("answer"),
        };
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.SessionRegisterFailed, EventName = nameof(EventIds.SessionRegisterFailed), Level = LogLevel.Warning, Message = "Session {Sid} could not be registered in Redis: {Message}")]
        public static partial void RegisterFailed(ILogger logger, string sid, string message);

        [LoggerMessage(EventId = EventIds.SessionLookupFailed, EventName = nameof(EventIds.SessionLookupFailed), Level = LogLevel.Debug, Message = "Session {Sid} could not be looked up in Redis: {Message}")]
        public static partial void LookupFailed(ILogger logger, string sid, string message);
    }
}
