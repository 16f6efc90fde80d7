using System.Globalization;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>A stock JavaScript XMPP library (StanzaJS, pinned in tests/js/package-lock.json) chats over BOSH through the gateway.</summary>
public class JavaScriptClientTests(XmppServers servers)
{
    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task StanzaJs_OverBosh_LogsInAndChats(string serverName)
    {
        var server = servers[serverName];
        server.RequireRunning();
        var script = Path.Combine(RepoPaths.Root, "tests", "js", "chat.mjs");
        RequireNodeModules();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);

        var (exit, output) = await ProcessRunner.RunAsync("node",
            [script, "bosh", gateway.BoshUrl.ToString(), server.Domain, TestUsers.Take(server), TestUsers.Take(server)], TimeSpan.FromSeconds(60));

        Assert.True(exit == 0, $"StanzaJS run failed ({exit.ToString(CultureInfo.InvariantCulture)}): {output}");
        Assert.Contains("\"ok\":true", output, StringComparison.Ordinal);
    }

    private static void RequireNodeModules()
    {
        var stanza = Path.Combine(RepoPaths.Root, "tests", "js", "node_modules", "stanza");
        if (Directory.Exists(stanza) && ProcessRunner.OnPath("node"))
        {
            return;
        }
        const string reason = "node or tests/js/node_modules missing (run: npm ci --prefix tests/js)";
        if (Environment.GetEnvironmentVariable("BOSHGW_REQUIRE_SERVERS") == "1")
        {
            Assert.Fail(reason);
        }
        Assert.Skip(reason);
    }
}
