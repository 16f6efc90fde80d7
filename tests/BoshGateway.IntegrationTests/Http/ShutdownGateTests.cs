using System.Net;
using System.Net.WebSockets;
using BoshGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BoshGateway.IntegrationTests.Http;

/// <summary>
/// A stopping gateway opens nothing new: clients that reconnect at once (Converse.js) get HTTP 503 and
/// try again later, instead of a session, or a resumed XEP-0198 session, that is dropped a moment after.
/// </summary>
public class ShutdownGateTests
{
    [Fact]
    public async Task Stopping_RefusesNewSessionsWith503()
    {
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next());
        using var http = new HttpClient();
        gateway.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();

        using var bosh = await http.PostAsync(gateway.BoshUrl, new StringContent("<body rid='1' to='localhost' wait='5' hold='1' xmlns='http://jabber.org/protocol/httpbind'/>"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, bosh.StatusCode);
        Assert.Equal("2", bosh.Headers.RetryAfter?.Delta?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));

        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("xmpp");
        ws.Options.CollectHttpResponseDetails = true;
        await Assert.ThrowsAnyAsync<WebSocketException>(() => ws.ConnectAsync(gateway.WebSocketUrl, CancellationToken.None));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ws.HttpStatusCode);

        // Everything else still answers while the last requests finish.
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri(gateway.BaseUrl, "/alive")));
    }
}
