using System.Net;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>
/// Hostile and broken requests against a gateway in front of its own Prosody, while a healthy
/// conversation runs beside them: each gets the protocol's answer, the healthy sessions carry on,
/// and no session or backend connection is left behind. The gateway reaches Prosody through a recording
/// <see cref="FaultProxy"/>, so "nothing reaches the server" is checked on the bytes the server was sent.
/// </summary>
public sealed class BoshBadInputTests : IAsyncLifetime
{
    private const string Ns = "xmlns='http://jabber.org/protocol/httpbind'";
    private XmppServer _server = null!;
    private FaultProxy _proxy = null!;
    private GatewayHost _gateway = null!;
    private BoshTestClient _alice = null!;
    private BoshTestClient _bob = null!;
    private HttpClient _http = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await XmppServers.StartPrivateProsodyAsync("prosody-bad", "alice", "bob", "mallory");
        _server.RequireRunning();
        // CompressResponsesFrom=256: a session creation answer (about 500 bytes with Prosody's features) is gzipped when asked.
        // No warm pool: these tests count the session streams on the server.
        _proxy = FaultProxy.Start(_server.C2sPort, recordToServer: true);
        _gateway = await GatewayHost.StartAsync(_proxy.Port, "Gateway:Backends:Pool:Size=0", "Gateway:Bosh:MaxBodyBytes=65536", "Gateway:Limits:MaxElementBytes=16384",
            "Gateway:AllowedOrigins:0=https://chat.example", "Gateway:Bosh:CompressResponsesFrom=256");
        _alice = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        _bob = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await _alice.LoginAsync("alice");
        await _bob.LoginAsync("bob");
        _http = new HttpClient();
    }

    public async ValueTask DisposeAsync()
    {
        _http?.Dispose();
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

    private async Task<XElement> PostAsync(string xml, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _gateway.BoshUrl) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return XElement.Parse(await response.Content.ReadAsStringAsync());
    }

    private async Task AssertHealthyAndNothingLeaked()
    {
        await _alice.SendMessageAsync("bob@localhost", "still here");
        await _bob.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "still here");
        Assert.Equal(2, _gateway.Sessions.Count);
        Assert.Equal(2, await TcpConnections.WaitForAsync(_server.C2sPort, 2, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("<body rid='1' " + Ns + "><message>", "bad-request")]
    [InlineData("<body rid='1' " + Ns + "><!-- c --></body>", "bad-request")]
    [InlineData("<body rid='1' " + Ns + "></stream:stream></body>", "bad-request")]
    [InlineData("<?xml version='1.0'?><!DOCTYPE body [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'><!ENTITY c '&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;'>]><body rid='1' " + Ns + ">&c;</body>", "bad-request")]
    [InlineData("<!DOCTYPE body SYSTEM 'file:///etc/passwd'><body rid='1' " + Ns + "/>", "bad-request")]
    [InlineData("<body rid='1' to='localhost' xmlns='urn:not-bosh'/>", "bad-request")]
    [InlineData("<body to='localhost' " + Ns + "/>", "bad-request")]
    [InlineData("<body rid='1' sid='00000000000000000000000000000000' " + Ns + "/>", "item-not-found")]
    [InlineData("<body rid='1' " + Ns + "/>", "improper-addressing")]
    [InlineData("<body rid='1' to='bad domain' " + Ns + "/>", "host-unknown")]
    [InlineData("<body rid='1' to='localhost' route='not-a-route' " + Ns + "/>", "improper-addressing")]
    [InlineData("<?xml version='1.1'?><body rid='1' to='localhost' wait='5' " + Ns + "/>", "bad-request")]
    [InlineData("<?xml version='1.0' encoding='UTF-16'?><body rid='1' to='localhost' wait='5' " + Ns + "/>", "bad-request")]
    [InlineData("<?xml version='1.0' encoding='ISO-8859-1'?><body rid='1' to='localhost' wait='5' " + Ns + "/>", "bad-request")]
    public async Task BadRequest_GetsItsTerminalCondition_OthersUnharmed(string xml, string condition)
    {
        var dials = _proxy.Connections;
        var body = await PostAsync(xml);
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal(condition, (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        // Refused before any session existed: the gateway never dialled the server for it.
        Assert.Equal(dials, _proxy.Connections);
    }

    [Fact]
    public async Task OversizedBody_IsPolicyViolation()
    {
        var mark = _proxy.RecordedToServerMark;
        var body = await PostAsync($"<body rid='1' sid='{_alice.Sid}' {Ns}><message><body>{new string('x', 70_000)}</body></message></body>");
        Assert.Equal("policy-violation", (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        _proxy.AssertNotRecordedSince(mark, new string('x', 64));
    }

    // robustness A7: a body declared as 1 GiB is refused on its Content-Length, unread; a chunked body (no length)
    // streamed without end is refused as soon as it passes Bosh:MaxBodyBytes (64 KiB here), not at its end.
    [Fact]
    public async Task HugeBody_DeclaredOrStreamed_IsPolicyViolationBeforeItEnds()
    {
        var head = $"POST /http-bind HTTP/1.1\r\nHost: {_gateway.BaseUrl.Authority}\r\nContent-Type: text/xml\r\n";
        var start = Encoding.ASCII.GetBytes($"<body rid='1' sid='{_alice.Sid}' {Ns}><message><body>");
        var text = Encoding.ASCII.GetBytes(new string('x', 16 * 1024));
        var mark = _proxy.RecordedToServerMark;

        using (var declared = new System.Net.Sockets.TcpClient())
        {
            await declared.ConnectAsync(_gateway.BaseUrl.Host, _gateway.BaseUrl.Port);
            var stream = declared.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes(head + "Content-Length: 1073741824\r\n\r\n"));
            await stream.WriteAsync(start);
            await stream.WriteAsync(text);
            var answer = await HugeInputs.ReadAnswerAsync(stream, TimeSpan.FromSeconds(15));
            Assert.Contains("condition='policy-violation'", answer, StringComparison.Ordinal);
        }

        using var streamed = new System.Net.Sockets.TcpClient();
        await streamed.ConnectAsync(_gateway.BaseUrl.Host, _gateway.BaseUrl.Port);
        var chunked = streamed.GetStream();
        await chunked.WriteAsync(Encoding.ASCII.GetBytes(head + "Transfer-Encoding: chunked\r\n\r\n"));
        await chunked.WriteAsync(HugeInputs.Chunk(start));
        var answered = HugeInputs.ReadAnswerAsync(chunked, TimeSpan.FromSeconds(15));
        var sent = start.Length;
        while (!answered.IsCompleted && sent < 16 * 1024 * 1024)
        {
            await chunked.WriteAsync(HugeInputs.Chunk(text));
            sent += text.Length;
            await Task.WhenAny(answered, Task.Delay(20));
        }
        Assert.Contains("condition='policy-violation'", await answered, StringComparison.Ordinal);
        // The answer came once the limit was passed: what was sent beyond it is what the sockets buffer, not 16 MiB.
        Assert.True(sent < 4 * 1024 * 1024, $"{sent} bytes sent before the answer");
        await AssertHealthyAndNothingLeaked();
        _proxy.AssertNotRecordedSince(mark, new string('x', 64));
    }

    [Fact]
    public async Task OversizedStanza_EndsOnlyThatSessionWithPolicyViolation()
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await mallory.LoginAsync("mallory");
        var mark = _proxy.RecordedToServerMark;
        var body = await mallory.SendAsync($"<message to='bob@localhost'><body>{new string('x', 20_000)}</body></message>");
        Assert.Equal("policy-violation", (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        _proxy.AssertNotRecordedSince(mark, new string('x', 64));
    }

    public static TheoryData<string, string> StructureOverTheLimits => OverLimitStanzas.With("", "bad-request");

    [Theory]
    [MemberData(nameof(StructureOverTheLimits))]
    public async Task StructureOverTheLimits_EndsOnlyThatSession_AndNothingReachesTheServer(string stanza, string condition)
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await mallory.LoginAsync("mallory");
        var mark = _proxy.RecordedToServerMark;
        var body = await mallory.SendAsync(stanza);
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal(condition, (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        Assert.DoesNotContain(_bob.Inbox, e => (string?)e.Attribute("id") == "over-limits");
        _proxy.AssertNotRecordedSince(mark, "over-limits");
    }

    [Fact]
    public async Task StreamElementInABody_IsRefusedAndNeverReachesTheServer()
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await mallory.LoginAsync("mallory");
        var mark = _proxy.RecordedToServerMark;
        var body = await mallory.SendAsync("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='localhost'/>");
        Assert.Equal("bad-request", (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        // What the server got of that session afterwards is the gateway's own stream end, no new stream header.
        _proxy.AssertNotRecordedSince(mark, "<stream:stream");
    }

    [Fact]
    public async Task WrongKey_IsItemNotFound_AndEndsThatSession()
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await mallory.CreateAsync(extra: "newkey='0123456789abcdef0123456789abcdef01234567'");
        var body = await mallory.SendAsync("", "key='wrong'");
        Assert.Equal("item-not-found", (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task DisallowedOrigin_Gets403AndNoSession()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _gateway.BoshUrl)
        {
            Content = new StringContent($"<body rid='1' to='localhost' wait='5' {Ns}/>", Encoding.UTF8, "text/plain"),
        };
        request.Headers.Add("Origin", "https://evil.example");
        using var response = await _http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        await AssertHealthyAndNothingLeaked();
    }

    // Look-alikes and variants of the one listed origin (https://chat.example): only exact matches pass. Scheme and host
    // compare without case (RFC 6454 §4; browsers send them in lower case anyway); port and scheme are part of the origin.
    [Theory]
    [InlineData("null", false)]
    [InlineData("https://chat.example.evil.example", false)]
    [InlineData("https://evil-chat.example", false)]
    [InlineData("https://chat.examp1e", false)]
    [InlineData("http://chat.example", false)]
    [InlineData("https://chat.example:8443", false)]
    [InlineData("https://chat.example, https://evil.example", false)]
    [InlineData("https://chat.example", true)]
    [InlineData("HTTPS://CHAT.EXAMPLE", true)]
    public async Task OriginVariants_OnlyTheListedOnePasses(string origin, bool allowed)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _gateway.BoshUrl)
        {
            Content = new StringContent($"<body rid='1' to='localhost' wait='5' hold='1' {Ns}/>", Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("Origin", origin);
        using var response = await _http.SendAsync(request);
        Assert.Equal(allowed ? HttpStatusCode.OK : HttpStatusCode.Forbidden, response.StatusCode);
        if (allowed)
        {
            Assert.Equal(origin, response.Headers.GetValues("Access-Control-Allow-Origin").Single());
            var sid = (string?)XElement.Parse(await response.Content.ReadAsStringAsync()).Attribute("sid");
            Assert.Empty((await PostAsync($"<body rid='2' sid='{sid}' type='terminate' {Ns}/>")).Elements());
        }
        else
        {
            Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        }
        await AssertHealthyAndNothingLeaked();
    }

    // XEP-0124's content attribute is never read: whatever a client asks for, the answer is XML, not to be sniffed.
    [Theory]
    [InlineData("text/html")]
    [InlineData("text/html&#13;&#10;X-Injected: 1")]
    public async Task HostileContentAttribute_IsNeverReflected(string content)
    {
        using var response = await _http.PostAsync(_gateway.BoshUrl,
            new StringContent($"<body rid='1' to='localhost' wait='5' hold='1' content='{content}' {Ns}/>", Encoding.UTF8, "text/xml"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(response.Headers.Contains("X-Injected"));
        var created = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Null(created.Attribute("content"));
        Assert.Empty((await PostAsync($"<body rid='2' sid='{(string?)created.Attribute("sid")}' type='terminate' {Ns}/>")).Elements());
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task AllowedOrigin_GetsCorsHeaders_AndPreflightAnswers()
    {
        using var preflight = new HttpRequestMessage(HttpMethod.Options, _gateway.BoshUrl);
        preflight.Headers.Add("Origin", "https://chat.example");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type");
        using var answer = await _http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.Equal("https://chat.example", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);

        using var evil = new HttpRequestMessage(HttpMethod.Options, _gateway.BoshUrl);
        evil.Headers.Add("Origin", "https://evil.example");
        using var refused = await _http.SendAsync(evil);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task Responses_CarryNoStoreNoBufferingAndGzipWhenAsked()
    {
        // No automatic decompression: the test sees the bytes on the wire.
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });
        using var request = new HttpRequestMessage(HttpMethod.Post, _gateway.BoshUrl)
        {
            Content = new StringContent($"<body rid='5' to='localhost' wait='5' hold='1' {Ns}/>", Encoding.UTF8, "text/xml"),
        };
        request.Headers.Add("Accept-Encoding", "gzip");
        request.Headers.Add("Origin", "https://chat.example");
        using var response = await http.SendAsync(request);
        Assert.Equal("text/xml; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        Assert.Equal("no", response.Headers.GetValues("X-Accel-Buffering").Single());
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        // Both reasons the answer differs by request, for caches in between.
        Assert.Equal(["Origin", "Accept-Encoding"], response.Headers.Vary);
        var raw = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(raw.Length, response.Content.Headers.ContentLength);
        var created = XElement.Parse(Encoding.UTF8.GetString(Gzip.Decompress(raw)));
        var sid = (string?)created.Attribute("sid");
        Assert.NotNull(sid);
        Assert.NotNull(created.Element(XName.Get("features", "http://etherx.jabber.org/streams")));
        var terminate = await PostAsync($"<body rid='6' sid='{sid}' type='terminate' {Ns}/>");
        Assert.Empty(terminate.Elements());
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task GzippedRequestBody_IsGunzippedAndHandled()
    {
        var rid = _alice.NextRid();
        var xml = $"<body rid='{rid}' sid='{_alice.Sid}' {Ns}><message to='bob@localhost' type='chat' xmlns='jabber:client'><body>sent gzipped</body></message></body>";
        using var content = new ByteArrayContent(Gzip.Compress(Encoding.UTF8.GetBytes(xml)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/xml");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await _http.PostAsync(_gateway.BoshUrl, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Null((string?)XElement.Parse(await response.Content.ReadAsStringAsync()).Attribute("type"));
        await _bob.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "sent gzipped");
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task GzipBomb_IsPolicyViolation_CountedAfterDecompression()
    {
        // 16 MiB of zeros in about 16 KiB: far under MaxBodyBytes (64 KiB here) on the wire, far over it inflated.
        var bomb = Gzip.Bomb(16L << 20);
        Assert.InRange(bomb.Length, 1, 32 * 1024);
        using var content = new ByteArrayContent(bomb);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/xml");
        content.Headers.ContentEncoding.Add("gzip");
        using var response = await _http.PostAsync(_gateway.BoshUrl, content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("policy-violation", (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task GetOnTheEndpoint_ShowsAPage_AndCreatesNoSession()
    {
        var html = await _http.GetStringAsync(_gateway.BoshUrl);
        Assert.Contains("BOSH", html, StringComparison.Ordinal);
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task FiftyThousandPresencesInOneBody_ArePolicyViolation_ByBytes()
    {
        // No stanza-rate limit: the body's bytes bound it (Bosh:MaxBodyBytes, 64 KiB here; 1.7 MB of presences). It is
        // refused as it is read, before its sid is looked at (as OversizedBody_IsPolicyViolation): the session it names
        // is not touched, and none of it reaches the server.
        var presences = string.Concat(Enumerable.Repeat("<presence xmlns='jabber:client'/>", 50_000));
        var mark = _proxy.RecordedToServerMark;
        var body = await PostAsync($"<body rid='1' sid='{_alice.Sid}' {Ns}>{presences}</body>");
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("policy-violation", (string?)body.Attribute("condition"));
        _proxy.AssertNotRecordedSince(mark, "<presence");
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task ForgedFrom_OnTheBodyIsIgnored_AndOnAStanzaTheServerStampsTheRealSender()
    {
        // A from on the session creation body is not read; a stanza's from goes to the server unchanged, and the
        // server, which knows who authenticated, replaces it (Prosody 0.12 stamps the session's full JID).
        var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await mallory.LoginAsync("mallory");
        Assert.StartsWith("mallory@localhost/", mallory.Jid, StringComparison.Ordinal);
        await mallory.SendAsync("<message xmlns='jabber:client' from='admin@localhost' to='bob@localhost' type='chat'><body>from the admin</body></message>");
        var received = await _bob.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "from the admin");
        Assert.Equal(mallory.Jid, (string?)received.Attribute("from"));
        await mallory.DisposeAsync();
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task ForgedFromOnTheCreationBody_IsNotRead()
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        var created = await mallory.CreateAsync(extra: "from='admin@localhost'");
        Assert.NotNull((string?)created.Attribute("sid"));
        Assert.Equal(_server.Domain, (string?)created.Attribute("from"));
        Assert.Empty((await mallory.SendAsync("", "type='terminate'")).Elements());
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task HoldAndWaitOverTheLimits_AreClampedInTheCreationAnswer()
    {
        // hold=5 and wait=3600 are not refused: the answer grants Bosh:MaxHold (1) and Bosh:MaxWait (60 s), and requests = hold + 1.
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        var created = await mallory.CreateAsync(wait: 3600, hold: 5);
        Assert.Equal("60", (string?)created.Attribute("wait"));
        Assert.Equal("1", (string?)created.Attribute("hold"));
        Assert.Equal("2", (string?)created.Attribute("requests"));
        Assert.Empty((await mallory.SendAsync("", "type='terminate'")).Elements());
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task SessionCreatedOverHttps_APlainRequestGetsItsConnectionClosed_AndTheSessionGoesOn()
    {
        // Behind a TLS-terminating proxy the scheme is X-Forwarded-Proto from a trusted proxy (loopback here).
        await using var gateway = await GatewayHost.StartAsync(_server.C2sPort, "Gateway:Backends:Pool:Size=0", "Gateway:TrustedProxies:0=127.0.0.1");
        Task<HttpResponseMessage> PostAsync(string xml, string scheme) => ForwardedProto.PostAsync(_http, gateway.BoshUrl, xml, scheme);

        using var created = await PostAsync($"<body rid='100' to='localhost' wait='5' hold='1' {Ns}/>", "https");
        var sid = (string?)XElement.Parse(await created.Content.ReadAsStringAsync()).Attribute("sid");
        Assert.NotNull(sid);

        // XEP-0124 §19.1: a request for it without HTTPS gets no answer, its connection is closed ...
        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync($"<body rid='101' sid='{sid}' type='terminate' {Ns}/>", "http"));
        // ... and the session is not ended by it: the same rid over HTTPS is served (an ended session would answer item-not-found).
        using var terminated = await PostAsync($"<body rid='101' sid='{sid}' type='terminate' {Ns}/>", "https");
        Assert.Equal(HttpStatusCode.OK, terminated.StatusCode);
        Assert.Null(XElement.Parse(await terminated.Content.ReadAsStringAsync()).Attribute("condition"));

        // A session created without HTTPS is served over either.
        using var plain = await PostAsync($"<body rid='200' to='localhost' wait='5' hold='1' {Ns}/>", "http");
        var plainSid = (string?)XElement.Parse(await plain.Content.ReadAsStringAsync()).Attribute("sid");
        using var plainEnd = await PostAsync($"<body rid='201' sid='{plainSid}' type='terminate' {Ns}/>", "https");
        Assert.Null(XElement.Parse(await plainEnd.Content.ReadAsStringAsync()).Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task GetWithABodyInItsQuery_HeadAndTrace_OpenNoSession()
    {
        // Some clients (and scanners) try BOSH over GET with the body in the query: the page, never a session.
        var query = Uri.EscapeDataString($"<body rid='1' to='localhost' wait='5' hold='1' {Ns}/>");
        using var get = await _http.GetAsync(_gateway.BoshUrl + "?" + query);
        Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        Assert.Equal("text/html; charset=utf-8", get.Content.Headers.ContentType?.ToString());
        Assert.DoesNotContain("sid=", await get.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, _gateway.BoshUrl));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.True(head.Content.Headers.ContentLength > 0);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        using var trace = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Trace, _gateway.BoshUrl));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, trace.StatusCode);
        Assert.Equal("GET, HEAD, POST, OPTIONS", string.Join(", ", trace.Content.Headers.Allow));
        await AssertHealthyAndNothingLeaked();
    }

    [Fact]
    public async Task RouteNotAllowed_IsIgnored_NoConnectionToIt()
    {
        // A listener at the route the client asks for: the gateway must not connect to it (no AllowedRoutes).
        var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            await using var client = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
            var creation = await client.CreateAsync(extra: $"route='xmpp:127.0.0.1:{port}'");
            Assert.NotNull(creation.Attribute("sid"));
            Assert.NotNull(creation.Element(XName.Get("features", "http://etherx.jabber.org/streams")));

            // The session's stream went to the configured server (alice, bob and this one), none to the route.
            Assert.Equal(3, await TcpConnections.WaitForAsync(_server.C2sPort, 3, TimeSpan.FromSeconds(5)));
            Assert.False(listener.Pending(), "the gateway connected to the route the client named");
            Assert.Equal(0, TcpConnections.EstablishedTo(port));
        }
        finally
        {
            listener.Stop();
        }
    }

    [Theory]
    [InlineData("<message xmlns='jabber:server' from='admin@localhost' to='bob@localhost'><body>as a server</body></message>")]
    [InlineData("<?xml version='1.1'?><message to='bob@localhost'><body>as a server</body></message>")]
    public async Task NonClientStanzaOrDeclarationInABody_IsBadRequest_AndNothingReachesTheServer(string children)
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        await mallory.LoginAsync("mallory");
        await mallory.StopPollingAsync();
        var mark = _proxy.RecordedToServerMark;
        var body = await mallory.SendAsync("<message to='bob@localhost'><body>same body, before it</body></message>" + children);
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("bad-request", (string?)body.Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        _proxy.AssertNotRecordedSince(mark, "as a server", "before it");
        // Bob got the health check's message and nothing of the refused body, not even its valid first stanza.
        Assert.DoesNotContain(_bob.Inbox, e => e.Value.Contains("as a server", StringComparison.Ordinal) || e.Value.Contains("before it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartTls_IsRefusedWithFailure_NeverReachesTheServer_AndIsNeverOffered()
    {
        await using var mallory = new BoshTestClient(_gateway.BoshUrl, _server.Domain);
        var created = await mallory.CreateAsync();
        // Prosody offers STARTTLS on the gateway's plain link (backend Tls=None); the browser must never see it.
        var features = created.Element(XName.Get("features", "http://etherx.jabber.org/streams"));
        Assert.NotNull(features);
        Assert.NotNull(features.Element(BoshTestClient.Sasl + "mechanisms"));
        Assert.Null(features.Element(XName.Get("starttls", "urn:ietf:params:xml:ns:xmpp-tls")));

        var mark = _proxy.RecordedToServerMark;
        var body = await mallory.SendAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Null(body.Attribute("condition"));
        Assert.NotNull(body.Element(XName.Get("failure", "urn:ietf:params:xml:ns:xmpp-tls")));
        // Had the server seen it, it would have answered <proceed/>.
        Assert.Null(body.Element(XName.Get("proceed", "urn:ietf:params:xml:ns:xmpp-tls")));
        Assert.Equal("item-not-found", (string?)(await mallory.SendAsync("")).Attribute("condition"));
        await AssertHealthyAndNothingLeaked();
        _proxy.AssertNotRecordedSince(mark, "xmpp-tls");
    }
}
