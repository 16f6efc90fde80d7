using System.Net;
using System.Text;
using System.Text.Json;
using BoshGateway.Backend;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Prebind;

/// <summary>
/// <c>POST Gateway:Prebind:Path</c> with <c>Authorization: Bearer &lt;HS256 JWT&gt;</c> signed by the web
/// application's backend with <c>Gateway:Prebind:Secret</c> (claims <c>sub</c> = the user's bare JID,
/// <c>exp</c>, <c>jti</c>, optional <c>resource</c>). Answers <c>{"jid","sid","rid"}</c> for a BOSH session
/// already logged in (Strophe.js <c>attach</c>, Converse.js <c>prebind_url</c>); the client's first request
/// uses <c>rid</c>. A bad, expired or replayed token gets 401 and a warning; nothing is opened for it.
/// This endpoint is for the web application's server, not for browsers: it sends no CORS headers.
/// </summary>
internal sealed partial class PrebindEndpoint(
    BoshEndpoint bosh,
    PrebindReplayGuard replays,
    DrainState drain,
    GatewayMetrics metrics,
    IOptions<GatewayOptions> options,
    TimeProvider time,
    ILogger<PrebindEndpoint> logger)
{
    private readonly GatewayOptions _options = options.Value;
    private readonly byte[] _secret = Encoding.UTF8.GetBytes(options.Value.Prebind.Secret ?? "");

    public async Task HandleAsync(HttpContext context)
    {
        var client = context.Connection.RemoteIpAddress;
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "POST";
            return;
        }
        if (drain.IsClosed)
        {
            // Stopping, grace over: a session opened now would be ended a moment later (as ShutdownGate refuses new ones).
            await AnswerAsync(context, new PrebindOutcome(StatusCodes.Status503ServiceUnavailable, "this node is stopping", null, null, 0) { RetryAfter = "2" });
            return;
        }
        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            await RefuseAsync(context, client, "no bearer token");
            return;
        }
        var prebind = _options.Prebind;
        if (HmacJwt.Verify(authorization["Bearer ".Length..].Trim(), _secret, out var error) is not { } claims
            || PrebindToken.Read(claims, time.GetUtcNow(), prebind.MaxTokenLifetime, out error) is not { } token)
        {
            await RefuseAsync(context, client, error!);
            return;
        }
        try
        {
            BackendRoute.Resolve(_options.Backends, token.Domain, null);
        }
        catch (BoshProtocolException)
        {
            Log.Refused(logger, client, "domain not served", token.BareJid);
            await AnswerAsync(context, new PrebindOutcome(StatusCodes.Status400BadRequest, $"this gateway does not serve {token.Domain}", null, null, 0));
            return;
        }
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        timeout.CancelAfter(prebind.LoginTimeout);
        switch (await replays.TryUseAsync(token, timeout.Token))
        {
            case PrebindReplayGuard.Outcome.Replayed:
                await RefuseAsync(context, client, "replayed (jti already used)", token.BareJid);
                return;
            case PrebindReplayGuard.Outcome.Unavailable:
                await AnswerAsync(context, new PrebindOutcome(StatusCodes.Status503ServiceUnavailable, "cannot check the token for replay now", null, null, 0) { RetryAfter = "2" });
                return;
        }
        var outcome = await new PrebindLogin(bosh, _options, time).RunAsync(token, timeout.Token);
        if (outcome.Sid is not null && outcome.Error is null)
        {
            Log.LoggedIn(logger, outcome.Jid!, outcome.Sid, client);
        }
        else
        {
            Log.Failed(logger, token.BareJid, outcome.Status, outcome.Error!);
        }
        await AnswerAsync(context, outcome);
    }

    private async Task RefuseAsync(HttpContext context, IPAddress? client, string reason, string jid = "unknown")
    {
        Log.Refused(logger, client, reason, jid);
        context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        await AnswerAsync(context, new PrebindOutcome(StatusCodes.Status401Unauthorized, $"invalid token: {reason}", null, null, 0));
    }

    private async Task AnswerAsync(HttpContext context, PrebindOutcome outcome)
    {
        metrics.Prebind(outcome.Status);
        var response = context.Response;
        response.StatusCode = outcome.Status;
        response.Headers.CacheControl = "no-store";
        if (outcome.RetryAfter is { } after)
        {
            response.Headers.RetryAfter = after;
        }
        response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(response.Body);
        json.WriteStartObject();
        if (outcome.Error is { } error)
        {
            json.WriteString("error", error);
        }
        else
        {
            json.WriteString("jid", outcome.Jid);
            json.WriteString("sid", outcome.Sid);
            json.WriteNumber("rid", outcome.Rid);
        }
        json.WriteEndObject();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.PrebindRefused, EventName = nameof(EventIds.PrebindRefused), Level = LogLevel.Warning, Message = "Prebind request from {Client} refused: {Reason} (user {Jid})")]
        public static partial void Refused(ILogger logger, IPAddress? client, string reason, string jid);

        [LoggerMessage(EventId = EventIds.PrebindLoggedIn, EventName = nameof(EventIds.PrebindLoggedIn), Level = LogLevel.Information, Message = "Prebound {Jid} in BOSH session {Sid} for {Client}")]
        public static partial void LoggedIn(ILogger logger, string jid, string sid, IPAddress? client);

        [LoggerMessage(EventId = EventIds.PrebindFailed, EventName = nameof(EventIds.PrebindFailed), Level = LogLevel.Warning, Message = "Prebind of {Jid} failed with HTTP {Status}: {Reason}")]
        public static partial void Failed(ILogger logger, string jid, int status, string reason);
    }
}
