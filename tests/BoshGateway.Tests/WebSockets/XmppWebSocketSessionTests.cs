using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Sessions;

namespace BoshGateway.Tests.WebSockets;

public class XmppWebSocketSessionTests
{
    private const string Message = "<message xmlns='jabber:client' to='bob@localhost'><body>hi</body></message>";

    [Fact]
    public async Task Open_ConnectsTheBackendAndAnswersWithOpenAndFeatures()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        Assert.Single(h.Connector.Links);
        Assert.Contains(h.Logs.Lines, l => l.EventName == "SessionStarted" && (string?)l.Values["Sid"] == "ws1");
    }

    [Fact]
    public async Task Element_IsForwardedAndCounted()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync(Message);
        await Eventually.TrueAsync(() => h.Backend.Sent.Count == 1);
        Assert.Equal(Message, h.Backend.Sent[0]);
        Assert.Equal(1, h.Session.Info.StanzasToServer);
        Assert.Equal(Message.Length, h.Session.Info.BytesToServer);
    }

    [Fact]
    public async Task Close_IsAnsweredWithCloseAndClosesTheBackend_Normal()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Equal(["<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />"], messages);
        Assert.True(h.Backend.Closed);
        Assert.False(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Normal], h.Logs.EndReasons);
    }

    [Fact]
    public async Task ClientVanishes_DropsTheBackendWithoutClosingTag_ClientGone()
    {
        var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.DisposeAsync();
        Assert.True(h.Backend.Aborted);
        Assert.False(h.Backend.Closed);
        Assert.Equal([SessionEndReason.ClientGone], h.Logs.EndReasons);
        Assert.Equal(0, h.Lifecycle.Table.Count);
    }

    [Fact]
    public async Task ServerStreamError_IsPassedOnThenClose_BackendClosed()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        h.Backend.Server("<message id='before'/><stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Equal(3, messages.Count);
        Assert.Contains("before", messages[0]);
        Assert.Contains("conflict", messages[1]);
        Assert.StartsWith("<close", messages[2]);
        Assert.Equal([SessionEndReason.BackendClosed], h.Logs.EndReasons);
    }

    [Fact]
    public async Task BackendFailure_IsRemoteConnectionFailed_BackendClosed()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        h.Backend.ServerClosed(new IOException("reset"));
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("remote-connection-failed", messages[0]);
        Assert.Equal([SessionEndReason.BackendClosed], h.Logs.EndReasons);
    }

    [Fact]
    public async Task ConnectFailure_IsRemoteConnectionFailed_WithOneWarning()
    {
        await using var h = new WebSocketHarness();
        h.Connector.Failure = new BackendConnectException("connection refused");
        await h.SendAsync("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("remote-connection-failed", messages[0]);
        // Never started: counted as refused, as a BOSH session would be, with no end line of its own.
        Assert.Empty(h.Logs.EndReasons);
        Assert.Single(h.Logs.Lines, l => l.EventName == "BackendUnreachable");
        Assert.NotNull(h.Lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "again").Info);
    }

    [Fact]
    public async Task NotAuthenticatedInTime_IsConnectionTimeout_Timeout()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        h.Time.Advance(h.Options.WebSocket.PreAuthTimeout + TimeSpan.FromSeconds(1));
        h.Session.OnTick();
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("connection-timeout", messages[0]);
        Assert.True(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Timeout], h.Logs.EndReasons);
    }

    [Fact]
    public async Task Shutdown_IsSystemShutdown_Shutdown()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("system-shutdown", messages[0]);
        Assert.Equal([SessionEndReason.Shutdown], h.Logs.EndReasons);
    }

    [Fact]
    public async Task Shutdown_WithRedirect_SendsSeeOtherUri()
    {
        var options = new GatewayOptions();
        options.WebSocket.ShutdownRedirectUri = "wss://other.example/xmpp-websocket";
        await using var h = new WebSocketHarness(options);
        await h.OpenAsync();
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("see-other-uri=\"wss://other.example/xmpp-websocket\"", Assert.Single(messages).Replace('\'', '"'));
        Assert.Equal([SessionEndReason.Shutdown], h.Logs.EndReasons);
    }

    [Fact]
    public async Task BadXml_IsAStreamError_Error()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync("<message><body>unclosed</message>");
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("not-well-formed", messages[0]);
        Assert.Equal([SessionEndReason.Error], h.Logs.EndReasons);
    }

    [Fact]
    public async Task ServerBehind_ClientIsNotReadUntilItCatchesUp()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        h.Backend.Full = true;
        await h.SendAsync(Message);
        await h.SendAsync(Message.Replace("hi", "second", StringComparison.Ordinal));
        await Task.Delay(100, TestContext.Current.CancellationToken);
        Assert.Empty(h.Backend.Sent);
        h.Backend.Drain();
        await Eventually.TrueAsync(() => h.Backend.Sent.Count == 2);
        Assert.Contains("second", h.Backend.Sent[1]);
        Assert.Empty(h.Logs.EndReasons);
    }

    [Fact]
    public async Task ServerBehindPastTheDeadline_IsPolicyViolation_Error()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        h.Backend.Full = true;
        await h.SendAsync(Message);
        // The wait starts when the receive loop reaches the message; step the clock until its deadline has passed.
        for (var i = 0; i < 200 && h.Logs.EndReasons.Count == 0; i++)
        {
            h.Time.Advance(h.Options.Backends.QueueFullTimeout / 10);
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("policy-violation", messages[0]);
        Assert.Empty(h.Backend.Sent);
        Assert.True(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Error], h.Logs.EndReasons);
    }

    [Fact]
    public async Task EveryLineOfTheSession_CarriesItsSid()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync("<message><body>unclosed</message>");
        await h.ReceiveUntilClosedAsync();
        var line = Assert.Single(h.Logs.Lines, l => l.EventName == "WebSocketStreamError");
        Assert.Equal("ws1", line.Scope["Sid"]);
        Assert.Equal("websocket", line.Scope["Transport"]);
    }

    /// <summary>
    /// A hand-made masked text frame (FIN, opcode 1) whose 64-bit length says 2^60 bytes (mask key 0, so the payload
    /// is sent as is), then only a 20,000-byte limit plus 100 bytes of it: the gateway must not wait for more.
    /// </summary>
    private static async Task<WebSocketHarness> SendFrameDeclaring2Pow60BytesAsync()
    {
        var options = new GatewayOptions();
        options.WebSocket.MaxMessageBytes = 20_000;
        var h = new WebSocketHarness(options);
        byte[] header = [0x81, 0xFF, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        await h.Pair.RawToServer.WriteAsync(header);
        await h.Pair.RawToServer.WriteAsync(Enumerable.Repeat((byte)'x', 20_100).ToArray());
        await h.Pair.RawToServer.FlushAsync();
        return h;
    }

    [Fact]
    public async Task FrameDeclaring2Pow60Bytes_IsRefusedWith1009_AsSoonAsTheLimitIsPassed()
    {
        await using var h = await SendFrameDeclaring2Pow60BytesAsync();

        var error = await h.ReceiveAsync();
        Assert.Contains("policy-violation", error);
        Assert.StartsWith("<close", await h.ReceiveAsync());
        Assert.Null(await h.ReceiveAsync());
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.MessageTooBig, h.Pair.Client.CloseStatus);
        Assert.Empty(h.Connector.Links);
        Assert.Equal([SessionEndReason.Error], h.Logs.EndReasons);
    }

    [Fact]
    public async Task AClientThatGoesOnSendingAfterTheRefusal_IsNotReadOnAndOn()
    {
        await using var h = await SendFrameDeclaring2Pow60BytesAsync();
        Assert.Contains("policy-violation", await h.ReceiveAsync());

        // The frame goes on (it declared 2^60 bytes, so no close frame can follow it). The gateway drops one
        // message's worth more, then stops reading: the pipe toward it (which pauses its writer at 64 KiB unread)
        // stays full, and the client's writes wait instead of going through at memory speed for 2 s.
        var chunk = Enumerable.Repeat((byte)'x', 16 * 1024).ToArray();
        long sent = 0;
        while (sent < 8 * 1024 * 1024)
        {
            var flushed = h.Pair.RawToServer.WriteAsync(chunk).AsTask();
            if (await Task.WhenAny(flushed, Task.Delay(TimeSpan.FromMilliseconds(500))) != flushed)
            {
                break;
            }
            sent += chunk.Length;
        }
        Assert.True(sent < 20_000 + 128 * 1024, $"{sent} bytes went through after the refusal");
    }

    [Fact]
    public async Task MessageOfExactlyTheLimit_InPieces_IsAccepted()
    {
        var options = new GatewayOptions();
        options.WebSocket.MaxMessageBytes = 9000;
        options.Limits.MaxElementBytes = 9000;
        await using var h = new WebSocketHarness(options);
        await h.OpenAsync();
        h.Lifecycle.Authenticated(h.Session.Info); // logged in: past the pre-auth element limit
        var prefix = "<message xmlns='jabber:client' to='bob@localhost'><body>";
        var suffix = "</body></message>";
        var message = System.Text.Encoding.UTF8.GetBytes(prefix + new string('y', 9000 - prefix.Length - suffix.Length) + suffix);
        Assert.Equal(9000, message.Length);
        await h.Pair.Client.SendAsync(message.AsMemory(0, 5000), System.Net.WebSockets.WebSocketMessageType.Text, false, CancellationToken.None);
        await h.Pair.Client.SendAsync(message.AsMemory(5000), System.Net.WebSockets.WebSocketMessageType.Text, false, CancellationToken.None);
        await h.Pair.Client.SendAsync(ReadOnlyMemory<byte>.Empty, System.Net.WebSockets.WebSocketMessageType.Text, true, CancellationToken.None);
        await Eventually.TrueAsync(() => h.Backend.Sent.Count == 1);
        Assert.Equal(9000, h.Backend.Sent[0].Length);
    }

    [Fact]
    public async Task StartTls_IsAnsweredWithFailureThenClose_AndNeverForwarded()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Equal(["<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", "<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />"], messages);
        Assert.Empty(h.Backend.Sent);
        Assert.True(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Error], h.Logs.EndReasons);
        Assert.Contains(h.Logs.Lines, l => l.EventName == "WebSocketStartTlsRefused");
    }

    [Fact]
    public async Task StartTls_BeforeOpen_IsRefused_AndNoBackendIsOpened()
    {
        await using var h = new WebSocketHarness();
        await h.SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.StartsWith("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'", messages[0]);
        Assert.Empty(h.Connector.Links);
    }

    [Theory]
    [InlineData("<message xmlns='jabber:server' from='admin@localhost' to='bob@localhost'><body>x</body></message>", "invalid-namespace")]
    [InlineData("<db:result xmlns:db='jabber:server:dialback' from='evil.example' to='localhost'>k</db:result>", "unsupported-stanza-type")]
    [InlineData("<?xml version='1.1'?><message xmlns='jabber:client' to='bob@localhost'/>", "restricted-xml")]
    [InlineData("<?xml version='1.0' encoding='UTF-16'?><message xmlns='jabber:client' to='bob@localhost'/>", "unsupported-encoding")]
    public async Task RefusedElement_IsAStreamError_AndNeverForwarded(string xml, string condition)
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync(xml);
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains($"<{condition} ", messages[0]);
        Assert.StartsWith("<close", messages[1]);
        Assert.Empty(h.Backend.Sent);
        Assert.Equal([SessionEndReason.Error], h.Logs.EndReasons);
    }
}
