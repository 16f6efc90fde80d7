using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// A stopping gateway opens nothing new, and tells BOSH clients that were between two requests:
/// clients that reconnect at once (Converse.js) must not get a session, or a resumed XEP-0198 one,
/// that is dropped a moment later.
/// </summary>
public class ShutdownGateTests(XmppServers servers)
{
    [Fact]
    public async Task Stopping_EndedSessionsAnswerTheirNextRequest_NewOnesAreRefused()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await client.CreateAsync();
        Assert.NotNull(client.Sid);

        // Stopping begins while this client has no request held.
        gateway.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        var next = await client.SendAsync("");
        Assert.Equal("terminate", (string?)next.Attribute("type"));
        Assert.Equal("system-shutdown", (string?)next.Attribute("condition"));

        // Readiness fails at once, so the balancer sends nobody new; liveness does not.
        using (var probe = new HttpClient())
        using (var readiness = await probe.GetAsync(new Uri(gateway.BaseUrl, "/health")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, readiness.StatusCode);
            Assert.StartsWith("unhealthy", await readiness.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await using var late = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var refused = await late.CreateAsync();
        Assert.Equal("terminate", (string?)refused.Attribute("type"));
        Assert.Equal("system-shutdown", (string?)refused.Attribute("condition"));
        Assert.Null(late.Sid);
        Assert.Equal(0, gateway.Sessions.Count);

        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("xmpp");
        ws.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ws.ConnectAsync(gateway.WebSocketUrl, CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ws.HttpStatusCode);

        // Everything else still answers while the last requests finish.
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri(gateway.BaseUrl, "/alive")));
    }

    [Fact]
    public async Task Stopping_AGzipBomb_IsRefusedAfterMaxBodyBytes_NotInflated()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:AllowedOrigins:0=https://chat.example");
        // 100 MiB of zeros, about 100 KiB on the wire: small enough to pass any limit on compressed bytes.
        var bomb = Gzip.Bomb(100L << 20);
        Assert.InRange(bomb.Length, 1, 1 << 20);
        gateway.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, gateway.BoshUrl) { Content = new ByteArrayContent(bomb) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("text/xml");
        request.Content.Headers.ContentEncoding.Add("gzip");
        request.Headers.Add("Origin", "https://chat.example");
        using var response = await http.SendAsync(request);

        // The endpoint's answer to a body over Gateway:Bosh:MaxBodyBytes (counted after gunzip): the gate
        // stopped reading there. Reading it all would have found no <body/> in the zeros (system-shutdown).
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("policy-violation", (string?)body.Attribute("condition"));
        // CORS headers once, from the one helper.
        Assert.Equal("https://chat.example", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal("Origin", response.Headers.Vary.Single());
    }
}
