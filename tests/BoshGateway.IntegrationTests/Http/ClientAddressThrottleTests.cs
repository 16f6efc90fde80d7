using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// Per-client-address limits beside the session cap (robustness B1, D1, D6, D8), against the real gateway:
/// each refusal is HTTP 429 before a session exists, with Retry-After for a rate, and keyed on the real peer.
/// </summary>
public class ClientAddressThrottleTests(XmppServers servers)
{
    private const string Ns = "xmlns='http://jabber.org/protocol/httpbind'";

    private static string Creation(string domain) => $"<body rid='100' to='{domain}' wait='5' hold='1' {Ns}/>";

    private static async Task<(HttpStatusCode Status, string? RetryAfter, XElement? Body)> PostAsync(HttpClient http, Uri url, string xml, string? forwardedFor = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(xml, Encoding.UTF8, "text/xml") };
        if (forwardedFor is not null)
        {
            request.Headers.Add("X-Forwarded-For", forwardedFor);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, response.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            response.StatusCode == HttpStatusCode.OK ? XElement.Parse(text) : null);
    }

    [Fact]
    public async Task SessionStartsPastTheBurst_Get429WithRetryAfter_OverBothTransports()
    {
        // No server behind it: each creation is admitted (a token spent), then fails fast with remote-connection-failed.
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next(), "Gateway:Throttle:SessionsPerSecond=1", "Gateway:Throttle:SessionBurst=3");
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        var admitted = 0;
        var refused = 0;
        for (var i = 0; i < 20; i++)
        {
            var (status, retryAfter, body) = await PostAsync(http, gateway.BoshUrl, Creation("localhost"));
            if (status == HttpStatusCode.TooManyRequests)
            {
                refused++;
                Assert.NotNull(retryAfter);
                Assert.InRange(double.Parse(retryAfter, System.Globalization.CultureInfo.InvariantCulture), 1, 2);
            }
            else
            {
                Assert.Equal("remote-connection-failed", (string?)body!.Attribute("condition"));
                admitted++;
            }
        }
        // Three at once, then one a second: whatever the machine's speed, never more.
        Assert.InRange(admitted, 3, 3 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));
        Assert.Equal(20 - admitted, refused);

        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("xmpp");
        ws.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAsync<WebSocketException>(() => ws.ConnectAsync(gateway.WebSocketUrl, CancellationToken.None));
        Assert.Equal(HttpStatusCode.TooManyRequests, ws.HttpStatusCode);
        Assert.True(ws.HttpResponseHeaders!.ContainsKey("Retry-After"));
    }

    [Fact]
    public async Task UnknownSidGuesses_AreThrottledPerAddress_AndLiveSessionsCarryOn()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Throttle:UnknownSidsPerSecond=1", "Gateway:Throttle:UnknownSidBurst=5");
        await using var live = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await live.CreateAsync(wait: 1);
        using var http = new HttpClient();
        var clock = Stopwatch.StartNew();
        int notFound = 0, throttled = 0;
        for (var i = 0; i < 40; i++)
        {
            var (status, retryAfter, body) = await PostAsync(http, gateway.BoshUrl, $"<body rid='7' sid='{Guid.NewGuid():N}' {Ns}/>");
            if (status == HttpStatusCode.TooManyRequests)
            {
                throttled++;
                Assert.NotNull(retryAfter);
            }
            else
            {
                Assert.Equal("item-not-found", (string?)body!.Attribute("condition"));
                notFound++;
            }
        }
        Assert.InRange(notFound, 5, 5 + (int)Math.Ceiling(clock.Elapsed.TotalSeconds));
        Assert.Equal(40 - notFound, throttled);

        // The session the address does have is not affected by its guesses.
        var answer = await live.SendAsync("");
        Assert.Null((string?)answer.Attribute("type"));
    }

    [Fact]
    public async Task UnauthenticatedSessions_AreCappedPerAddress_UntilOneLogsIn()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Throttle:MaxUnauthenticatedPerAddress=2");
        using var http = new HttpClient();
        await using var first = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var second = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await first.CreateAsync();
        await second.CreateAsync();

        var (status, retryAfter, _) = await PostAsync(http, gateway.BoshUrl, Creation(server.Domain));
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Null(retryAfter);

        // A logged-in session no longer counts: its slot is free for the next login.
        await using var user = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await second.SendAsync("", "type='terminate'");
        await user.LoginAsync(TestUsers.Take(server));
        (status, _, var body) = await PostAsync(http, gateway.BoshUrl, Creation(server.Domain));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.NotNull((string?)body!.Attribute("sid"));
    }

    [Fact]
    public async Task XForwardedFor_IsBelievedOnlyFromTrustedProxies()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:MaxSessionsPerClientAddress=1", "Gateway:TrustedProxies:0=127.0.0.2");

        // A local process that is not the proxy: its header is ignored, both sessions count against 127.0.0.1.
        using var local = new HttpClient();
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(local, gateway.BoshUrl, Creation(server.Domain), "198.51.100.1")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(local, gateway.BoshUrl, Creation(server.Domain), "198.51.100.2")).Status);

        // The trusted proxy: each forwarded client has a slot of its own.
        using var proxy = LoopbackHttp.From(LoopbackHttp.Proxy);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(proxy, gateway.BoshUrl, Creation(server.Domain), "198.51.100.3")).Status);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(proxy, gateway.BoshUrl, Creation(server.Domain), "198.51.100.4")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await PostAsync(proxy, gateway.BoshUrl, Creation(server.Domain), "198.51.100.4")).Status);
    }
}
