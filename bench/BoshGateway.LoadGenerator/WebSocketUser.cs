using System.Net.WebSockets;
using System.Text;

namespace BoshGateway.LoadGenerator;

/// <summary>A user over RFC 7395: one ClientWebSocket with the <c>xmpp</c> subprotocol, one receive loop.</summary>
internal sealed class WebSocketUser(Uri url, string domain) : IXmppUser
{
    private readonly ClientWebSocket _socket = new();
    private readonly Inbox _inbox = new();
    private readonly SemaphoreSlim _sending = new(1, 1);
    private Task _receiving = Task.CompletedTask;
    private volatile bool _leaving;

    public string Jid { get; set; } = "";

    public bool Ended => _receiving.IsCompleted && !_leaving && Jid.Length > 0;

    public Action<string>? OnMessage
    {
        get => _inbox.OnMessage;
        set => _inbox.OnMessage = value;
    }

    public Action<string>? OnXml
    {
        get => _inbox.OnXml;
        set => _inbox.OnXml = value;
    }

    private string Open => $"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{domain}' version='1.0'/>";

    public async Task LoginAsync(Credentials credentials, bool bind, CancellationToken cancellationToken)
    {
        await ConnectAsync(cancellationToken);
        await StartAsync(cancellationToken);
        Jid = await XmppLogin.RunAsync(_inbox, xml => SendAsync(xml, cancellationToken), () => SendAsync(Open, cancellationToken), credentials, bind, cancellationToken);
    }

    public async Task ConnectAsync(CancellationToken cancellationToken)
    {
        _socket.Options.AddSubProtocol("xmpp");
        _socket.Options.KeepAliveInterval = TimeSpan.Zero;
        await _socket.ConnectAsync(url, cancellationToken);
        _receiving = ReceiveLoopAsync();
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await SendAsync(Open, cancellationToken);
        await XmppLogin.WaitForFeaturesAsync(_inbox, cancellationToken);
    }

    public Task SendMessageAsync(string to, string body, CancellationToken cancellationToken) => SendAsync(Stanzas.Message(to, body), cancellationToken);

    public Task SendRawAsync(string xml, CancellationToken cancellationToken) => SendAsync(xml, cancellationToken);

    private async Task SendAsync(string xml, CancellationToken cancellationToken)
    {
        await _sending.WaitAsync(cancellationToken);
        try
        {
            await _socket.SendAsync(Encoding.UTF8.GetBytes(xml), WebSocketMessageType.Text, true, cancellationToken);
        }
        finally
        {
            _sending.Release();
        }
    }

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var count = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(count), CancellationToken.None);
                    count += result.Count;
                }
                while (!result.EndOfMessage && count < buffer.Length);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                _inbox.Add(Encoding.UTF8.GetString(buffer, 0, count));
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        _inbox.End($"the WebSocket closed ({_socket.CloseStatus} {_socket.CloseStatusDescription})");
    }

    public void Abort()
    {
        _leaving = true;
        _socket.Abort();
    }

    public async ValueTask DisposeAsync()
    {
        _leaving = true;
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await SendAsync("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>", CancellationToken.None);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        await _receiving;
        _socket.Dispose();
        _inbox.Dispose();
        _sending.Dispose();
    }
}
