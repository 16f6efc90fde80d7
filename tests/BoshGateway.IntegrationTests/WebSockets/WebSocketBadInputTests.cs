using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.WebSockets;

/// <summary>
/// Bad WebSocket input gets a stream error, then &lt;close/&gt;, then a WebSocket close; nothing leaks. The gateway reaches
/// Prosody through a recording <see cref="FaultProxy"/>, so "nothing reaches the server" is checked on the bytes it was sent.
/// </summary>
public sealed class WebSocketBadInputTests : IAsyncLifetime
{
    private const string StropheClose = "<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />";
    private XmppServer _server = null!;
    private FaultProxy _proxy = null!;
    private GatewayHost _gateway = null!;
    private WebSocketTestClient _alice = null!;
    private WebSocketTestClient _bob = null!;
    private readonly LogCapture _log = new();

    public async ValueTask InitializeAsync()
    {
        _server = await XmppServers.StartPrivateProsodyAsync("prosody-ws-bad", "alice", "bob", "mallory");
        _server.RequireRunning();
        // No warm pool: these tests count the session streams on the server.
        _proxy = FaultProxy.Start(_server.C2sPort, recordToServer: true);
        _gateway = await GatewayHost.StartAsync(_proxy.Port, _log, "Gateway:Backends:Pool:Size=0", "Gateway:Limits:MaxElementBytes=16384", "Gateway:WebSocket:MaxMessageBytes=20000",
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
        if (_proxy is not null)
        {
            await _proxy.DisposeAsync();
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
    [InlineData("<message xmlns='jabber:client'><body>unclosed</message>", "not-well-formed", "unclosed")]
    [InlineData("<message xmlns='jabber:client'><!-- c --></message>", "restricted-xml", "<!--")]
    [InlineData("<!DOCTYPE m [<!ENTITY a 'aaaa'>]><message xmlns='jabber:client'>&a;</message>", "restricted-xml", "&a;|aaaa|ENTITY")]
    [InlineData("<presence xmlns='jabber:client' id='two-1'/><presence xmlns='jabber:client' id='two-2'/>", "not-well-formed", "two-1|two-2")]
    [InlineData("just text", "bad-format", "just text")]
    [InlineData("<open xmlns='jabber:client' to='localhost' version='1.0'/>", "invalid-namespace", "<open")]
    [InlineData("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='localhost'>", "not-well-formed", "<stream:stream")]
    [InlineData("<?xml version='1.1'?><message xmlns='jabber:client' to='bob@localhost'><body>xml 1.1</body></message>", "restricted-xml", "xml 1.1")]
    [InlineData("<?xml version='1.0' encoding='UTF-16'?><message xmlns='jabber:client' to='bob@localhost'><body>utf-16</body></message>", "unsupported-encoding", "utf-16|UTF-16")]
    [InlineData("<?xml version='1.0' encoding='iso-8859-1'?><message xmlns='jabber:client' to='bob@localhost'><body>latin-1</body></message>", "unsupported-encoding", "latin-1")]
    [InlineData("<message xmlns='jabber:server' from='admin@localhost' to='bob@localhost'><body>as a server</body></message>", "invalid-namespace", "as a server|jabber:server")]
    [InlineData("<db:result xmlns:db='jabber:server:dialback' from='evil.example' to='localhost'>key</db:result>", "unsupported-stanza-type", "db:result|dialback")]
    [InlineData("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/><message xmlns='jabber:client' to='bob@localhost'><body>open and stanza</body></message>", "not-well-formed", "open and stanza|<open")]
    [InlineData("<message xmlns='jabber:client' to='bob@localhost'><body>truncated", "not-well-formed", "truncated")]
    public async Task BadMessage_AfterLogin_GetsItsStreamError(string message, string condition, string markers)
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "mallory");
        var mark = _proxy.RecordedToServerMark;
        await mallory.SendAsync(message);
        var (error, status) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal(condition, Condition(error));
        Assert.Equal(WebSocketCloseStatus.NormalClosure, status);
        await AssertHealthyAndNothingLeaked();
        // Nothing of the refused message reached the server: bob got only the health check's message.
        Assert.DoesNotContain(_bob.Received, m => m.Contains("xml 1.1", StringComparison.Ordinal) || m.Contains("utf-16", StringComparison.Ordinal)
            || m.Contains("latin-1", StringComparison.Ordinal) || m.Contains("as a server", StringComparison.Ordinal)
            || m.Contains("open and stanza", StringComparison.Ordinal) || m.Contains("truncated", StringComparison.Ordinal));
        // And on the wire: none of it is in what the server was sent.
        _proxy.AssertNotRecordedSince(mark, markers.Split('|'));
    }

    public static TheoryData<string, string> StructureOverTheLimits => OverLimitStanzas.With("xmlns='jabber:client'", "not-well-formed");

    [Theory]
    [MemberData(nameof(StructureOverTheLimits))]
    public async Task StructureOverTheLimits_GetsItsStreamError_AndNothingReachesTheServer(string message, string condition)
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "mallory");
        var mark = _proxy.RecordedToServerMark;
        await mallory.SendAsync(message);
        var (error, status) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal(condition, Condition(error));
        // A limit is a policy violation (1008), as for a message over WebSocket:MaxMessageBytes; bad XML closes normally.
        Assert.Equal(condition == "policy-violation" ? WebSocketCloseStatus.PolicyViolation : WebSocketCloseStatus.NormalClosure, status);
        await AssertHealthyAndNothingLeaked();
        Assert.DoesNotContain(_bob.Received, m => m.Contains("over-limits", StringComparison.Ordinal));
        _proxy.AssertNotRecordedSince(mark, "over-limits");
    }

    [Fact]
    public async Task ExternalEntities_AreRefused_AndNothingIsDialled()
    {
        // XXE over both transports, pointing at a listener of ours: any DOCTYPE is refused before an entity is read,
        // and the reader has no resolver, so the listener never sees a connection.
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var dtd = $"<!DOCTYPE m [<!ENTITY web SYSTEM 'http://127.0.0.1:{port}/x'><!ENTITY file SYSTEM 'file:///etc/passwd'>]>";
            await using var mallory = new WebSocketTestClient();
            await mallory.LoginAsync(_gateway.WebSocketUrl, _server.Domain, "mallory");
            await mallory.SendAsync(dtd + "<message xmlns='jabber:client' to='bob@localhost'><body>&web;&file;</body></message>");
            var (error, _) = await ExpectStreamErrorAsync(mallory);
            Assert.Equal("restricted-xml", Condition(error));

            using var http = new HttpClient();
            using var response = await http.PostAsync(_gateway.BoshUrl, new StringContent(
                dtd.Replace("DOCTYPE m", "DOCTYPE body", StringComparison.Ordinal) + "<body rid='1' to='localhost' xmlns='http://jabber.org/protocol/httpbind'>&web;</body>", Encoding.UTF8, "text/xml"));
            Assert.Equal("bad-request", (string?)XElement.Parse(await response.Content.ReadAsStringAsync()).Attribute("condition"));

            await Task.Delay(500);
            Assert.False(listener.Pending(), "something connected to the entity's address");
            await AssertHealthyAndNothingLeaked();
        }
        finally
        {
            listener.Stop();
        }
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
        var dials = _proxy.Connections;
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.SendAsync("<message xmlns='jabber:client' to='bob@localhost'><body>sneaky</body></message>");
        var (error, _) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("not-authorized", Condition(error));
        await AssertHealthyAndNothingLeaked();
        Assert.Equal(dials, _proxy.Connections);
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

    // The same variants as the BOSH endpoint's (BoshBadInputTests): the handshake is refused with 403 before any upgrade.
    [Theory]
    [InlineData("null", false)]
    [InlineData("https://chat.example.evil.example", false)]
    [InlineData("http://chat.example", false)]
    [InlineData("https://chat.example:8443", false)]
    [InlineData("HTTPS://CHAT.EXAMPLE", true)]
    public async Task OriginVariants_OnlyTheListedOnePasses(string origin, bool allowed)
    {
        await using var client = new WebSocketTestClient(origin: origin);
        if (allowed)
        {
            await client.ConnectAsync(_gateway.WebSocketUrl);
            Assert.Equal("xmpp", client.Socket.SubProtocol);
        }
        else
        {
            var ex = await Assert.ThrowsAsync<WebSocketException>(() => client.ConnectAsync(_gateway.WebSocketUrl));
            Assert.Contains("403", ex.Message, StringComparison.Ordinal);
        }
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task NeverOpeningAStream_IsTimedOut()
    {
        // Upgraded, then silent: the pre-auth deadline runs from the upgrade, not from <open/>.
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        var (error, status) = await ExpectStreamErrorAsync(mallory);
        Assert.Equal("connection-timeout", Condition(error));
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, status);
        Assert.Equal(2, await TcpConnections.WaitForAsync(_server.C2sPort, 2, TimeSpan.FromSeconds(5)));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task InBandRegistrations_OverTheAddressBudget_ArePolicyViolation()
    {
        // The server sees every registration come from the gateway, so the gateway counts them per client address
        // (Gateway:Throttle:RegistrationBurst 2 here). A registration form request (iq get) is not counted.
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartAsync(_server.C2sPort, log, "Gateway:Backends:Pool:Size=0", "Gateway:Throttle:RegistrationBurst=2",
            "Gateway:Throttle:RegistrationsPerHour=1");
        const string Submit = "<iq type='set' id='reg1' xmlns='jabber:client'><query xmlns='jabber:iq:register'><username>spam{0}</username><password>x</password></query></iq>";
        for (var i = 0; i < 3; i++)
        {
            await using var client = new WebSocketTestClient();
            await client.ConnectAsync(gateway.WebSocketUrl);
            await client.OpenStreamAsync(_server.Domain);
            await client.WaitForAsync(e => e.Name == XName.Get("features", XmlNames.Streams));
            await client.SendAsync("<iq type='get' id='form' xmlns='jabber:client'><query xmlns='jabber:iq:register'/></iq>");
            await client.SendAsync(string.Format(System.Globalization.CultureInfo.InvariantCulture, Submit, i));
            // Whatever this Prosody (no mod_register) answers, the first two reached it; the third is the gateway's refusal.
            var answer = await client.WaitForAsync(e => (string?)e.Attribute("id") == "reg1" || e.Name == XName.Get("error", XmlNames.Streams));
            var refused = answer.Name == XName.Get("error", XmlNames.Streams) && answer.Element(XName.Get("policy-violation", XmlNames.StreamErrors)) is not null;
            Assert.True(refused == (i == 2), $"registration {i + 1}: {answer}");
        }
        Assert.Single(log.Lines, line => line.Contains("too many in-band registrations", StringComparison.Ordinal));

        // The address may still log in.
        var mallory = new WebSocketTestClient();
        await mallory.LoginAsync(gateway.WebSocketUrl, _server.Domain, "mallory");
        await mallory.DisposeAsync();
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

    [Fact]
    public async Task FrameDeclaring2Pow60Bytes_IsClosedBeforeTheLimitPlus64KiBWereSent()
    {
        // The shipped limit (260 KiB), on a gateway of its own: the class's 20000 bytes would sit too close
        // under a power of two to tell a refusal at the limit from one when a doubled buffer filled up.
        var limit = new BoshGateway.Configuration.WebSocketOptions().MaxMessageBytes;
        await using var gateway = await GatewayHost.StartAsync(_server.C2sPort);
        using var socket = (await RawWebSocket.UpgradeAsync(gateway.BaseUrl)).Tcp;
        var stream = socket.GetStream();
        var closed = RawWebSocket.ReadUntilCloseFrameAsync(stream);
        // A frame declaring 2^60 bytes; then its bytes, 4 KiB at a time.
        await stream.WriteAsync(HugeInputs.FrameDeclaring2Pow60Bytes);
        var chunk = Enumerable.Repeat((byte)'x', 4096).ToArray();
        var sent = 0;
        while (sent < limit + 64 * 1024 && !closed.IsCompleted)
        {
            await stream.WriteAsync(chunk);
            sent += chunk.Length;
        }
        // Sending stopped at limit + 64 KiB at the latest: the close must come without more bytes.
        var (messages, code) = await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(code == 1009, $"close code {code} after {sent} bytes; messages after the features: {string.Join(" ", messages.Skip(2))}");
        Assert.Contains(messages, m => m.Contains("<policy-violation", StringComparison.Ordinal));
        Assert.Contains(StropheClose, messages);
        // The session ends with the client's TCP connection, or 2 s after the close frame at the latest.
        socket.Close();
        for (var i = 0; i < 50 && gateway.Sessions.Count > 0; i++)
        {
            await Task.Delay(100);
        }
        Assert.Equal(0, gateway.Sessions.Count);
        await AssertHealthyAndNothingLeaked();
    }

    // Frames no WebSocket library writes (robustness.md A5, C3), each after a stream was opened so a backend stream exists.
    // The answer is .NET's WebSocket's: a close frame with RFC 6455's code, then the connection ends; the gateway drops the
    // backend stream and the session. Mask keys are zero, so payload bytes go as they are.
    [Theory]
    [InlineData("C1-83-00000000-616263", 1002)]          // RSV1 set, no extension negotiated
    [InlineData("83-80-00000000", 1002)]                 // reserved data opcode 0x3
    [InlineData("8B-80-00000000", 1002)]                 // reserved control opcode 0xB
    [InlineData("09-80-00000000", 1002)]                 // a ping without FIN: control frames are never fragmented
    [InlineData("89-FE-007E-00000000-" + Ping126, 1002)]  // a ping with 126 bytes: control payloads are at most 125
    [InlineData("88-82-00000000-03E7", 1002)]            // close code 999, below the defined range
    [InlineData("88-82-00000000-03ED", 1002)]            // close code 1005, which must never be sent
    // An unmasked client frame: .NET's WebSocket does not refuse it, and nothing of it reaches the session, which ends
    // at its deadline: here the pre-auth one (connection-timeout, 1008); after login, WebSocket:KeepAliveTimeout.
    [InlineData("81-03-616263", 1008)]
    [InlineData("81-82-00000000-C328", 1007)]            // invalid UTF-8 in a text frame
    [InlineData("01-81-00000000-61-81-81-00000000-62", 1002)] // a new text frame where a continuation was due
    public async Task MalformedFrame_IsClosedWithItsCode_AndNothingLeaks(string frameHex, int code)
    {
        using var socket = (await RawWebSocket.UpgradeAsync(_gateway.BaseUrl)).Tcp;
        var stream = socket.GetStream();
        var features = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var closed = RawWebSocket.ReadUntilCloseFrameAsync(stream, m =>
        {
            if (m.Contains("<stream:features", StringComparison.Ordinal))
            {
                features.TrySetResult();
            }
        });
        await stream.WriteAsync(MaskedText($"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{_server.Domain}' version='1.0'/>"));
        await features.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(3, await TcpConnections.WaitForAsync(_server.C2sPort, 3, TimeSpan.FromSeconds(5)));

        await stream.WriteAsync(Convert.FromHexString(frameHex.Replace("-", "", StringComparison.Ordinal)));
        var (messages, closeCode) = await closed.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(code == closeCode, $"close code {closeCode}, not {code}; messages after the features: {string.Join(" ", messages.Skip(2))}");
        if (code == 1008)
        {
            // The gateway closed at its deadline, so it waits for the client's close frame (RFC 6455 §5.5.1): answer as browsers do.
            await stream.WriteAsync(MaskedClose(1000));
        }
        // Then the gateway ends the TCP connection with a FIN and sends nothing more: never a reset, which can destroy
        // the close frame before the client has read it (the client then sees 1006, not why).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal(0, await stream.ReadAsync(new byte[64], timeout.Token));
        await Eventually.TrueAsync(() => _gateway.Sessions.Count == 2, () => $"{_gateway.Sessions.Count} sessions, not 2", TimeSpan.FromSeconds(5));
        await AssertHealthyAndNothingLeaked();
    }

    private const string Ping126 = "616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161616161";

    /// <summary>A masked (key zero) close frame with <paramref name="code"/>.</summary>
    private static byte[] MaskedClose(int code) => [0x88, 0x82, 0, 0, 0, 0, (byte)(code >> 8), (byte)code];

    /// <summary>A final, masked (key zero) text frame with a payload under 64 KiB.</summary>
    private static byte[] MaskedText(string text)
    {
        var payload = Encoding.UTF8.GetBytes(text);
        byte[] head = payload.Length < 126
            ? [0x81, (byte)(0x80 | payload.Length)]
            : [0x81, 0xFE, (byte)(payload.Length >> 8), (byte)payload.Length];
        return [.. head, 0, 0, 0, 0, .. payload];
    }

    // C2: whatever Sec-WebSocket-Extensions says, well-formed, malformed or long, compression is never on (no inflate
    // to bound, no CRIME-style oracle): the upgrade succeeds and the 101 names no extension.
    public static TheoryData<string> ExtensionOffers => new()
    {
        "permessage-deflate; client_max_window_bits, x-webkit-deflate-frame",
        "permessage-deflate; server_max_window_bits=7; client_max_window_bits=99; server_no_context_takeover",
        "permessage-deflate; permessage-deflate; ;;; ,,,",
        "permessage-deflate; client_max_window_bits=\"15\"; client_max_window_bits=\"",
        "x-unknown-extension; a=1, permessage-bzip2",
        "\u00ff\u00fe; =\"\"",
        "permessage-deflate; x=" + new string('a', 8000),
    };

    [Theory]
    [MemberData(nameof(ExtensionOffers))]
    public async Task ExtensionsOffered_AreNeverNegotiated(string extensions)
    {
        var upgraded = await RawWebSocket.UpgradeAsync(_gateway.BaseUrl, $"Sec-WebSocket-Extensions: {extensions}\r\n");
        using var tcp = upgraded.Tcp;
        Assert.StartsWith("HTTP/1.1 101 ", upgraded.Head, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", upgraded.Head, StringComparison.OrdinalIgnoreCase);
        tcp.Close();
        await AssertHealthyAndNothingLeaked();
    }

    [Theory]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n", "426", true)]
    [InlineData("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: constructor\r\n", "426", true)]
    [InlineData("Sec-WebSocket-Version: 13\r\n", "400", false)]
    [InlineData("Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n", "400", false)]
    public async Task BrokenHandshake_IsRefused_NotAnsweredWithThePage(string headers, string status, bool namesVersion13)
    {
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(_gateway.BaseUrl.Host, _gateway.BaseUrl.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /xmpp-websocket HTTP/1.1\r\nHost: {_gateway.BaseUrl.Authority}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            $"Sec-WebSocket-Protocol: xmpp\r\nSec-WebSocket-Extensions: constructor\r\n{headers}\r\n"));
        var response = await RawWebSocket.ReadHeadAsync(stream);
        Assert.StartsWith($"HTTP/1.1 {status} ", response, StringComparison.Ordinal);
        Assert.Equal(namesVersion13, response.Contains("Sec-WebSocket-Version: 13", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain("<html", response, StringComparison.OrdinalIgnoreCase);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task StartTls_IsRefusedWithFailure_NeverReachesTheServer_AndIsNeverOffered()
    {
        await using var mallory = new WebSocketTestClient();
        await mallory.ConnectAsync(_gateway.WebSocketUrl);
        await mallory.OpenStreamAsync(_server.Domain);
        // Prosody offers STARTTLS on the gateway's plain link (backend Tls=None); the browser must never see it.
        var features = await mallory.WaitForAsync(e => e.Name == XName.Get("features", XmlNames.Streams));
        Assert.NotNull(features.Element(XName.Get("mechanisms", XmlNames.Sasl)));
        Assert.Null(features.Element(XName.Get("starttls", XmlNames.Tls)));

        var mark = _proxy.RecordedToServerMark;
        await mallory.SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        Assert.Equal("<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", await mallory.ReceiveAsync());
        Assert.Equal(StropheClose, await mallory.ReceiveAsync());
        Assert.Null(await mallory.ReceiveAsync());
        Assert.Equal(WebSocketCloseStatus.NormalClosure, mallory.Socket.CloseStatus);
        // Had the server seen it, it would have answered <proceed/>, and waited for a TLS handshake.
        Assert.DoesNotContain(mallory.Received, m => m.Contains("proceed", StringComparison.Ordinal));
        Assert.Single(_log.Lines, line => line.Contains("asked for STARTTLS", StringComparison.Ordinal));
        await AssertHealthyAndNothingLeaked();
        _proxy.AssertNotRecordedSince(mark, "xmpp-tls");
    }
}
