using System.Net.WebSockets;
using BoshGateway.Backend;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Framing;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;

namespace BoshGateway.WebSockets;

// From the client: one message at a time, parsed and turned into stream header, element or close.
// While the server is behind (its queue over Gateway:Backends:MaxQueuedBytes) the loop does not read,
// so TCP pushes back on the client; past Gateway:Backends:QueueFullTimeout the session ends.
public sealed partial class XmppWebSocketSession
{
    /// <summary>Room asked for before each receive; the buffer grows by doubling, never past Gateway:WebSocket:MaxMessageBytes.</summary>
    private const int ReceiveChunk = 4096;

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        using var message = new PooledMessageBuffer();
        var limit = _options.WebSocket.MaxMessageBytes;
        // Where the byte after the last one the limit allows is received: any byte here is over the limit.
        var probe = new byte[1];
        var fragments = 0;
        var dataWaiting = false;
        var dropped = 0L;
        while (true)
        {
            // Between messages, wait with a zero-byte receive: an idle connection holds no buffer.
            var idle = message.WrittenCount == 0 && !dataWaiting;
            // A message is never collected past the limit, whatever its frame header declares (2^60 bytes...):
            // the buffer grows to at most the limit, and once it is full the next receive reads one byte.
            var probing = !idle && message.WrittenCount >= limit;
            var memory = idle ? Memory<byte>.Empty : probing ? probe : message.GetMemory(ReceiveChunk, limit);
            var result = await _socket.ReceiveAsync(memory, CancellationToken.None);
            dataWaiting = idle && result.Count == 0 && !result.EndOfMessage && result.MessageType != WebSocketMessageType.Close;
            if (dataWaiting)
            {
                continue;
            }
            // A receive returns at most one frame: one that ends short of the buffer ended its frame.
            if (!result.EndOfMessage && result.Count < memory.Length && ++fragments >= _options.WebSocket.MaxFragments)
            {
                Fail("policy-violation", WebSocketCloseStatus.PolicyViolation, SessionEndReason.Error, "message split into too many frames");
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            if (Volatile.Read(ref _ending))
            {
                message.Release();
                fragments = 0;
                // Waiting for the client's close frame, anything else dropped: up to one message's worth (the rest
                // of an oversized frame, messages in flight). Past that the loop stops reading, so TCP pushes back
                // on a client that goes on sending (behind a frame declaring 2^60 bytes its close frame never
                // comes) instead of the gateway reading it at line rate until the close handshake's deadline.
                dropped += result.Count;
                if (dropped > limit)
                {
                    await Task.Delay(CloseHandshakeTimeout, CancellationToken.None); // as AbortAfterCloseHandshakeTimeoutAsync
                    return;
                }
                continue;
            }
            if (result.MessageType == WebSocketMessageType.Binary)
            {
                Fail("unsupported-stanza-type", WebSocketCloseStatus.InvalidMessageType, SessionEndReason.Error, "binary message");
                continue;
            }
            if (probing && result.Count > 0)
            {
                // Refused as soon as the message passes the limit, not when it ends: it may never end.
                Fail("policy-violation", WebSocketCloseStatus.MessageTooBig, SessionEndReason.Error, "message too large");
                message.Release();
                continue;
            }
            message.Advance(result.Count);
            if (result.EndOfMessage)
            {
                await HandleMessageAsync(message.WrittenMemory, cancellationToken);
                message.Release();
                fragments = 0;
            }
        }
    }

    private async Task HandleMessageAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        ClientFrame frame;
        try
        {
            frame = ClientFrameParser.Parse(bytes.Span, _options.Limits);
        }
        catch (XmlStreamException ex)
        {
            Fail(ex.StreamErrorCondition, ex.Error == XmlStreamError.PolicyViolation ? WebSocketCloseStatus.PolicyViolation : WebSocketCloseStatus.NormalClosure, SessionEndReason.Error, ex.Message);
            return;
        }
        switch (frame.Kind)
        {
            case ClientFrameKind.Open when _backend is null:
                await OpenAsync(frame.Element, cancellationToken);
                break;
            case ClientFrameKind.Open:
                _backend.Restart(frame.Element.GetAttribute("xml:lang") ?? _language);
                break;
            case ClientFrameKind.Close:
                CloseByClient();
                break;
            case ClientFrameKind.StartTls:
                RefuseStartTls();
                break;
            case ClientFrameKind.MisplacedFraming:
                Fail("invalid-namespace", WebSocketCloseStatus.NormalClosure, SessionEndReason.Error, "open or close in the wrong namespace");
                break;
            case ClientFrameKind.Element when _backend is null:
                Fail("not-authorized", WebSocketCloseStatus.NormalClosure, SessionEndReason.Error, "element before <open/>");
                break;
            default:
                if (_lifecycle.CheckPreAuth(Info, [frame.Element]) is { } violation)
                {
                    Fail("policy-violation", WebSocketCloseStatus.PolicyViolation, SessionEndReason.Error, violation);
                    break;
                }
                await ForwardAsync(_backend!, frame.Element, cancellationToken);
                break;
        }
    }

    private async Task ForwardAsync(IBackendLink backend, XmlElement element, CancellationToken cancellationToken)
    {
        var raw = element.Raw;
        if (!backend.HasRoomFor(raw.Length) && !await WaitForRoomAsync(backend, raw.Length, cancellationToken))
        {
            Fail("policy-violation", WebSocketCloseStatus.PolicyViolation, SessionEndReason.Error, "the server took nothing from the send queue in time");
            return;
        }
        Info.CountToServer(raw.Length, element.IsStanza());
        backend.Send(raw);
    }

    /// <summary>Waits, without reading from the client, until the queue toward the server has room; false past the deadline.</summary>
    private async Task<bool> WaitForRoomAsync(IBackendLink backend, int bytes, CancellationToken cancellationToken)
    {
        var deadline = _time.GetTimestamp() + (long)(_options.Backends.QueueFullTimeout.TotalSeconds * _time.TimestampFrequency);
        while (!backend.HasRoomFor(bytes))
        {
            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), deadline);
            if (remaining <= TimeSpan.Zero)
            {
                return false;
            }
            try
            {
                await backend.WaitForRoomAsync(bytes).WaitAsync(remaining, _time, cancellationToken);
            }
            catch (TimeoutException)
            {
                return false;
            }
        }
        return true;
    }

    private async Task OpenAsync(XmlElement open, CancellationToken cancellationToken)
    {
        BackendTarget target;
        try
        {
            target = BackendRoute.Resolve(_options.Backends, open.GetAttribute("to"), route: null);
        }
        catch (BoshProtocolException ex)
        {
            // host-unknown and improper-addressing are stream error conditions of the same name (RFC 6120 §4.9.3).
            Fail(ex.Condition, WebSocketCloseStatus.NormalClosure, SessionEndReason.Error, ex.Message);
            return;
        }
        _domain = target.Domain;
        _language = open.GetAttribute("xml:lang");
        using var activity = Telemetry.GatewayActivitySource.StartSession(Info);
        var connected = await _lifecycle.ConnectAsync(Info, target, _language, cancellationToken);
        if (connected.Link is not { } link)
        {
            // As for BOSH, a session whose server could not be reached never started: counted as
            // refused (backend_unavailable), with no end line or duration of its own.
            _lifecycle.Abandon(Info);
            if (connected.RetryAfter is not null)
            {
                Fail("resource-constraint", WebSocketCloseStatus.NormalClosure, SessionEndReason.BackendClosed, connected.Failure ?? "");
            }
            else if (connected.StreamError is { } error)
            {
                EndByServer(error, "the server refused the stream");
            }
            else
            {
                Fail(BoshConditions.RemoteConnectionFailed, WebSocketCloseStatus.NormalClosure, SessionEndReason.BackendClosed, connected.Failure ?? "");
            }
            return;
        }
        lock (_sync)
        {
            if (_ending)
            {
                link.Abort();
                return;
            }
            _backend = link;
        }
        link.Start(this);
        _lifecycle.Started(Info, _domain);
    }
}
