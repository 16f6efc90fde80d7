using System.IO.Compression;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// Once the gateway is stopping, nothing new opens: a BOSH session request is answered with a
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
internal sealed class ShutdownGate(RequestDelegate next, IHostApplicationLifetime lifetime, IOptions<GatewayOptions> options, SessionTable sessions, OriginPolicy origins)
{
    private readonly GatewayOptions _options = options.Value;

    public async Task InvokeAsync(HttpContext context)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            var request = context.Request;
            if (request.Path.Equals(_options.WebSocket.Path, StringComparison.OrdinalIgnoreCase))
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                context.Response.Headers.RetryAfter = "2";
                context.Response.Headers.Connection = "close";
                return;
            }
            if (request.Path.Equals(_options.Bosh.Path, StringComparison.OrdinalIgnoreCase) && HttpMethods.IsPost(request.Method)
                && origins.IsAllowed(request, out var corsOrigin) && !await ForExistingSessionAsync(request, context.RequestAborted))
            {
                if (corsOrigin is not null)
                {
                    context.Response.Headers.AccessControlAllowOrigin = corsOrigin;
                    context.Response.Headers.Vary = "Origin";
                }
                await BoshResponseSender.SendAsync(context, BoshResponseWriter.Terminate(BoshConditions.SystemShutdown), 0);
                return;
            }
        }
        await next(context);
    }

    /// <summary>Reads the body (then puts it back for the endpoint): does it name a session this gateway holds?</summary>
    private async Task<bool> ForExistingSessionAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var raw = new MemoryStream();
        await request.Body.CopyToAsync(raw, cancellationToken);
        if (raw.Length > _options.Bosh.MaxBodyBytes)
        {
            return false;
        }
        raw.Position = 0;
        request.Body = new MemoryStream(raw.ToArray(), writable: false);
        try
        {
            byte[] bytes;
            if (string.Equals(request.Headers.ContentEncoding.ToString(), "gzip", StringComparison.OrdinalIgnoreCase))
            {
                await using var gzip = new GZipStream(raw, CompressionMode.Decompress, leaveOpen: true);
                using var plain = new MemoryStream();
                await gzip.CopyToAsync(plain, cancellationToken);
                bytes = plain.ToArray();
            }
            else
            {
                bytes = raw.ToArray();
            }
            // In a cluster a sid this node does not hold belongs to another node: the endpoint forwards it.
            return BoshBodyParser.Parse(bytes, _options.Limits).Sid is { } sid && (_options.IsClustered || sessions.TryGet(sid, out _));
        }
        catch (Exception ex) when (ex is XmlStreamException or BoshProtocolException or InvalidDataException)
        {
            return false;
        }
    }
}
