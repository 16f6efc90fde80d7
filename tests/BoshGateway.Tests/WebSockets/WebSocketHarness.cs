using System.Net.WebSockets;
using System.Text;
using BoshGateway.Configuration;
using BoshGateway.Sessions;
using BoshGateway.Tests.Sessions;
using BoshGateway.WebSockets;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.WebSockets;

/// <summary>A WebSocket session on a fake clock, a fake connector and an in-memory socket; the test is the client.</summary>
internal sealed class WebSocketHarness : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public WebSocketHarness(GatewayOptions? options = null)
    {
        Options = options ?? new GatewayOptions();
        Lifecycle = TestLifecycle.Create(Time, Logs, Connector, Options);
        var info = Lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "ws1").Info!;
        Session = new XmppWebSocketSession(Pair.Server, info, Options, Lifecycle, Lifecycle.CreateLogger<XmppWebSocketSession>(info));
        Lifecycle.Add(Session);
        Run = Session.RunAsync(CancellationToken.None);
    }

    public GatewayOptions Options { get; }

    public FakeTimeProvider Time { get; } = new();

    public RecordingLoggerFactory Logs { get; } = new();

    public FakeConnector Connector { get; } = new();

    public SessionLifecycle Lifecycle { get; }

    public WebSocketPair Pair { get; } = new();

    public XmppWebSocketSession Session { get; }

    public Task Run { get; }

    public FakeBackendLink Backend => Connector.Links.Single();

    public Task SendAsync(string xml) => Pair.Client.SendAsync(Encoding.UTF8.GetBytes(xml), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Opens the stream and reads the server's &lt;open/&gt; and features.</summary>
    public async Task OpenAsync()
    {
        await SendAsync("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
        Assert.StartsWith("<open", await ReceiveAsync());
        Assert.Contains("features", await ReceiveAsync());
    }

    /// <summary>The next text message, or null once the gateway closed the WebSocket.</summary>
    public async Task<string?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        var text = new StringBuilder();
        while (true)
        {
            var result = await Pair.Client.ReceiveAsync(buffer, timeout.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            text.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
            if (result.EndOfMessage)
            {
                return text.ToString();
            }
        }
    }

    /// <summary>Reads messages until the gateway closes; returns them.</summary>
    public async Task<List<string>> ReceiveUntilClosedAsync()
    {
        List<string> messages = [];
        while (await ReceiveAsync() is { } message)
        {
            messages.Add(message);
        }
        await Pair.Client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await Run.WaitAsync(Patience);
        return messages;
    }

    public async ValueTask DisposeAsync()
    {
        Pair.Client.Abort();
        await Run.WaitAsync(Patience);
        Pair.Dispose();
    }
}
