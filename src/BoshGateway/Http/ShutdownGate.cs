using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// Once the gateway is stopping and its grace is over (<see cref="DrainState.IsClosed"/>: until then a
/// balancer that has not yet seen readiness fail still sends clients here, and they are served), nothing
/// new opens: a BOSH session request is answered with a
/// <c>system-shutdown</c> terminate (XEP-0124: "no new sessions can be created"), a request to the
/// WebSocket path with HTTP 503 (<c>Retry-After: 2</c>). Requests for existing BOSH sessions go on to
/// the endpoint, which answers them with the session's own terminate (or, in a cluster, forwards them
/// to the node that owns them). Stopping ends every session at
/// once, but the server keeps accepting requests until the last open ones finish (and
/// <see cref="ShutdownDrain"/> a moment longer); a client that reconnects at once (Converse.js does)
/// would otherwise open a backend session, or resume its XEP-0198 one, inside a process about to drop
/// it. After that second drop Converse.js no longer tries to resume, and the server keeps the stale
/// session beside the new one.
/// </summary>
internal sealed class ShutdownGate(RequestDelegate next, DrainState drain, IOptions<GatewayOptions> options, SessionLifecycle lifecycle, OriginPolicy origins)
{
    private readonly GatewayOptions _options = options.Value;
    private readonly SessionTable _sessions = lifecycle.Table;

    /// <summary>
    /// Not async while the gate is open: a WebSocket's request lasts as long as its session, and an async
    /// frame here would stay on the heap beside every one of them.
    /// </summary>
    public Task InvokeAsync(HttpContext context) => drain.IsClosed ? InvokeWhileStoppingAsync(context) : next(context);

    private async Task InvokeWhileStoppingAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.Equals(_options.WebSocket.Path, StringComparison.OrdinalIgnoreCase))
        {
            lifecycle.Reject(SessionTransport.WebSocket, RejectionReason.Draining);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "2";
            context.Response.Headers.Connection = "close";
            return;
        }
        // A refused Origin goes on to the endpoint, which answers 403 without reading the body.
        if (request.Path.Equals(_options.Bosh.Path, StringComparison.OrdinalIgnoreCase) && HttpMethods.IsPost(request.Method)
            && origins.IsAllowed(request, out _) && await AnswerWhileStoppingAsync(request, context.RequestAborted) is { } answer)
        {
            origins.Admit(context);
            await BoshResponseSender.SendAsync(context, answer, 0, _options.Bosh.SendTimeout);
            return;
        }
        await next(context);
    }

    /// <summary>
    /// Reads the body with the endpoint's reader (same size limit, counted after gunzip) and puts it back:
    /// null when it belongs to the endpoint (a session this gateway holds, or a body the endpoint refuses
    /// by itself), otherwise the terminate to answer. A body too large or not gunzippable cannot be
    /// put back, so it gets here the terminate the endpoint would give it.
    /// </summary>
    private async Task<byte[]?> AnswerWhileStoppingAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        byte[]? bytes;
        try
        {
            bytes = await BoshRequestReader.ReadAsync(request, _options.Bosh.MaxBodyBytes, cancellationToken);
        }
        catch (InvalidDataException)
        {
            return BoshResponseWriter.Terminate(BoshConditions.BadRequest);
        }
        if (bytes is null)
        {
            return BoshResponseWriter.Terminate(BoshConditions.PolicyViolation);
        }
        BoshRequestReader.PutBack(request, bytes);
        try
        {
            // In a cluster a sid this node does not hold belongs to another node: the endpoint forwards it.
            var sid = BoshBodyParser.Parse(bytes, _options.Limits).Sid;
            if (sid is not null && (_options.IsClustered || _sessions.TryGet(sid, out _)))
            {
                return null;
            }
            if (sid is null)
            {
                lifecycle.Reject(SessionTransport.Bosh, RejectionReason.Draining);
            }
            return BoshResponseWriter.Terminate(BoshConditions.SystemShutdown);
        }
        catch (Exception ex) when (ex is XmlStreamException or BoshProtocolException)
        {
            return null;
        }
    }
}
