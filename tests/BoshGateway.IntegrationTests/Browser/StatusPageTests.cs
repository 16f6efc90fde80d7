using System.Text.Json;
using BoshGateway.IntegrationTests.Bosh;
using BoshGateway.IntegrationTests.Http;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// The status page (Gateway:Status) in a real Chromium: after a BOSH client and a WebSocket client
/// chatted through the gateway in front of Prosody, the page's charts show open sessions of both
/// transports and stanzas both ways, drawn by uPlot from the gateway's own files.
/// </summary>
[Collection(JavaScriptCollection.Name)]
public class StatusPageTests(XmppServers servers)
{
    [Fact]
    public async Task StatusPage_ChartsSessionsAndStanzas_AfterRealClientsChat()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        BrowserSuite.Require();
        StatusPageAccessTests.RequireChartLibrary();
        await using var gateway = await BrowserGateway.StartAsync(server, tls: false, "Gateway:Status:Enabled=true", "Gateway:Status:SampleInterval=00:00:01");
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        await using var a = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var b = new WebSocketTestClient();
        await a.LoginAsync(alice);
        await b.LoginAsync(gateway.WebSocketUrl, server.Domain, bob);
        // A few rounds, a sample apart, so the charts show more than one burst.
        const int count = 12;
        for (var i = 0; i < count; i++)
        {
            await a.SendMessageAsync($"{bob}@{server.Domain}", $"to-ws {i}");
            await b.SendMessageAsync($"{alice}@{server.Domain}", $"to-bosh {i}");
            if (i % 4 == 3)
            {
                await Task.Delay(TimeSpan.FromSeconds(1.2));
            }
        }
        Assert.Equal(count, (await b.MessagesAsync("to-ws ", count)).Count);
        Assert.Equal(count, (await BoshSessionFlowTests.Messages(a, "to-bosh", count)).Count);

        var config = Scenario.For("status", "none", "none", server, gateway, "operator");
        config["pageUrl"] = new Uri(gateway.BaseUrl, "/status").ToString();
        config["name"] = "prosody-status-page";
        var run = await BrowserRun.RunAsync(config);

        run.AssertOk();
        var page = run.Page("operator");
        Assert.Empty(run.Result!.Value.GetProperty("blocked").EnumerateArray());
        var largest = page.GetProperty("largest");
        Assert.True(largest.GetProperty("sessions").GetProperty("bosh").GetDouble() >= 1, run.Describe());
        Assert.True(largest.GetProperty("sessions").GetProperty("websocket").GetDouble() >= 1, run.Describe());
        Assert.True(largest.GetProperty("stanzas").GetProperty("to server").GetDouble() > 0, run.Describe());
        Assert.True(largest.GetProperty("stanzas").GetProperty("to client").GetDouble() > 0, run.Describe());
        Assert.True(largest.GetProperty("started").GetProperty("started bosh").GetDouble() >= 1, run.Describe());
        Assert.Contains(largest.GetProperty("backend").EnumerateObject(), p => p.Name.StartsWith("ok ", StringComparison.Ordinal) && p.Value.GetDouble() >= 1);
        Assert.Equal(JsonValueKind.Null, page.GetProperty("problem").ValueKind);
        Assert.Contains(run.Result!.Value.GetProperty("screenshots").EnumerateArray(), s => s.GetString()!.EndsWith("-status-operator.png", StringComparison.Ordinal));
    }
}
