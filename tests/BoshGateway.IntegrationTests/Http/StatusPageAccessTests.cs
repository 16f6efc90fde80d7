using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>The status page over real HTTP: off by default, loopback only, or a bearer token; page, data and uPlot from the gateway.</summary>
public class StatusPageAccessTests
{
    private const string Token = "status-token-0123456789";

    [Fact]
    public async Task Off_ByDefault_404()
    {
        await using var gateway = await GatewayHost.StartAsync(5222);
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };

        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/status", UriKind.Relative))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/status/data", UriKind.Relative))).StatusCode);
    }

    [Fact]
    public async Task On_ServesLoopback_AndRefusesAClientForwardedByAProxy()
    {
        await using var gateway = await GatewayHost.StartAsync(5222, "Gateway:Status:Enabled=true", "Gateway:Status:Path=/ops/status");
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };

        using var page = await http.GetAsync(new Uri("/ops/status", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("/ops/status/uplot/uPlot.iife.min.js", html, StringComparison.Ordinal);
        Assert.Contains("/ops/status/page/status.js", html, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);

        using var data = await http.GetAsync(new Uri("/ops/status/data", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, data.StatusCode);
        Assert.Equal("no-store", data.Headers.CacheControl?.ToString());
        using (var json = JsonDocument.Parse(await data.Content.ReadAsStringAsync()))
        {
            var families = json.RootElement.GetProperty("families");
            Assert.True(families.GetProperty("sessions").GetProperty("series").TryGetProperty("websocket", out _));
            Assert.True(families.GetProperty("stanzas").GetProperty("series").TryGetProperty("to_client", out _));
            Assert.Equal(5, json.RootElement.GetProperty("intervalSeconds").GetDouble());
        }
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri("/ops/status/page/status.js", UriKind.Relative))).StatusCode);

        // Behind nginx (the trusted proxy, 127.0.0.2) the client's own address counts: not loopback, refused.
        using var proxy = LoopbackHttp.From(LoopbackHttp.Proxy, gateway.BaseUrl);
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, new Uri("/ops/status/data", UriKind.Relative));
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.5");
        Assert.Equal(HttpStatusCode.Forbidden, (await proxy.SendAsync(forwarded)).StatusCode);
        using var forwardedPage = new HttpRequestMessage(HttpMethod.Get, new Uri("/ops/status", UriKind.Relative));
        forwardedPage.Headers.Add("X-Forwarded-For", "203.0.113.5");
        Assert.Equal(HttpStatusCode.Forbidden, (await proxy.SendAsync(forwardedPage)).StatusCode);
    }

    [Fact]
    public async Task WithAToken_EveryRequestNeedsIt_FromLoopbackToo()
    {
        await using var gateway = await GatewayHost.StartAsync(5222, "Gateway:Status:Enabled=true", $"Gateway:Status:BearerToken={Token}");
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };

        using var missing = await http.GetAsync(new Uri("/status/data", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Get(http, "/status", "wrong-token-0123456789")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get(http, "/status", Token)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Get(http, "/status/data", Token)).StatusCode);
        // A token lets remote clients in, the proxy's forwarded ones too.
        using var forwarded = new HttpRequestMessage(HttpMethod.Get, new Uri("/status/data", UriKind.Relative));
        forwarded.Headers.Add("X-Forwarded-For", "203.0.113.5");
        forwarded.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(forwarded)).StatusCode);
    }

    [Fact]
    public async Task ChartLibrary_IsServedFromTheGatewaysOwnFiles()
    {
        RequireChartLibrary();
        await using var gateway = await GatewayHost.StartAsync(5222, "Gateway:Status:Enabled=true");
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };

        using var script = await http.GetAsync(new Uri("/status/uplot/uPlot.iife.min.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(new Uri("/status/uplot/%2e%2e%2f%2e%2e%2fappsettings.json", UriKind.Relative))).StatusCode);
    }

    /// <summary>The build copies uPlot beside the binary once <c>npm ci --prefix src/BoshGateway/StatusPage</c> has run.</summary>
    internal static void RequireChartLibrary()
    {
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "StatusPage", "uplot", "uPlot.iife.min.js")))
        {
            Requirement.Missing("uPlot for the status page is not beside the test binary (run: npm ci --prefix src/BoshGateway/StatusPage, then build)");
        }
    }

    private static async Task<HttpResponseMessage> Get(HttpClient http, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }
}
