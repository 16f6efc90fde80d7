using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.WebSockets;

/// <summary>Bad WebSocket input gets a stream error, then &lt;close/&gt;, then a WebSocket close; nothing leaks.</summary>
public sealed class WebSocketBadInputTests : IAsyncLifetime
{
    private const string StropheClose = "<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />";
    private XmppServer _server = null!;
    private GatewayHost _gateway = null!;
    private WebSocketTestClient _alice = null!;
    private WebSocketTestClient _bob = null!;
    private readonly LogCapture _log = new();

    public async ValueTask InitializeAsync()
    {
        _server = await XmppServers.StartPrivateProsodyAsync("prosody-ws-bad", "alice", "bob", "mallory");
        _server.RequireRunning();
        _gateway = await GatewayHost.StartAsync(_server.C2sPort, _log, "Gateway:Limits:MaxElementBytes=16384", "Gateway:WebSocket:MaxMessageBytes=20000",
            "Gateway:WebSocket:PreAuthTimeout=00:00:02", "Gateway:Bosh:TimerResolution=00:00:00.100", "Gateway:AllowedOrigins:0=https://chat.example");
        _alice = new WebSocketTestClient();
        _bob = new WebSocketTestClient();
        await _alice.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "alice");
        await _bob.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "bob");
    }

    public async ValueTask DisposeAsync()
    {
        if (_alice is not null)
        {
            await _alice.DisposeAsync();
            await _bob.DisposeAsync();
            await _gateway.DisposeAsync();
        }
        await XmppServers.StopPrivateAsync(_server);
    }

    private async Task AssertHealthyAndNothingLeaked()
    {
        await _alice.SendMessageAsync("bob@localhost", "still here");
        await _bob.MessagesAsync("still here", 1);
        Assert.Equal(2, await TcpConnections.WaitForAsync(_server.C2sPort, 2, TimeSpan.FromSeconds(5)));
    }

    private static async Task<(XElement Error, WebSocketCloseStatus? Status)> ExpectStreamErrorAsync(WebSocketTestClient client)
    {
        var error = await client.WaitForAsync(e => e.Name == XName.Get("error", XmlNames.Streams));
        Assert.Equal(StropheClose, await client.ReceiveAsync());
        Assert.Null(await client.ReceiveAsync());
        return (error, client.Socket.CloseStatus);
    }

    private static string Condition(XElement error) => error.Elements().Single(e => e.Name.Namespace == XmlNames.StreamErrors && e.Name.LocalName != "text").Name.LocalName;

    [Theory]
    [InlineData("<message xmlns='jabber:client'><body>unclosed</message>", "not-well-formed")]
    [InlineData("<message xmlns='jabber:client'><!-- c --></message>", "restricted-xml")]
    [InlineData("<!DOCTYPE m [<!ENTITY a 'aaaa'>]><message xmlns='jabber:client'>&a;</message>", "restricted-xml")]
    [InlineData("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>", "not-well-formed")]
    [InlineData("just text", "bad-format")]
    [InlineData("<open xmlns='jabber:client' to='localhost' version='1.0'/>", "invalid-namespace")]
    [InlineData("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>", "not-well-formed")]
    public async Task BadMessage_AfterLogin_GetsItsStreamError(string message, string condition)
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "mallory");
        await mallory.SendAsync(message);
        var (error, status) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal(condition, Condition(error));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task BinaryMessage_IsRefusedWith1003()
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.Socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, CancellationToken.None);
        var (error, status) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("unsupported-stanza-type", Condition(error));
        Assert.Equal(WebSocketCloseStatus.InvalidMessageType, status);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task MessageOverTheLimit_IsRefusedWith1009()
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.SendAsync($"<message xmlns='jabber:client'><body>{new string('x', 30_000)}</body></message>");
        var (error, status) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("policy-violation", Condition(error));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, status);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task MessageInTooManyFragments_IsPolicyViolation_ButAFewFragmentsAreFine()
    {
        await using var client = new WebSocketTestClient();
        await client.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "mallory");
        var message = Encoding.UTF8.GetBytes("<message xmlns='jabber:client' to='bob@localhost'><body>in pieces</body></message>");
        for (var i = 0; i < message.Length; i += 20)
        {
            await client.Socket.SendAsync(message.AsMemory(i, Math.Min(20, message.Length - i)), WebSocketMessageType.Text, i + 20 >= message.Length, CancellationToken.None);
        }
        Assert.Equal(["in pieces"], await _bob.MessagesAsync("in pieces", 1));

        for (var i = 0; i < 40; i++)
        {
            await client.Socket.SendAsync("<!-- -->"u8.ToArray(), WebSocketMessageType.Text, false, CancellationToken.None);
            await Task.Delay(5);
        }
        var (error, status) = await ExpectStreamErrorAsync(client);
        Assert.Equal("policy-violation", Condition(error));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task ElementBeforeOpen_IsRefused_AndNoBackendIsOpened()
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.SendAsync("<message xmlns='jabber:client' to='bob@localhost'><body>sneaky</body></message>");
        var (error, _) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("not-authorized", Condition(error));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task NeverAuthenticating_IsTimedOut()
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.OpenStreamAsync("localhost");
        var (error, _) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("connection-timeout", Condition(error));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task WithoutTheXmppSubprotocol_TheHandshakeIsRefused()
    {
        await using var mallory = new WebSocketTestClient(subProtocol: null);
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => mallory.ConnectAsync(_gateway.WebSocketUrl));
        Assert.Contains("501", ex.Message, StringComparison.Ordinal);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task DisallowedOrigin_TheHandshakeIsRefused_AllowedOriginPasses()
    {
        await using var evil = new WebSocketTestClient(origin: "https://evil.example");
        var ex = await Assert.ThrowsAsync<WebSocketException>(() => evil.ConnectAsync(_gateway.WebSocketUrl));
        Assert.Contains("403", ex.Message, StringComparison.Ordinal);

        await using var good = new WebSocketTestClient(origin: "https://chat.example");
        await good.ConnectAsync(_gateway.WebSocketUrl);
        Assert.Equal("xmpp", good.Socket.SubProtocol);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task UnknownDomain_GetsTheServersStreamError()
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.OpenStreamAsync("not-served.example");
        var (error, _) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("host-unknown", Condition(error));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task SlowReader_IsCutOff_WithoutUnboundedMemory()
    {
        await using var reader = new WebSocketTestClient();
        await reader.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "mallory");
        var maxQueued = new BoshGateway.Configuration.WebSocketOptions().MaxQueuedBytes;
        // mallory stops reading; bob floods her with 8 times what the gateway may queue for her.
        var chunk = new string('x', 8000);
        for (var i = 0; i < 8 * maxQueued / chunk.Length; i++)
        {
            await _bob.SendAsync($"<message xmlns='jabber:client' to='mallory@localhost'><body>{chunk}</body></message>");
        }

        // Her stream is ended, and because the queue toward her reached Gateway:WebSocket:MaxQueuedBytes: not by a
        // ping timeout or the server, which would leave what the gateway holds for her unbounded until then.
        Assert.Equal(2, await TcpConnections.WaitForAsync(_server.C2sPort, 2, TimeSpan.FromSeconds(15)));
        Assert.Single(_log.Lines, line => line.Contains("client not reading; send queue full", StringComparison.Ordinal));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task PlainGet_ShowsAPage()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(_gateway.BaseUrl + "xmpp-websocket");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("WebSocket", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
