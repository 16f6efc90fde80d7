using System.Net.WebSockets;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>
/// Before SASL success a session gets what a login needs (robustness A12, C6, D6), against real Prosody:
/// too long unauthenticated, or too large an element, ends it with policy-violation over both transports. The large
/// element's tests reach Prosody through a recording <see cref="FaultProxy"/>: none of the element is in what it was sent.
/// </summary>
public class PreAuthLimitTests(XmppServers servers)
{
    private static readonly string Big = $"<iq type='get' id='big' xmlns='jabber:client'><query xmlns='jabber:iq:version'>{new string('x', 9000)}</query></iq>";

    [Fact]
    public async Task Bosh_NotAuthenticatedInTime_IsTerminatedWithPolicyViolation()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Bosh:PreAuthTimeout=00:00:02");
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await client.CreateAsync(wait: 30);
        var started = DateTime.UtcNow;
        var answer = await client.SendAsync("");
        Assert.Equal("terminate", (string?)answer.Attribute("type"));
        Assert.Equal("policy-violation", (string?)answer.Attribute("condition"));
        Assert.InRange((DateTime.UtcNow - started).TotalSeconds, 0.5, 10);
    }

    [Fact]
    public async Task Bosh_LargeElementBeforeAuth_IsPolicyViolation()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var proxy = FaultProxy.Start(server.C2sPort, recordToServer: true);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port);
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await client.CreateAsync();
        var answer = await client.SendAsync(Big);
        Assert.Equal("policy-violation", (string?)answer.Attribute("condition"));
        Assert.Equal("terminate", (string?)(await client.SendAsync("")).Attribute("type"));
        proxy.AssertNotRecordedSince(0, "jabber:iq:version");
    }

    [Fact]
    public async Task WebSocket_LargeElementBeforeAuth_IsPolicyViolation()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var proxy = FaultProxy.Start(server.C2sPort, recordToServer: true);
        await using var gateway = await GatewayHost.StartAsync(proxy.Port);
        await using var client = new WebSocketTestClient();
        await client.ConnectAsync(gateway.WebSocketUrl);
        await client.OpenStreamAsync(server.Domain);
        await client.WaitForAsync(e => e.Name.LocalName == "features");
        await client.SendAsync(Big);
        var error = await client.WaitForAsync(e => e.Name.LocalName == "error");
        Assert.Contains("policy-violation", error.ToString(), StringComparison.Ordinal);
        while (await client.ReceiveAsync(TimeSpan.FromSeconds(10)) is not null)
        {
        }
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, client.Socket.CloseStatus);
        proxy.AssertNotRecordedSince(0, "jabber:iq:version");
    }
}
