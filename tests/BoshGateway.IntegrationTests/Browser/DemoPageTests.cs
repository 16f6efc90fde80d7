using System.Net;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// The demo page (Gateway:DemoPage:Enabled): Converse.js from the gateway's own files at <c>/</c>. Two
/// users log in on it and chat, as a newcomer would after <c>./run.sh</c>; the page loads nothing from
/// anywhere but the gateway.
/// </summary>
[Collection(JavaScriptCollection.Name)]
public class DemoPageTests(XmppServers servers)
{
    private static readonly string[] DemoSettings = ["Gateway:DemoPage:Enabled=true", "Gateway:DemoPage:Domain=localhost", "Gateway:DemoPage:Notice=Demo accounts: see the test"];

    [Theory]
    [InlineData("prosody", "websocket")]
    [InlineData("ejabberd", "bosh")]
    public async Task TwoUsersChatOnTheDemoPage(string serverName, string transport)
    {
        var server = servers[serverName];
        server.RequireRunning();
        BrowserSuite.Require();
        RequireDemoAssets();
        await using var gateway = await BrowserGateway.StartAsync(server, tls: false, DemoSettings);
        var config = Scenario.For("demo", "converse", transport, server, gateway, Scenario.Users(server, 2));
        config["pageUrl"] = new Uri(gateway.BaseUrl, "/?transport=" + transport).ToString();

        var run = await BrowserRun.RunAsync(config);

        run.AssertOk();
        Assert.Empty(run.Result!.Value.GetProperty("blocked").EnumerateArray());
    }

    [Fact]
    public async Task DemoPage_ServesConverseFromItsOwnFiles()
    {
        RequireDemoAssets();
        await using var gateway = await GatewayHost.StartAsync(5222, DemoSettings);
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl };

        var page = await http.GetStringAsync(new Uri("/", UriKind.Relative));
        Assert.Contains("/demo/converse/converse.min.js", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal);
        Assert.Contains("Demo accounts: see the test", page, StringComparison.Ordinal);

        using var script = await http.GetAsync(new Uri("/demo/converse/converse.min.js", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
        using var outside = await http.GetAsync(new Uri("/demo/converse/%2e%2e/%2e%2e/appsettings.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, outside.StatusCode);
    }

    [Fact]
    public async Task DemoPage_IsOffByDefault_AndExplainsMissingFiles()
    {
        await using (var plain = await GatewayHost.StartAsync(5222))
        {
            using var http = new HttpClient { BaseAddress = plain.BaseUrl };
            Assert.DoesNotContain("converse", await http.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.OrdinalIgnoreCase);
        }
        await using var missing = await GatewayHost.StartAsync(5222, "Gateway:DemoPage:Enabled=true", "Gateway:DemoPage:AssetsPath=/nonexistent/converse");
        using var client = new HttpClient { BaseAddress = missing.BaseUrl };
        Assert.Contains("npm ci --prefix src/BoshGateway/DemoPage", await client.GetStringAsync(new Uri("/", UriKind.Relative)), StringComparison.Ordinal);
    }

    /// <summary>The build copies Converse.js beside the binary once <c>npm ci --prefix src/BoshGateway/DemoPage</c> has run.</summary>
    private static void RequireDemoAssets()
    {
        if (!File.Exists(Path.Combine(AppContext.BaseDirectory, "DemoPage", "converse", "converse.min.js")))
        {
            Requirement.Missing("Converse.js for the demo page is not beside the test binary (run: npm ci --prefix src/BoshGateway/DemoPage, then build)");
        }
    }
}
