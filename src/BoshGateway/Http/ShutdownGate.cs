using BoshGateway.Configuration;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// Once the gateway is stopping, the BOSH and WebSocket endpoints answer HTTP 503 (<c>Retry-After: 2</c>)
/// instead of opening anything. Stopping ends every session with <c>system-shutdown</c> at once, but
/// the server keeps accepting requests until the last open ones finish; a client that reconnects at
/// once (Converse.js does) would otherwise open a new backend session, or resume its XEP-0198 one,
/// inside a process about to drop it, and after that second drop Converse.js no longer tries to
/// resume, leaving the server with a stale session beside the new one.
/// </summary>
internal sealed class ShutdownGate(RequestDelegate next, IHostApplicationLifetime lifetime, IOptions<GatewayOptions> options)
{
    private readonly PathString _bosh = options.Value.Bosh.Path;
    private readonly PathString _webSocket = options.Value.WebSocket.Path;

    public Task InvokeAsync(HttpContext context)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested
            && (context.Request.Path.Equals(_bosh, StringComparison.OrdinalIgnoreCase) || context.Request.Path.Equals(_webSocket, StringComparison.OrdinalIgnoreCase)))
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "2";
            context.Response.Headers.Connection = "close";
            return Task.CompletedTask;
        }
        return next(context);
    }
}
