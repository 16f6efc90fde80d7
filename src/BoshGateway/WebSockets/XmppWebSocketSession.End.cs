using System.Net.WebSockets;
using BoshGateway.Protocol.Framing;
using BoshGateway.Sessions;

namespace BoshGateway.WebSockets;

// The one end path: every end sets _ending under the lock, closes or drops the backend, queues the
// last messages for the client, completes the send queue and records the end with the lifecycle once.
public sealed partial class XmppWebSocketSession
{
    private bool _ending;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;

    /// <summary>The client's <c>&lt;close/&gt;</c>: answer at once (xmpp.js waits only 2 s), then let the server see <c>&lt;/stream:stream&gt;</c>.</summary>
    private void CloseByClient()
    {
        lock (_sync)
        {
            if (!_ending)
            {
                EndLocked(SessionEndReason.Normal, WebSocketCloseStatus.NormalClosure, closeBackend: true, FramingElements.Close);
            }
        }
    }

    /// <summary>RFC 7395 §3.6.1: <c>&lt;close see-other-uri='...'/&gt;</c>, then the WebSocket close; the backend is dropped (XEP-0198 stays resumable).</summary>
    public void Redirect(string uri)
    {
        lock (_sync)
        {
            if (!_ending)
            {
                Log.Ended(_logger, "redirected to " + uri);
                EndLocked(SessionEndReason.Shutdown, WebSocketCloseStatus.EndpointUnavailable, closeBackend: false, FramingElements.CloseWithRedirect(uri));
            }
        }
    }

    /// <summary>Sends a stream error, then &lt;close/&gt;, then closes the WebSocket; drops the backend.</summary>
    private void Fail(string condition, WebSocketCloseStatus status, SessionEndReason reason, string why)
    {
        lock (_sync)
        {
            if (!_ending)
            {
                Log.StreamError(_logger, condition, why);
                EndLocked(reason, status, closeBackend: false, FramingElements.StreamError(condition), FramingElements.Close);
            }
        }
    }

    /// <summary>
    /// A client's <c>&lt;starttls/&gt;</c>, before or after <c>&lt;open/&gt;</c>: never forwarded (the browser's
    /// TLS ends at the WSS hop, RFC 7395 §3.1; the gateway owns the TLS of its server link). Answered as
    /// RFC 6120 §5.4.2.2 answers a failed STARTTLS: <c>&lt;failure/&gt;</c>, then the stream is closed
    /// (<c>&lt;close/&gt;</c>, WebSocket 1000), with no stream error. BOSH answers the same way (<c>BoshSession</c>).
    /// </summary>
    private void RefuseStartTls()
    {
        lock (_sync)
        {
            if (!_ending)
            {
                Log.StartTlsRefused(_logger);
                EndLocked(SessionEndReason.Error, WebSocketCloseStatus.NormalClosure, closeBackend: false, FramingElements.TlsFailure, FramingElements.Close);
            }
        }
    }

    /// <summary>The server ended the stream (after <paramref name="last"/>, its stream error, if any): pass it on, then &lt;close/&gt;.</summary>
    private void EndByServer(ReadOnlyMemory<byte>? last, string why)
    {
        lock (_sync)
        {
            if (_ending)
            {
                return;
            }
            Log.Ended(_logger, why);
            if (last is { } error)
            {
                EndLocked(SessionEndReason.BackendClosed, WebSocketCloseStatus.NormalClosure, closeBackend: false, error, FramingElements.Close);
            }
            else
            {
                EndLocked(SessionEndReason.BackendClosed, WebSocketCloseStatus.NormalClosure, closeBackend: false, FramingElements.Close);
            }
        }
    }

    private void EndLocked(SessionEndReason reason, WebSocketCloseStatus status, bool closeBackend, params ReadOnlySpan<ReadOnlyMemory<byte>> farewell)
    {
        _ending = true;
        _closeStatus = status;
        if (closeBackend)
        {
            _backend?.Close();
        }
        else
        {
            _backend?.Abort();
        }
        foreach (var message in farewell)
        {
            // Past the byte cap on purpose: the last words are small and bounded by the element limits.
            _queuedBytes += message.Length;
            _outbound.TryWrite(message);
        }
        _outbound.Complete();
        _lifecycle.End(this, reason);
    }
}
