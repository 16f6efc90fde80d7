using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>Builds the runner's JSON configuration for one scenario.</summary>
internal static class Scenario
{
    public static Dictionary<string, object?> For(string scenario, string library, string transport, XmppServer server, BrowserGateway gateway, params string[] users) => new()
    {
        ["scenario"] = scenario,
        ["library"] = library,
        ["transport"] = transport,
        ["boshUrl"] = gateway.BoshUrl.ToString(),
        ["webSocketUrl"] = gateway.WebSocketUrl.ToString(),
        ["domain"] = server.Domain,
        ["users"] = users,
        ["password"] = "secret",
        ["pagesPort"] = gateway.PagesPort,
        ["name"] = $"{server.Name}-{transport}-{library}-{scenario}",
    };

    /// <summary>Fresh accounts on <paramref name="server"/> for one scenario.</summary>
    public static string[] Users(XmppServer server, int count) => [.. Enumerable.Range(0, count).Select(_ => TestUsers.Take(server))];
}
