using System.Buffers;
using System.Net.WebSockets;
using System.Threading.Channels;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Framing;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.WebSockets;

/// <summary>
/// One RFC 7395 session: a receive loop that turns client messages into stream header, elements and
/// close toward the backend, and a send loop that writes the backend's elements, one per message,
/// from a queue bounded in bytes. The backend stream comes from the same <see cref="IBackendConnector"/>
/// as BOSH sessions.
/// </summary>
public sealed partial class XmppWebSocketSession : IBackendEvents, IDisposable
{
    private static readonly TimeSpan CloseHandshakeTimeout = TimeSpan.FromSeconds(2);

    private readonly WebSocket _socket;
    private readonly GatewayOptions _options;
    private readonly IBackendConnector _connector;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Channel<ReadOnlyMemory<byte>> _outbound = OutboundQueue.Create();
    private readonly Lock _sync = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly long _preAuthDeadline;
    private IBackendLink? _backend;
    private string _domain = string.Empty;
    private string? _language;
    private long _queuedBytes;
    private bool _authenticated;
    private bool _ending;
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;

    public XmppWebSocketSession(WebSocket socket, GatewayOptions options, IBackendConnector connector, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _options = options;
        _connector = connector;
        _time = time;
        _logger = logger;
        _preAuthDeadline = time.GetTimestamp() + (long)(options.WebSocket.PreAuthTimeout.TotalSeconds * time.TimestampFrequency);
    }

    /// <summary>Runs until the WebSocket is closed; never throws for anything the client or server does.</summary>
    public async Task RunAsync(CancellationToken requestAborted)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(requestAborted, _stop.Token);
        var sending = Task.Run(SendLoopAsync, CancellationToken.None);
        try
        {
            await ReceiveLoopAsync(linked.Token);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException or IOException)
        {
        }
        finally
        {
            lock (_sync)
            {
                if (!_ending)
                {
                    // The client vanished without <close/>: drop the backend without a closing tag so the
                    // server keeps an XEP-0198 session resumable.
                    _ending = true;
                    _backend?.Abort();
                }
                _outbound.Writer.TryComplete();
            }
            await sending;
        }
    }

    public void Dispose() => _stop.Dispose();

    /// <summary>Called by the sweeper: ends sessions that did not authenticate in time.</summary>
    public void OnTick()
    {
        if (!Volatile.Read(ref _authenticated) && _time.GetTimestamp() > _preAuthDeadline)
        {
            Fail("connection-timeout", WebSocketCloseStatus.PolicyViolation, "not authenticated in time");
            return;
        }
        Volatile.Read(ref _backend)?.KeepAlive();
    }

    /// <summary>The gateway is stopping: send the client elsewhere when a redirect is configured, else <c>system-shutdown</c>.</summary>
    public void Shutdown()
    {
        if (_options.WebSocket.ShutdownRedirectUri is { } uri)
        {
            Redirect(uri);
        }
        else
        {
            Fail("system-shutdown", WebSocketCloseStatus.EndpointUnavailable, "shutdown");
        }
    }

    /// <summary>RFC 7395 §3.6.1: <c>&lt;close see-other-uri='...'/&gt;</c>, then the WebSocket close; the backend is dropped (XEP-0198 stays resumable).</summary>
    public void Redirect(string uri)
    {
        lock (_sync)
        {
            if (_ending)
            {
                return;
            }
            Log.Ended(_logger, "redirected to " + uri);
            _ending = true;
            _closeStatus = WebSocketCloseStatus.EndpointUnavailable;
            _backend?.Abort();
            _outbound.Writer.TryWrite(FramingElements.CloseWithRedirect(uri));
            _outbound.Writer.TryComplete();
        }
    }

    private async Task ReceiveLoopAsync(CancellationToken cancellationToken)
    {
        using var message = new PooledMessageBuffer();
        var fragments = 0;
        var dataWaiting = false;
        while (true)
        {
            // Between messages, wait with a zero-byte receive: an idle connection holds no buffer.
            var idle = message.WrittenCount == 0 && !dataWaiting;
            var memory = idle ? Memory<byte>.Empty : message.GetMemory(4096);
            var result = await _socket.ReceiveAsync(memory, cancellationToken);
            dataWaiting = idle && result.Count == 0 && !result.EndOfMessage && result.MessageType != WebSocketMessageType.Close;
            if (dataWaiting)
            {
                continue;
            }
            // A receive returns at most one frame: one that ends short of the buffer ended its frame.
            if (!result.EndOfMessage && result.Count < memory.Length && ++fragments >= _options.WebSocket.MaxFragments)
            {
                Fail("policy-violation", WebSocketCloseStatus.PolicyViolation, "message split into too many frames");
            }
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return;
            }
            if (Volatile.Read(ref _ending))
            {
                message.Release();
                fragments = 0;
                continue; // waiting for the client's close frame; ignore anything else
            }
            if (result.MessageType == WebSocketMessageType.Binary)
            {
                Fail("unsupported-stanza-type", WebSocketCloseStatus.InvalidMessageType, "binary message");
                continue;
            }
            message.Advance(result.Count);
            if (message.WrittenCount > _options.WebSocket.MaxMessageBytes)
            {
                Fail("policy-violation", WebSocketCloseStatus.MessageTooBig, "message too large");
                message.Release();
                continue;
            }
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
            Fail(ex.StreamErrorCondition, ex.Error == XmlStreamError.PolicyViolation ? WebSocketCloseStatus.PolicyViolation : WebSocketCloseStatus.NormalClosure, ex.Message);
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
            case ClientFrameKind.MisplacedFraming:
                Fail("invalid-namespace", WebSocketCloseStatus.NormalClosure, "open or close in the wrong namespace");
                break;
            case ClientFrameKind.Element when _backend is null:
                Fail("not-authorized", WebSocketCloseStatus.NormalClosure, "element before <open/>");
                break;
            default:
                _backend!.Send(frame.Element.Raw);
                break;
        }
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
            Fail(ex.Condition == BoshConditions.ImproperAddressing ? "improper-addressing" : "host-unknown", WebSocketCloseStatus.NormalClosure, ex.Message);
            return;
        }
        _domain = target.Domain;
        _language = open.GetAttribute("xml:lang");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Bosh.SessionStartTimeout);
        IBackendLink link;
        try
        {
            link = await _connector.ConnectAsync(target, _language, timeout.Token);
        }
        catch (BackendConnectException ex) when (ex.StreamError is { } error)
        {
            Enqueue(error);
            End(WebSocketCloseStatus.NormalClosure, "the server refused the stream");
            return;
        }
        catch (Exception ex) when (ex is BackendConnectException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            Log.BackendUnreachable(_logger, target.Host, target.Port, ex.Message);
            Fail("remote-connection-failed", WebSocketCloseStatus.NormalClosure, ex.Message);
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
        Log.Opened(_logger, _domain);
    }

    private void CloseByClient()
    {
        lock (_sync)
        {
            if (_ending)
            {
                return;
            }
            _ending = true;
            // Answer at once (xmpp.js waits only 2 s), then let the server see </stream:stream>.
            _backend?.Close();
            _outbound.Writer.TryWrite(FramingElements.Close);
            _outbound.Writer.TryComplete();
        }
    }

    public void OnBackendHeader(XmlStreamHeader header) => Enqueue(FramingElements.OpenFromStreamHeader(header, _domain));

    public void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces)
    {
        var forClient = ServerElementFilter.ToClient(element, streamNamespaces);
        if (element.Is("error", XmlNames.Streams))
        {
            Enqueue(forClient);
            End(WebSocketCloseStatus.NormalClosure, "the server sent a stream error");
            return;
        }
        if (element.LocalName == "success" && element.NamespaceUri is XmlNames.Sasl or "urn:xmpp:sasl:2")
        {
            Volatile.Write(ref _authenticated, true);
        }
        Enqueue(forClient);
    }

    public void OnBackendClosed(Exception? failure)
    {
        if (failure is null)
        {
            End(WebSocketCloseStatus.NormalClosure, "the server closed the stream");
        }
        else
        {
            Fail("remote-connection-failed", WebSocketCloseStatus.NormalClosure, failure.Message);
        }
    }

    /// <summary>Sends a stream error, then &lt;close/&gt;, then closes the WebSocket; drops the backend.</summary>
    private void Fail(string condition, WebSocketCloseStatus status, string reason)
    {
        lock (_sync)
        {
            if (_ending)
            {
                return;
            }
            Log.StreamError(_logger, condition, reason);
            _outbound.Writer.TryWrite(FramingElements.StreamError(condition));
            EndLocked(status);
        }
    }

    /// <summary>Sends &lt;close/&gt; after what is queued, then closes the WebSocket.</summary>
    private void End(WebSocketCloseStatus status, string reason)
    {
        lock (_sync)
        {
            if (!_ending)
            {
                Log.Ended(_logger, reason);
                EndLocked(status);
            }
        }
    }

    private void EndLocked(WebSocketCloseStatus status)
    {
        _ending = true;
        _closeStatus = status;
        _backend?.Abort();
        _outbound.Writer.TryWrite(FramingElements.Close);
        _outbound.Writer.TryComplete();
    }

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
                _ending = true;
                _backend?.Abort();
                _outbound.Writer.TryComplete();
                _socket.Abort();
                return;
            }
            _queuedBytes += message.Length;
            _outbound.Writer.TryWrite(message);
        }
    }

    private async Task SendLoopAsync()
    {
        var reader = _outbound.Reader;
        try
        {
            await foreach (var message in reader.ReadAllAsync())
            {
                await _socket.SendAsync(message, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
                lock (_sync)
                {
                    _queuedBytes -= message.Length;
                }
            }
            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseHandshakeTimeout);
                await _socket.CloseOutputAsync(_closeStatus, null, timeout.Token);
            }
            // Give the client a moment for its close frame, then stop the receive loop either way.
            _stop.CancelAfter(CloseHandshakeTimeout);
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            _socket.Abort();
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1100, EventName = "WebSocketOpened", Level = LogLevel.Information, Message = "WebSocket stream opened for {Domain}")]
        public static partial void Opened(ILogger logger, string domain);

        [LoggerMessage(EventId = 1101, EventName = "WebSocketStreamError", Level = LogLevel.Information, Message = "WebSocket stream error {Condition}: {Reason}")]
        public static partial void StreamError(ILogger logger, string condition, string reason);

        [LoggerMessage(EventId = 1103, EventName = "BackendUnreachable", Level = LogLevel.Warning, Message = "WebSocket stream refused with remote-connection-failed: no stream to {Host}:{Port}: {Reason}")]
        public static partial void BackendUnreachable(ILogger logger, string host, int port, string reason);

        [LoggerMessage(EventId = 1102, EventName = "WebSocketEnded", Level = LogLevel.Debug, Message = "WebSocket stream ended: {Reason}")]
        public static partial void Ended(ILogger logger, string reason);
    }
}
