using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// Two users in two browser contexts of a real Chromium log in through the gateway with a stock web
/// client library and exchange messages; the runner asserts on what each recipient's page shows and
/// keeps a screenshot of it, through a small test page per library (tests/browser/pages). Converse.js,
/// driven through its own UI, chats the same way in <see cref="ConverseScenarioTests"/> (discovery,
/// both servers and transports) and <see cref="DemoPageTests"/>, each run starting with a login and
/// a conversation; running it here too would only repeat them.
/// </summary>
[Collection(JavaScriptCollection.Name)]
public class LibraryChatTests(XmppServers servers)
{
    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var server in new[] { "prosody", "ejabberd" })
        {
            foreach (var (library, transports) in new[] { ("strophe", "bosh websocket"), ("stanza", "bosh websocket"), ("xmppjs", "websocket") })
            {
                foreach (var transport in transports.Split(' '))
                {
                    data.Add(server, library, transport);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task TwoUsersChat(string serverName, string library, string transport)
    {
        var server = servers[serverName];
        server.RequireRunning();
        BrowserSuite.Require();
        await using var gateway = await BrowserGateway.StartAsync(server);

        var users = Scenario.Users(server, 2);

        var run = await BrowserRun.RunAsync(Scenario.For("chat", library, transport, server, gateway, users));

        run.AssertOk();
    }
}
