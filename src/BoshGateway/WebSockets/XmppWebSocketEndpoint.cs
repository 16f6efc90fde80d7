using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Http;
using Microsoft.Extensions.Options;

namespace BoshGateway.WebSockets;

/// <summary>
/// The RFC 7395 endpoint. The Origin is checked and the <c>xmpp</c> subprotocol required before the
/// upgrade, so a refused handshake never opens a backend connection.
/// </summary>
internal sealed partial class XmppWebSocketEndpoint(
    IOptions<GatewayOptions> options,
    WebSocketSessionTable sessions,
    IBackendConnector connector,
    OriginPolicy origins,
    ClientAddressLimiter addresses,
    TimeProvider time,
    ILoggerFactory loggers)
{
    private const string SubProtocol = "xmpp";
    private readonly ILogger _logger = loggers.CreateLogger<XmppWebSocketEndpoint>();
    private readonly ILogger _sessionLogger = loggers.CreateLogger<XmppWebSocketSession>();

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            if (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method))
            {
                await InfoPage.WriteAsync(context, "XMPP WebSocket endpoint", "This is an XMPP over WebSocket endpoint (RFC 7395). Connect with the <code>xmpp</code> subprotocol.");
                return;
            }
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }
        if (!origins.IsAllowed(context.Request, out _))
        {
            Log.Refused(_logger, "origin not allowed");
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            return;
        }
        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(SubProtocol, StringComparer.Ordinal))
        {
            // As Prosody does: a WebSocket without the xmpp subprotocol is not for us.
            Log.Refused(_logger, "xmpp subprotocol not offered");
            context.Response.StatusCode = StatusCodes.Status501NotImplemented;
            return;
        }
        var client = context.Connection.RemoteIpAddress;
        if (!addresses.TryAcquire(client))
        {
            Log.Refused(_logger, "too many sessions from " + client);
            context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
            return;
        }
        try
        {
            await AcceptAsync(context);
        }
        finally
        {
            addresses.Release(client);
        }
    }

    private async Task AcceptAsync(HttpContext context)
    {
        var ws = options.Value.WebSocket;
        using var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
        {
            SubProtocol = SubProtocol,
            KeepAliveInterval = ws.KeepAliveInterval,
            KeepAliveTimeout = ws.KeepAliveTimeout,
            DangerousEnableCompression = false,
        });
        using var session = new XmppWebSocketSession(socket, options.Value, connector, time, _sessionLogger);
        sessions.Add(session);
        try
        {
            await session.RunAsync(context.RequestAborted);
        }
        finally
        {
            sessions.Remove(session);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1110, EventName = "WebSocketRefused", Level = LogLevel.Information, Message = "WebSocket handshake refused: {Reason}")]
        public static partial void Refused(ILogger logger, string reason);
    }
}
