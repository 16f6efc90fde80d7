using BoshGateway.Telemetry;
using System.Globalization;
using BoshGateway.Backend;
using BoshGateway.Cluster;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Bosh;

/// <summary>
/// The BOSH endpoint (XEP-0124 + XEP-0206). Inside a session every error is a 200 with a terminate
/// body, never a 4xx: Strophe.js and StanzaJS drop the session on any 4xx and resend the same rid on
/// 5xx. HTTP errors are used only before a session exists (403 for a refused Origin, 429 for too
/// many sessions from one address) and 503 for "try again" (Redis or the owner node unreachable).
/// In a cluster, a request for another node's session is passed to <see cref="ClusterRouter"/>.
/// </summary>
internal sealed partial class BoshEndpoint(
    IOptions<GatewayOptions> options,
    SessionLifecycle lifecycle,
    ISessionDirectory directory,
    OriginPolicy origins,
    TimeProvider time,
    ILoggerFactory loggers,
    ClusterRouter? cluster = null)
{
    private const string HighestVersion = "1.11";
    private static readonly TimeSpan WriteTurnLimit = TimeSpan.FromSeconds(2);
    private readonly ILogger _logger = loggers.CreateLogger<BoshEndpoint>();
    private readonly SessionTable _sessions = lifecycle.Table;
    private readonly GatewayOptions _options = options.Value;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var allowed = origins.Admit(context);
        if (HttpMethods.IsOptions(request.Method))
        {
            Preflight(context, allowed);
            return;
        }
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method))
        {
            await InfoPage.WriteAsync(context, "BOSH endpoint", $"This is an XMPP BOSH endpoint (XEP-0124/XEP-0206). Point your client's BOSH URL here and POST &lt;body/&gt; requests.");
            return;
        }
        if (!HttpMethods.IsPost(request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD, POST, OPTIONS";
            return;
        }
        if (!allowed)
        {
            Log.OriginRefused(_logger, request.Headers.Origin);
            lifecycle.Reject(SessionTransport.Bosh, RejectionReason.Origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        var reply = await AnswerAsync(context);
        if ((reply.Held is { } held ? await held : reply.Answer) is not { } answer)
        {
            if (reply.Status != 0)
            {
                context.Response.StatusCode = reply.Status;
                context.Response.Headers.CacheControl = "no-store";
                if (reply.RetryAfter is { } after)
                {
                    context.Response.Headers.RetryAfter = after;
                }
            }
            return;
        }
        try
        {
            await answer.WaitForTurnAsync(WriteTurnLimit, _options.Bosh.AnswerSpacing, time);
            if (!await BoshResponseSender.SendAsync(context, answer.Body, _options.Bosh.CompressResponsesFrom, _options.Bosh.SendTimeout))
            {
                Log.AnswerNotTaken(_logger, answer.Body.Length, _options.Bosh.SendTimeout);
            }
        }
        finally
        {
            answer.MarkWritten(time);
        }
    }

    private async Task<BoshReply> AnswerAsync(HttpContext context)
    {
        byte[]? bytes;
        try
        {
            bytes = await BoshRequestReader.ReadAsync(context.Request, _options.Bosh.MaxBodyBytes, context.RequestAborted);
        }
        catch (InvalidDataException)
        {
            return BoshReply.With(BoshResponseWriter.Terminate(BoshConditions.BadRequest));
        }
        catch (BadHttpRequestException ex)
        {
            // Kestrel gave up on the body (slower than Kestrel:Limits:MinRequestBodyDataRate, or cut short): the
            // client's doing, answered with Kestrel's status, not an unhandled exception in the server's log.
            Log.BodyNotRead(_logger, ex.StatusCode, ex.Message);
            return BoshReply.WithStatus(ex.StatusCode);
        }
        if (bytes is null)
        {
            Log.BadRequest(_logger, BoshConditions.PolicyViolation, "body larger than Gateway:Bosh:MaxBodyBytes");
            return BoshReply.With(BoshResponseWriter.Terminate(BoshConditions.PolicyViolation));
        }
        bool? forwardedOverHttps = null;
        var forwarded = cluster?.VerifyForwarded(context.Request, bytes, out forwardedOverHttps);
        if (forwarded == false)
        {
            return BoshReply.WithStatus(StatusCodes.Status403Forbidden);
        }
        // The client's scheme: as the node that forwarded the request saw it (a node of an older version does not
        // say, and is not held against the session), else as this node sees it.
        var overHttps = forwarded == true ? forwardedOverHttps ?? true : context.Request.IsHttps;
        BoshBody body;
        try
        {
            body = BoshBodyParser.Parse(bytes, _options.Limits);
        }
        catch (XmlStreamException ex)
        {
            Log.BadRequest(_logger, ex.BoshCondition, ex.Message);
            return BoshReply.With(BoshResponseWriter.Terminate(ex.BoshCondition));
        }
        catch (BoshProtocolException ex)
        {
            Log.BadRequest(_logger, ex.Condition, ex.Message);
            return BoshReply.With(ex.Sid is not null && _sessions.TryGet(ex.Sid, out var refused)
                ? refused.End(ex.Condition, SessionEndReason.Error)
                : BoshResponseWriter.Terminate(ex.Condition));
        }

        try
        {
            if (cluster is not null)
            {
                // A node just woken from a stall fences first: before serving a session other nodes
                // have declared over, and before creating one its fencing would end at once.
                await cluster.EnsureLeaseAsync();
            }
            if (body.Sid is not { } sid)
            {
                return await CreateSessionAsync(body, context.Connection.RemoteIpAddress, overHttps, context.RequestAborted);
            }
            if (_sessions.TryGet(sid, out var session))
            {
                if (session.CreatedOverHttps && !overHttps)
                {
                    // XEP-0124 §19.1: close the connection, keep the session (the request may be an attacker's, or a
                    // mistake). Forwarded: the node that holds the client's connection closes it.
                    Log.InsecureRequestRefused(_logger, sid);
                    if (forwarded == true)
                    {
                        context.Response.Headers[ClusterSigner.CloseClientHeader] = "insecure";
                        return BoshReply.WithStatus(StatusCodes.Status403Forbidden);
                    }
                    context.Abort();
                    return BoshReply.Handled;
                }
                return BoshReply.Later(HandleLocalAsync(session, body, context.RequestAborted));
            }
            // Not here. A forwarded request is never throttled or forwarded again: the owner's word is final.
            // With a cluster, the router throttles only sids no node can have issued (their HMAC fails).
            if (forwarded is null)
            {
                if (cluster is not null)
                {
                    return await cluster.AnswerElsewhereAsync(context, body, bytes, sid);
                }
                return BoshReply.UnknownSid(lifecycle, context.Connection.RemoteIpAddress);
            }
            return BoshReply.With(BoshResponseWriter.Terminate(BoshConditions.ItemNotFound));
        }
        catch (BoshProtocolException ex)
        {
            Log.BadRequest(_logger, ex.Condition, ex.Message);
            return BoshReply.With(body.Sid is { } sid && _sessions.TryGet(sid, out var session)
                ? session.End(ex.Condition, SessionEndReason.Error)
                : BoshResponseWriter.Terminate(ex.Condition));
        }
    }

    /// <summary>A request for a session this node holds: answered by the session, the answer and bound JID noted in the directory.</summary>
    /// <remarks>
    /// Takes the rid and lets the body go before waiting: the session keeps a body only while its request waits for
    /// an earlier rid. A bad attribute throws here, before any task exists.
    /// </remarks>
    internal Task<BoshAnswer> HandleLocalAsync(BoshSession session, BoshBody body, CancellationToken requestAborted) =>
        RecordAsync(session, body.Rid, session.HandleAsync(body, requestAborted));

    private async Task<BoshAnswer> RecordAsync(BoshSession session, long rid, Task<BoshAnswer> answering)
    {
        var answer = await answering;
        directory.RecordAnswer(session.Sid, rid, answer.Body);
        if (session.TryTakeBoundJid(out var jid))
        {
            directory.RecordJid(session.Sid, jid);
        }
        return answer;
    }

    /// <summary>
    /// Opens a session for a creation request that did not come over HTTP (token prebind): as a client's,
    /// but with no client address (the caller proved who it is), so no per-address limit applies.
    /// </summary>
    internal Task<BoshReply> OpenAsync(BoshBody body, CancellationToken cancellationToken) => CreateSessionAsync(body, null, overHttps: false, cancellationToken);

    internal bool TryGetSession(string sid, out BoshSession session) => _sessions.TryGet(sid, out session!);

    private async Task<BoshReply> CreateSessionAsync(BoshBody body, System.Net.IPAddress? client, bool overHttps, CancellationToken requestAborted)
    {
        if (!directory.IsAvailable)
        {
            // Before the session exists: "try again" (robustness: new sessions fail fast while Redis is down).
            Log.DirectoryUnavailable(_logger);
            lifecycle.Reject(SessionTransport.Bosh, RejectionReason.DirectoryUnavailable);
            return BoshReply.Unavailable;
        }
        var admission = lifecycle.TryAdmit(SessionTransport.Bosh, client, cluster?.NewSessionId() ?? SessionId.New());
        if (admission.Info is not { } info)
        {
            // Before any session exists a binding-level refusal is right (XEP-0124 §17.1; robustness D1).
            return BoshReply.TooMany(admission.RetryAfterHeader);
        }
        try
        {
            return await StartSessionAsync(info, body, overHttps, requestAborted);
        }
        finally
        {
            // Gives the slot back when the session did not start; a no-op once it has (its end gives it back).
            if (!_sessions.TryGet(info.Sid, out _))
            {
                lifecycle.Abandon(info);
            }
        }
    }

    private async Task<BoshReply> StartSessionAsync(SessionInfo info, BoshBody body, bool overHttps, CancellationToken requestAborted)
    {
        var bosh = _options.Bosh;
        var target = BackendRoute.Resolve(_options.Backends, body.Attribute("to"), body.Attribute("route"));
        var maxWait = (int)bosh.MaxWait.TotalSeconds;
        var wait = (int)Math.Clamp(body.Number("wait") ?? maxWait, 0, maxWait);
        var hold = (int)Math.Clamp(body.Number("hold") ?? 1, 0, bosh.MaxHold);
        var language = body.Attribute("xml:lang");
        var parameters = new BoshSessionParameters(
            info.Sid,
            body.Rid,
            target.Domain,
            language,
            NegotiateVersion(body.Attribute("ver")),
            wait,
            hold,
            (int)bosh.Inactivity.TotalSeconds,
            (int)bosh.Polling.TotalSeconds,
            (int)bosh.MaxPause.TotalSeconds,
            body.Attribute("ack") is not null,
            body.Attribute("newkey"))
        {
            QueueFullTimeout = _options.Backends.QueueFullTimeout,
            PreAuthTimeout = bosh.PreAuthTimeout,
            MaxQueuedBytes = bosh.MaxQueuedBytes,
            CreatedOverHttps = overHttps,
        };

        var record = new SessionRecord(parameters.Sid, _options.Node.Id, target.Domain, wait, hold, parameters.Inactivity, time.GetUtcNow());
        if (!await directory.TryRegisterAsync(record, requestAborted))
        {
            Log.DirectoryUnavailable(_logger);
            lifecycle.Reject(SessionTransport.Bosh, RejectionReason.DirectoryUnavailable);
            return BoshReply.Unavailable;
        }
        using var activity = GatewayActivitySource.StartSession(info);
        var connected = await lifecycle.ConnectAsync(info, target, language, requestAborted);
        if (connected.RetryAfter is { } retryAfter)
        {
            // Before the session exists (it is abandoned): the client resends the same rid later.
            return new BoshReply(null, StatusCodes.Status503ServiceUnavailable, Admission.RetryAfterSeconds(retryAfter));
        }
        if (connected.Link is not { } link)
        {
            return BoshReply.With(connected.StreamError is { } error
                ? BoshResponseWriter.Write([new("type", "terminate"), new("condition", BoshConditions.RemoteStreamError)], [error], declareStream: true, declareXmpp: false)
                : BoshResponseWriter.Terminate(BoshConditions.RemoteConnectionFailed));
        }
        var session = new BoshSession(info, parameters, link, lifecycle, bosh.ReportMissingAfter, lifecycle.CreateLogger<BoshSession>(info));
        lifecycle.Add(session);
        lifecycle.Started(info, target.Domain);
        var created = session.Start();
        directory.RecordAnswer(session.Sid, body.Rid, created);
        return BoshReply.With(created);
    }

    private static string NegotiateVersion(string? requested)
    {
        if (requested is null || !Version.TryParse(requested, out var client))
        {
            return HighestVersion;
        }
        return client < Version.Parse(HighestVersion) ? client.ToString(2) : HighestVersion;
    }

    private static void Preflight(HttpContext context, bool allowed)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        if (!allowed)
        {
            return;
        }
        response.Headers.AccessControlAllowMethods = "GET, POST, OPTIONS";
        var requested = context.Request.Headers.AccessControlRequestHeaders;
        response.Headers.AccessControlAllowHeaders = requested.Count > 0 ? requested.ToString() : "Content-Type";
        response.Headers.AccessControlMaxAge = 86400.ToString(CultureInfo.InvariantCulture);
        response.ContentLength = 0;
    }

    private static partial class Log
    {


        [LoggerMessage(EventId = EventIds.BoshBadRequest, EventName = nameof(EventIds.BoshBadRequest), Level = LogLevel.Information, Message = "BOSH request refused with {Condition}: {Reason}")]
        public static partial void BadRequest(ILogger logger, string condition, string reason);


        [LoggerMessage(EventId = EventIds.BoshBodyNotRead, EventName = nameof(EventIds.BoshBodyNotRead), Level = LogLevel.Information, Message = "BOSH request body not read, HTTP {Status}: {Reason}")]
        public static partial void BodyNotRead(ILogger logger, int status, string reason);


        [LoggerMessage(EventId = EventIds.BoshAnswerNotTaken, EventName = nameof(EventIds.BoshAnswerNotTaken), Level = LogLevel.Information, Message = "A BOSH answer of {Bytes} bytes was not read for {Timeout} (Gateway:Bosh:SendTimeout): connection closed; the client may resend the rid")]
        public static partial void AnswerNotTaken(ILogger logger, int bytes, TimeSpan timeout);


        [LoggerMessage(EventId = EventIds.BoshInsecureRequestRefused, EventName = nameof(EventIds.BoshInsecureRequestRefused), Level = LogLevel.Information, Message = "BOSH session {Sid} was created over HTTPS; a request for it without HTTPS got its connection closed")]
        public static partial void InsecureRequestRefused(ILogger logger, string sid);


        [LoggerMessage(EventId = EventIds.SessionDirectoryUnavailable, EventName = nameof(EventIds.SessionDirectoryUnavailable), Level = LogLevel.Warning, Message = "New BOSH session refused with 503: the session directory (Redis) cannot be reached")]
        public static partial void DirectoryUnavailable(ILogger logger);


        [LoggerMessage(EventId = EventIds.BoshOriginRefused, EventName = nameof(EventIds.BoshOriginRefused), Level = LogLevel.Information, Message = "BOSH request from origin {Origin} refused")]
        public static partial void OriginRefused(ILogger logger, Microsoft.Extensions.Primitives.StringValues origin);
    }
}
