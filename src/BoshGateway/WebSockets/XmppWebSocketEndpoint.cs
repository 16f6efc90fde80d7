using System.Net.WebSockets;
using BoshGateway.Telemetry;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;

namespace BoshGateway.WebSockets;

/// <summary>
/// The RFC 7395 endpoint. A broken handshake is refused (426 or 400, not the info page), the Origin is
/// checked and the <c>xmpp</c> subprotocol required before the upgrade, so a refused handshake never
/// opens a backend connection.
/// </summary>
internal sealed partial class XmppWebSocketEndpoint(
    IOptions<GatewayOptions> options,
    SessionLifecycle lifecycle,
    OriginPolicy origins,
    ILoggerFactory loggers)
{
    private const string SubProtocol = "xmpp";
    private const string SupportedVersion = "13";
    private readonly ILogger _logger = loggers.CreateLogger<XmppWebSocketEndpoint>();

    /// <summary>Not async itself: the frame of an accepted WebSocket's request stays on the heap for the whole session, so only <see cref="AcceptAsync"/>'s does.</summary>
    public Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            if (BrokenHandshakeStatus(context.Request) is { } status)
            {
                Log.Refused(_logger, status == StatusCodes.Status426UpgradeRequired ? "unsupported Sec-WebSocket-Version" : "malformed WebSocket handshake");
                lifecycle.Reject(SessionTransport.WebSocket, RejectionReason.BadRequest);
                context.Response.StatusCode = status;
                if (status == StatusCodes.Status426UpgradeRequired)
                {
                    context.Response.Headers.SecWebSocketVersion = SupportedVersion;
                }
                return Task.CompletedTask;
            }
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                return InfoPage.WriteAsync(context, "XMPP WebSocket endpoint", "This is an XMPP over WebSocket endpoint (RFC 7395). Connect with the <code>xmpp</code> subprotocol.");
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return Task.CompletedTask;
        }
        if (!origins.IsAllowed(context.Request, out _))
        {
            Log.Refused(_logger, "origin not allowed");
            lifecycle.Reject(SessionTransport.WebSocket, RejectionReason.Origin);
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return Task.CompletedTask;
        }
        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(SubProtocol, StringComparer.Ordinal))
        {
            // As Prosody does: a WebSocket without the xmpp subprotocol is not for us.
            Log.Refused(_logger, "xmpp subprotocol not offered");
            lifecycle.Reject(SessionTransport.WebSocket, RejectionReason.BadRequest);
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            return Task.CompletedTask;
        }
        var admission = lifecycle.TryAdmit(SessionTransport.WebSocket, context.Connection.RemoteIpAddress, SessionId.New());
        if (admission.Info is not { } info)
        {
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            if (admission.RetryAfterHeader is { } after)
            {
                context.Response.Headers.RetryAfter = after;
            }
            return Task.CompletedTask;
        }
        return AcceptAsync(context, info);
    }

    /// <summary>
    /// A GET that asks for a WebSocket (<c>Upgrade: websocket</c>) but that ASP.NET Core does not take for
    /// one: a version other than 13 gets 426 with <c>Sec-WebSocket-Version: 13</c> (RFC 6455 §4.2.2, §4.4);
    /// anything else wrong (no or bad <c>Sec-WebSocket-Key</c>, no <c>Connection: Upgrade</c>, no version)
    /// gets 400 (§4.2.1). Null when the request does not ask for a WebSocket (a plain GET keeps its page).
    /// </summary>
    private static int? BrokenHandshakeStatus(HttpRequest request)
    {
        if (!HttpMethods.IsGet(request.Method) || !HasToken(request.Headers.Upgrade, "websocket"))
        {
            return null;
        }
        var version = request.Headers.SecWebSocketVersion;
        return version.Count > 0 && !(version.Count == 1 && version[0] == SupportedVersion)
            ? StatusCodes.Status426UpgradeRequired
            : StatusCodes.Status400BadRequest;
    }

    private static bool HasToken(Microsoft.Extensions.Primitives.StringValues values, string token)
    {
        foreach (var value in values)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.TrimEntries))
            {
                if (part.Equals(token, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        return false;
    }

    private async Task AcceptAsync(HttpContext context, SessionInfo info)
    {
        WebSocket? socket = null;
        try
        {
            var ws = options.Value.WebSocket;
            socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                SubProtocol = SubProtocol,
                KeepAliveInterval = ws.KeepAliveInterval,
                KeepAliveTimeout = ws.KeepAliveTimeout,
                DangerousEnableCompression = false,
            });
            var session = new XmppWebSocketSession(socket, info, options.Value, lifecycle, lifecycle.CreateLogger<XmppWebSocketSession>(info));
            lifecycle.Add(session);
            await session.RunAsync(context.RequestAborted);
        }
        finally
        {
            if (socket is not null)
            {
                DisposeUnlessFailed(socket);
            }
            // Gives the slot back if the upgrade failed before the session ran; a no-op after the session's own end.
            lifecycle.Abandon(info);
        }
    }

    /// <summary>
    /// A WebSocket that failed on a client's bad frame (RFC 6455 §7.1.7) is left <see cref="WebSocketState.Aborted"/>
    /// after .NET sent its close frame (1002, 1007). Disposing it makes ASP.NET Core reset the connection, and a reset
    /// can reach the client before it has read that close frame (it then sees 1006, not why). Left undisposed, the
    /// request's end closes the connection with a FIN after the close frame; the socket's keep-alive timer sends
    /// nothing in that state and goes with it. Every other end disposes as usual; deliberate aborts (a client that
    /// stopped reading) call <see cref="WebSocket.Abort"/>, which resets at once.
    /// </summary>
    private static void DisposeUnlessFailed(WebSocket socket)
    {
        if (socket.State != WebSocketState.Aborted)
        {
            socket.Dispose();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.WebSocketRefused, EventName = nameof(EventIds.WebSocketRefused), Level = LogLevel.Information, Message = "WebSocket handshake refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);
    }
}
