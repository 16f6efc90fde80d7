using System.Net.WebSockets;
using BoshGateway.Sessions;

namespace BoshGateway.WebSockets;

// Toward the client: a queue bounded in bytes (Gateway:WebSocket:MaxQueuedBytes) and one send loop.
public sealed partial class XmppWebSocketSession
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);
    private long _queuedBytes;
    private volatile bool _receiveEnded;

    private void Enqueue(ReadOnlyMemory<byte> message)
    {
        lock (_sync)
        {
            if (_ending)
            {
                return;
            }
            if (_queuedBytes + message.Length > _options.WebSocket.MaxQueuedBytes)
            {
                // The client stopped reading: nothing more can reach it, so do not buffer more.
                Log.StreamError(_logger, "policy-violation", "client not reading; send queue full");
                EndLocked(SessionEndReason.Error, WebSocketCloseStatus.PolicyViolation, closeBackend: false);
                _socket.Abort();
                return;
            }
            _queuedBytes += message.Length;
            _outbound.TryWrite(message);
        }
    }

    private async Task AbortAfterCloseHandshakeTimeoutAsync()
    {
        await Task.Delay(CloseHandshakeTimeout);
        if (!_receiveEnded)
        {
            // Still waiting for the client's close frame. Not once the receive ended: a socket a bad frame
            // failed is left undisposed on purpose (XmppWebSocketEndpoint.DisposeUnlessFailed).
            _socket.Abort();
        }
    }

    private async Task SendLoopAsync()
    {
        await Task.Yield(); // started from RunAsync: the receive loop starts beside it, not after it
        try
        {
            while (await _outbound.WaitToReadAsync())
            {
                while (_outbound.TryRead(out var message))
                {
                    await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                    lock (_sync)
                    {
                        _queuedBytes -= message.Length;
                    }
                }
            }
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                await _socket.CloseOutputAsync(_closeStatus, null, timeout.Token);
            }
            // Give the client a moment for its close frame, then stop the receive loop either way.
            _ = AbortAfterCloseHandshakeTimeoutAsync();
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            _socket.Abort();
        }
    }
}
