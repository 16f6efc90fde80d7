using BoshGateway.Telemetry;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Cluster;

/// <summary>
/// Where a BOSH request goes when its sid is not one of this node's live sessions. The owner node is
/// read from the signed sid, its address from the registry (or the last address seen, while Redis is
/// down); the request is forwarded there. If nothing listens at that address, or the registry says
/// the owner is gone and it does not answer, the session is over: the last answer stored in Redis is
/// replayed for a repeated rid, anything else gets <c>item-not-found</c> (so clients with XEP-0198
/// resume on a new session). When the owner cannot be found or reached for now, HTTP 503 lets the
/// client resend the same rid.
/// </summary>
internal sealed partial class ClusterRouter(
    ClusterSigner signer,
    NodeRegistry registry,
    OwnerForwarder forwarder,
    ISessionDirectory directory,
    SessionLifecycle lifecycle,
    IOptions<GatewayOptions> options,
    GatewayMetrics metrics,
    TimeProvider time,
    ILogger<ClusterRouter> logger)
{
    private readonly string _node = options.Value.Node.Id;
    private readonly TimeSpan _goneOwnerTimeout = options.Value.Cluster.NodeLease;
    private long _forwarded;

    /// <summary>Requests this node passed on to their owner.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    public string NewSessionId() => signer.NewSessionId(_node);

    /// <summary>Fencing before serving: see <see cref="NodeRegistry.EnsureLeaseAsync"/>.</summary>
    public ValueTask EnsureLeaseAsync() => registry.EnsureLeaseAsync();

    /// <summary>
    /// Null when the request was not forwarded; otherwise whether its signature holds, and with it whether the client
    /// sent it over HTTPS to the node that forwarded it (<paramref name="overHttps"/>; null when that node did not say).
    /// </summary>
    public bool? VerifyForwarded(HttpRequest request, ReadOnlySpan<byte> body, out bool? overHttps)
    {
        overHttps = null;
        if (!request.Headers.TryGetValue(ClusterSigner.ForwardedHeader, out var mark))
        {
            return null;
        }
        if (signer.VerifyForward(mark.ToString(), body, time.GetUtcNow(), out var from, out overHttps))
        {
            Log.ForwardAccepted(logger, from);
            return true;
        }
        Log.ForgedForward(logger, request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown");
        return false;
    }

    public async Task<BoshReply> AnswerElsewhereAsync(HttpContext context, BoshBody body, byte[] bytes, string sid)
    {
        if (!signer.TryGetOwner(sid, out var owner))
        {
            // No node issued this sid (guessed or forged): item-not-found, then 429 once the address's budget is spent.
            return BoshReply.UnknownSid(lifecycle, context.Connection.RemoteIpAddress);
        }
        var location = await registry.LocateAsync(owner, context.RequestAborted);
        if (location.State == NodeState.Self || location.Url is null)
        {
            // Self: the session died with an earlier process of this node. Unknown: Redis cannot be
            // asked. Gone while the registry is being rebuilt after Redis lost its data: the owner may
            // be alive and about to register again. Both are "try again", never the end of a session.
            if (location.State == NodeState.Unknown || (location.State == NodeState.Gone && await registry.IsRebuildingAsync(context.RequestAborted)))
            {
                Log.TryAgain(logger, sid, owner, location.State);
                metrics.Forwarded(ForwardingOutcome.Unknown);
                return BoshReply.Unavailable;
            }
            return await ReplayOrNotFoundAsync(context, sid, body.Rid, owner);
        }
        var gone = location.State == NodeState.Gone;
        Log.Forwarding(logger, sid, owner);
        Interlocked.Increment(ref _forwarded);
        ForwardOutcome outcome;
        using (var watch = registry.Watch(owner))
        {
            outcome = await forwarder.ForwardAsync(context, bytes, location.Url, gone ? _goneOwnerTimeout : null, watch.OwnerGone);
        }
        switch (outcome)
        {
            case ForwardOutcome.Forwarded:
                metrics.Forwarded(ForwardingOutcome.Forwarded);
                return BoshReply.Handled;
            case ForwardOutcome.Refused:
            case ForwardOutcome.OwnerGone:
                // Nothing listens at the owner's address, or it stalled past its lease while holding
                // this request: its sessions are over (a stalled owner ends them itself if it wakes).
                registry.Forget(owner);
                return await ReplayOrNotFoundAsync(context, sid, body.Rid, owner);
            default:
                if (gone)
                {
                    registry.Forget(owner);
                }
                Log.TryAgain(logger, sid, owner, location.State);
                metrics.Forwarded(ForwardingOutcome.Unknown);
                return BoshReply.Unavailable;
        }
    }

    private async Task<BoshReply> ReplayOrNotFoundAsync(HttpContext context, string sid, long rid, string owner)
    {
        var record = await directory.FindAsync(sid, context.RequestAborted);
        if (record is { LastAnswer: { } answer } && record.LastRid == rid)
        {
            Log.ReplayedFromDirectory(logger, sid, rid);
            metrics.Forwarded(ForwardingOutcome.Replayed);
            return BoshReply.With(answer);
        }
        Log.OwnerGone(logger, sid, owner);
        metrics.Forwarded(ForwardingOutcome.OwnerGone);
        lifecycle.UnknownSid(context.Connection.RemoteIpAddress);
        return BoshReply.With(BoshResponseWriter.Terminate(BoshConditions.ItemNotFound));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ForwardAccepted, EventName = nameof(EventIds.ForwardAccepted), Level = LogLevel.Debug, Message = "Request forwarded by node {Node} accepted")]
        public static partial void ForwardAccepted(ILogger logger, string node);

        [LoggerMessage(EventId = EventIds.ForwardingToOwner, EventName = nameof(EventIds.ForwardingToOwner), Level = LogLevel.Debug, Message = "Request for session {Sid} forwarded to its owner {Owner}")]
        public static partial void Forwarding(ILogger logger, string sid, string owner);

        [LoggerMessage(EventId = EventIds.OwnerGone, EventName = nameof(EventIds.OwnerGone), Level = LogLevel.Information, Message = "Session {Sid} ended with its owner node {Owner}: item-not-found")]
        public static partial void OwnerGone(ILogger logger, string sid, string owner);

        [LoggerMessage(EventId = EventIds.ReplayedFromDirectory, EventName = nameof(EventIds.ReplayedFromDirectory), Level = LogLevel.Information, Message = "Session {Sid}: rid {Rid} answered again from Redis (its owner is gone)")]
        public static partial void ReplayedFromDirectory(ILogger logger, string sid, long rid);

        [LoggerMessage(EventId = EventIds.OwnerUnreachable, EventName = nameof(EventIds.OwnerUnreachable), Level = LogLevel.Information, Message = "Session {Sid}: owner {Owner} cannot be reached now (registry: {State}); answered 503 so the client resends")]
        public static partial void TryAgain(ILogger logger, string sid, string owner, NodeState state);

        [LoggerMessage(EventId = EventIds.ForgedForward, EventName = nameof(EventIds.ForgedForward), Level = LogLevel.Warning, Message = "Refused a request from {Address} that claims to be forwarded by a node but is not signed with the cluster secret")]
        public static partial void ForgedForward(ILogger logger, string address);
    }
}
