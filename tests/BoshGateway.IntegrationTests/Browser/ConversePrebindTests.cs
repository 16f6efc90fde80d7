using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.IntegrationTests.Prebind;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// Converse.js with <c>authentication: 'prebind'</c> in Chromium: the page never shows a login form; it
/// fetches its <c>prebind_url</c> from the web application (here the runner's page server, which signs a
/// request token and calls the gateway's <c>/prebind</c> as a backend would), attaches to the BOSH
/// session the gateway logged in against ejabberd, and chats.
/// </summary>
[Collection(JavaScriptCollection.Name)]
public sealed class ConversePrebindTests(PrebindTests.JwtEjabberd server) : IClassFixture<PrebindTests.JwtEjabberd>
{
    [Fact]
    public async Task ConverseAttachesToPreboundSessions_AndChats()
    {
        BrowserSuite.Require();
        server.Xmpp.RequireRunning();
        await using var gateway = await BrowserGateway.StartAsync(server.Xmpp, tls: false,
            $"Gateway:Prebind:Secret={PrebindTokens.WebAppSecret}", $"Gateway:Prebind:ServerJwkFile={server.JwkFile}");
        var config = Scenario.For("prebind", "converse", "bosh", server.Xmpp, gateway, "alice", "bob");
        config["prebindUrl"] = new Uri(gateway.BaseUrl, "/prebind").ToString();
        config["prebindSecret"] = PrebindTokens.WebAppSecret;

        var run = await BrowserRun.RunAsync(config);

        run.AssertOk();
        foreach (var user in new[] { "alice", "bob" })
        {
            var status = run.Page(user).GetProperty("status");
            Assert.Equal("ATTACHED", status.GetProperty("status").GetString());
            Assert.Equal("bosh", status.GetProperty("transport").GetString());
        }
        var steps = run.Result!.Value.GetProperty("steps").EnumerateArray().Select(s => s.GetString()!).ToList();
        Assert.Contains(steps, step => step.Contains("web application prebound alice: HTTP 200", StringComparison.Ordinal));
    }
}
