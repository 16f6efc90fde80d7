using System.Net.WebSockets;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Sessions;

namespace BoshGateway.WebSockets;

/// <summary>
/// One RFC 7395 session: a receive loop that turns client messages into stream header, elements and
/// close toward the backend (<c>.Receive.cs</c>; it stops reading while the server is behind), a send
/// loop that writes the backend's elements, one per message, from a queue bounded in bytes
/// (<c>.Send.cs</c>), the backend's events (<c>.Backend.cs</c>) and one end path (<c>.End.cs</c>).
/// <see cref="_sync"/> guards the end state, the backend handle and the send queue's byte count; it is
/// never held across an await. The backend stream comes from <see cref="SessionLifecycle.ConnectAsync"/>.
/// </summary>
public sealed partial class XmppWebSocketSession : IBackendEvents, IGatewaySession
{
    private readonly WebSocket _socket;
    private readonly GatewayOptions _options;
    private readonly SessionLifecycle _lifecycle;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SendQueue _outbound = new();
    private readonly Lock _sync = new();
    private readonly long _preAuthDeadline;
    private IBackendLink? _backend;
    private string _domain = string.Empty;
    private string? _language;

    public XmppWebSocketSession(WebSocket socket, SessionInfo info, GatewayOptions options, SessionLifecycle lifecycle, ILogger logger)
    {
        _socket = socket;
        Info = info;
        _options = options;
        _lifecycle = lifecycle;
        _time = lifecycle.Time;
        _logger = logger;
        _preAuthDeadline = _time.GetTimestamp() + (long)(options.WebSocket.PreAuthTimeout.TotalSeconds * _time.TimestampFrequency);
    }

    public SessionInfo Info { get; }

    /// <summary>Runs until the WebSocket is closed; never throws for anything the client or server does. The session is forgotten when it returns.</summary>
    /// <param name="requestAborted">Stops a connect or a wait for room toward the server when the client goes
    /// away. The receive itself takes no token: a connection that goes away ends it, and so does
    /// <see cref="WebSocket.Abort"/> (the close handshake's deadline), so an idle session has nothing
    /// registered on any token.</param>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        var sending = SendLoopAsync();
        try
        {
            await ReceiveLoopAsync(requestAborted);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            _receiveEnded = true;
            lock (_sync)
            {
                if (!_ending)
                {
                    // The client vanished without <close/>: drop the backend without a closing tag so the
                    // server keeps an XEP-0198 session resumable.
                    EndLocked(SessionEndReason.ClientGone, WebSocketCloseStatus.NormalClosure, closeBackend: false);
                }
            }
            try
            {
                await sending;
            }
            finally
            {
                _lifecycle.Forget(this);
            }
        }
    }

    /// <summary>Called by the sweeper: ends sessions that did not authenticate in time; keeps the backend stream alive.</summary>
    public void OnTick()
    {
        if (!Info.IsAuthenticated && _time.GetTimestamp() > _preAuthDeadline)
        {
            Fail("connection-timeout", WebSocketCloseStatus.PolicyViolation, SessionEndReason.Timeout, "not authenticated in time");
            return;
        }
        Volatile.Read(ref _backend)?.KeepAlive();
    }

    /// <summary>
    /// Ends the session from outside: on shutdown the client is sent elsewhere when
    /// <c>Gateway:WebSocket:ShutdownRedirectUri</c> is set, else told <c>system-shutdown</c>.
    /// </summary>
    public void EndUnplanned(SessionEndReason reason)
    {
        if (reason == SessionEndReason.Shutdown && _options.WebSocket.ShutdownRedirectUri is { } uri)
        {
            Redirect(uri);
            return;
        }
        var condition = reason == SessionEndReason.Shutdown ? BoshConditions.SystemShutdown : BoshConditions.UndefinedCondition;
        Fail(condition, WebSocketCloseStatus.EndpointUnavailable, reason, reason.ToString());
    }
}
