using System.Globalization;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Nginx;

/// <summary>Clients reaching the gateway through the shipped nginx configuration, over TLS.</summary>
public class NginxFrontendTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task BoshAndWebSocket_ThroughNginx_LogInAndChat(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var nginx = await NginxFrontend.StartAsync("nginx-" + serverName, gateway.BaseUrl.Port);
        nginx.RequireRunning();
        var (boshUser, wsUser) = (TestUsers.Take(server), TestUsers.Take(server));

        await using var bosh = new BoshTestClient(new Uri(nginx.BaseUrl, "/http-bind"), server.Domain, nginx.TrustingHandler());
        await bosh.LoginAsync(boshUser);
        await using var ws = new WebSocketTestClient(trustedCertificate: nginx.Certificate);
        await ws.LoginAsync(nginx.WebSocketUrl, server.Domain, wsUser);

        await ws.SendMessageAsync($"{boshUser}@{server.Domain}", "via nginx to bosh");
        await bosh.SendMessageAsync($"{wsUser}@{server.Domain}", "via nginx to ws");
        await bosh.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "via nginx to bosh");
        Assert.Equal(["via nginx to ws"], await ws.MessagesAsync("via nginx", 1));
    }

    // robustness.md C8: an idle, logged-in WebSocket behind the shipped nginx stays open because the gateway pings
    // (Gateway:WebSocket:KeepAliveInterval, 30 s) well inside nginx's proxy_read_timeout (120 s). Scaled down here:
    // nginx reads for 3 s; pings every second keep the link, pings every 30 s do not (so the first case could fail).
    [Theory]
    [InlineData("00:00:01", true)]
    [InlineData("00:00:30", false)]
    public async Task IdleWebSocket_ThroughNginx_IsKeptOpenByTheGatewaysPings(string keepAliveInterval, bool staysOpen)
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, $"Gateway:WebSocket:KeepAliveInterval={keepAliveInterval}");
        await using var nginx = await NginxFrontend.StartAsync("nginx-idle-" + (staysOpen ? "pinged" : "quiet"),
            site => site.Replace("proxy_read_timeout 120s;", "proxy_read_timeout 3s;", StringComparison.Ordinal), gateway.BaseUrl.Port);
        nginx.RequireRunning();
        await using var ws = new WebSocketTestClient(trustedCertificate: nginx.Certificate);
        await ws.LoginAsync(nginx.WebSocketUrl, server.Domain, TestUsers.Take(server));
        // Every test account has every other as a contact, so while other tests log in, their presence would reach an
        // available resource (and keep nginx's link busy without any ping). An unavailable one is sent nothing unasked.
        await ws.SendAsync("<presence xmlns='jabber:client' type='unavailable'/>");
        await ws.SendAsync($"<iq xmlns='jabber:client' type='get' id='unavailable-done' to='{server.Domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
        await ws.WaitForAsync(e => (string?)e.Attribute("id") == "unavailable-done");

        // Idle for more than twice nginx's read timeout: nothing arrives but the gateway's pings (which the WebSocket
        // answers by itself), or nginx's close. (A cancelled receive would abort the socket, so none is cancelled.)
        var next = ws.ReceiveAsync(TimeSpan.FromMinutes(1));
        var idle = await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(8))) != next;
        if (!staysOpen)
        {
            Assert.False(idle, "nginx kept an idle WebSocket without pings past its read timeout");
            var outcome = await OutcomeAsync(next);
            Assert.True(outcome is "closed" || outcome.StartsWith("WebSocketException", StringComparison.Ordinal), "not a close: " + outcome);
            return;
        }
        Assert.True(idle, "the idle WebSocket was closed or got something: " + (idle ? "" : await OutcomeAsync(next)));
        await ws.SendAsync($"<iq type='get' id='after-idle' to='{server.Domain}' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>");
        var answer = XElement.Parse((await next)!);
        Assert.Equal("after-idle", (string?)answer.Attribute("id"));
        Assert.Equal("result", (string?)answer.Attribute("type"));
    }

    // robustness.md D9: request smuggling. A request whose framing is ambiguous (Content-Length and Transfer-Encoding,
    // two Transfer-Encodings) is refused by nginx and the connection closed, so the request hidden behind it (a session
    // creation) is never read by anyone: no session exists afterwards. What nginx passes on, it re-frames itself.
    [Theory]
    [InlineData("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\nContent-Length: 4\r\n")]
    [InlineData("Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n")]
    [InlineData("Transfer-Encoding:  chunked\r\nContent-Length: 0\r\n")]
    public async Task SmuggledRequest_ThroughNginx_NeverReachesTheGatewayAsARequest(string framing)
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var nginx = await NginxFrontend.StartAsync("nginx-smuggle", gateway.BaseUrl.Port);
        nginx.RequireRunning();
        var creation = $"<body rid='1' to='{server.Domain}' wait='5' hold='1' xmlns='http://jabber.org/protocol/httpbind'/>";
        var smuggled = $"POST /http-bind HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {creation.Length}\r\n\r\n{creation}";
        var answer = await nginx.ExchangeRawAsync($"POST /http-bind HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n{framing}\r\n0\r\n\r\n{smuggled}");

        Assert.Matches("^HTTP/1.1 (400|501) ", answer);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(answer, "HTTP/1.1 "));
        Assert.Equal(0, gateway.Sessions.Count);
    }

    [Fact]
    public async Task UpgradeHeaderOnABoshPost_ThroughNginx_UpgradesNothing()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var nginx = await NginxFrontend.StartAsync("nginx-upgrade-post", gateway.BaseUrl.Port);
        nginx.RequireRunning();
        var creation = $"<body rid='1' to='{server.Domain}' wait='5' hold='1' xmlns='http://jabber.org/protocol/httpbind'/>";
        var answer = await nginx.ExchangeRawAsync("POST /http-bind HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n" +
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nContent-Type: text/xml\r\n" +
            $"Content-Length: {creation.Length}\r\n\r\n{creation}");

        Assert.StartsWith("HTTP/1.1 200 ", answer, StringComparison.Ordinal);
        Assert.Contains("sid=", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("Sec-WebSocket-Accept", answer, StringComparison.OrdinalIgnoreCase);
    }

    // robustness.md B13: the shipped site's client_max_body_size (1m on /http-bind) refuses a larger body with 413 before
    // proxying it; the gateway, which would answer such a body with terminate/policy-violation, never sees the request.
    [Fact]
    public async Task BodyOverNginxsLimit_Gets413FromNginx_AndNeverReachesTheGateway()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var nginx = await NginxFrontend.StartAsync("nginx-413", gateway.BaseUrl.Port);
        nginx.RequireRunning();
        using var http = new HttpClient(nginx.TrustingHandler());
        string Creation(int padding) => $"<body rid='1' to='{server.Domain}' wait='5' hold='1' xmlns='http://jabber.org/protocol/httpbind'>{new string(' ', padding)}</body>";

        var tooLarge = await PostBoshAsync(http, nginx, Creation(1_100_000));
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, tooLarge.Status);
        Assert.Contains("nginx", tooLarge.Body, StringComparison.Ordinal);
        Assert.Equal(0, gateway.Sessions.Count);
        // A body just under nginx's limit does reach the gateway, which refuses it by its own limit (Bosh:MaxBodyBytes, 512 KiB).
        var refused = await PostBoshAsync(http, nginx, Creation(600_000));
        Assert.Equal(System.Net.HttpStatusCode.OK, refused.Status);
        Assert.Equal("policy-violation", (string?)XElement.Parse(refused.Body).Attribute("condition"));
        Assert.Equal(0, gateway.Sessions.Count);
    }

    /// <summary>Posts a BOSH body to nginx's <c>/http-bind</c>; returns the status and the answer's text.</summary>
    private static async Task<(System.Net.HttpStatusCode Status, string Body)> PostBoshAsync(HttpClient http, NginxFrontend nginx, string xml)
    {
        using var content = new StringContent(xml, System.Text.Encoding.UTF8, "text/xml");
        using var response = await http.PostAsync(new Uri(nginx.BaseUrl, "/http-bind"), content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    // robustness.md E13: nginx's proxy_read_timeout shorter than the session's wait (scaled down: 2 s against wait 5).
    // nginx answers the held request 504; the client sends the same rid again, as Strophe.js and StanzaJS do after a
    // 5xx, and gets the gateway's stored answer for it; the session goes on. (If the resend reaches the gateway before
    // it has seen nginx drop the first copy, the resend is held and times out too; the client just sends it again.)
    [Fact]
    public async Task NginxTimingOutAHeldRequest_The504IsResentWithTheSameRid_AndTheSessionGoesOn()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, log);
        await using var nginx = await NginxFrontend.StartAsync("nginx-504",
            site => site.Replace("proxy_read_timeout 90s;", "proxy_read_timeout 2s;", StringComparison.Ordinal), gateway.BaseUrl.Port);
        nginx.RequireRunning();
        using var http = new HttpClient(nginx.TrustingHandler()) { Timeout = TimeSpan.FromSeconds(30) };
        Task<(System.Net.HttpStatusCode Status, string Body)> PostAsync(string xml) => PostBoshAsync(http, nginx, xml);

        var created = await PostAsync(CreationStorm.Body(server.Domain, wait: 5));
        var sid = (string?)XElement.Parse(created.Body).Attribute("sid");
        Assert.NotNull(sid);
        var poll = CreationStorm.FirstPoll(sid);
        Assert.Equal(System.Net.HttpStatusCode.GatewayTimeout, (await PostAsync(poll)).Status);

        var resent = (Status: System.Net.HttpStatusCode.GatewayTimeout, Body: "");
        for (var attempt = 0; attempt < 3 && resent.Status == System.Net.HttpStatusCode.GatewayTimeout; attempt++)
        {
            resent = await PostAsync(poll);
        }
        Assert.Equal(System.Net.HttpStatusCode.OK, resent.Status);
        Assert.Null((string?)XElement.Parse(resent.Body).Attribute("type"));
        var ended = await PostAsync($"<body rid='102' sid='{sid}' type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>");
        Assert.Equal(System.Net.HttpStatusCode.OK, ended.Status);
        Assert.Null((string?)XElement.Parse(ended.Body).Attribute("condition"));

        // The gateway tells the operator (robustness.md E13): held about 2 s, nginx's timeout, of the session's 5 s wait.
        var warning = Assert.Single(log.Lines, l => l.Contains("given up after", StringComparison.Ordinal));
        Assert.StartsWith("Warning ", warning, StringComparison.Ordinal);
        var held = double.Parse(System.Text.RegularExpressions.Regex.Match(warning, @"given up after ([0-9.]+) s of its 5 s wait").Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.InRange(held, 1.5, 4.0);
    }

    /// <summary>What a finished receive gave: the message, "closed", or the WebSocket's exception.</summary>
    private static async Task<string> OutcomeAsync(Task<string?> receive)
    {
        try
        {
            return await receive ?? "closed";
        }
        catch (System.Net.WebSockets.WebSocketException ex)
        {
            return "WebSocketException: " + ex.Message;
        }
    }

    [Fact]
    public async Task OperatorEndpoints_ThroughNginx_AreRefused_WhileTheGatewayServesThem()
    {
        var jwk = Prebind.PrebindTokens.NewJwkFile(RepoPaths.Scratch("prebind-keys"));
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next(), $"Gateway:Prebind:Secret={Prebind.PrebindTokens.WebAppSecret}", $"Gateway:Prebind:ServerJwkFile={jwk}");
        await using var nginx = await NginxFrontend.StartAsync("nginx-metrics", gateway.BaseUrl.Port);
        nginx.RequireRunning();
        using var direct = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var proxied = new HttpClient(nginx.TrustingHandler()) { Timeout = TimeSpan.FromSeconds(10) };

        using var metrics = await direct.GetAsync(new Uri(gateway.BaseUrl, "/metrics"));
        Assert.Equal(System.Net.HttpStatusCode.OK, metrics.StatusCode);
        Assert.Contains("boshgateway_", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var prebind = await direct.GetAsync(new Uri(gateway.BaseUrl, "/prebind"));
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, prebind.StatusCode);
        // The gateway's routes ignore case and nginx decodes the path before matching: no spelling gets through.
        foreach (var path in new[] { "/metrics", "/Metrics", "/metrics/", "/%6detrics", "//metrics", "/metrics?format=text", "/status", "/status/", "/prebind", "/Prebind" })
        {
            using var refused = await proxied.GetAsync(new Uri(nginx.BaseUrl + path[1..]));
            Assert.True(refused.StatusCode == System.Net.HttpStatusCode.NotFound, $"{path} through nginx: {(int)refused.StatusCode}");
        }
        using var health = await proxied.GetAsync(new Uri(nginx.BaseUrl, "/alive"));
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
    }

    [Fact]
    public async Task Discovery_ThroughNginx_AdvertisesHttpsAndWss()
    {
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next());
        await using var nginx = await NginxFrontend.StartAsync("nginx-discovery", gateway.BaseUrl.Port);
        nginx.RequireRunning();
        using var http = new HttpClient(nginx.TrustingHandler());

        using var response = await http.GetAsync(new Uri(nginx.BaseUrl, "/.well-known/host-meta"));
        var xrd = XElement.Parse(await response.Content.ReadAsStringAsync());
        var port = nginx.Port.ToString(CultureInfo.InvariantCulture);

        Assert.Equal("application/xrd+xml; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal("*", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var links = xrd.Elements().ToDictionary(l => (string)l.Attribute("rel")!, l => (string)l.Attribute("href")!);
        Assert.Equal($"https://localhost:{port}/http-bind", links["urn:xmpp:alt-connections:xbosh"]);
        Assert.Equal($"wss://localhost:{port}/xmpp-websocket", links["urn:xmpp:alt-connections:websocket"]);
    }
}

/// <summary>StanzaJS over WebSocket through the shipped nginx configuration.</summary>
[Collection(JavaScriptCollection.Name)]
public class NginxJavaScriptTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task StanzaJs_OverWebSocketThroughNginx_LogsInAndChats(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        JavaScript.RequireNodeModules();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var nginx = await NginxFrontend.StartAsync("nginx-js-" + serverName, gateway.BaseUrl.Port);
        nginx.RequireRunning();

        var (exit, output) = await ProcessRunner.RunAsync("node",
            [JavaScript.ChatScript, "websocket", nginx.WebSocketUrl.ToString(), server.Domain, TestUsers.Take(server), TestUsers.Take(server)],
            TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = nginx.CertificateFile });

        Assert.True(exit == 0, $"StanzaJS run failed ({exit}): {output}");
        Assert.Contains("\"ok\":true", output, StringComparison.Ordinal);
    }
}
