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
