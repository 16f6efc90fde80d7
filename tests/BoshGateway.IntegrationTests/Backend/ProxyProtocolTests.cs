using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// <c>ProxyProtocol=true</c> against a private ejabberd with <c>use_proxy_protocol</c>: the server sees the
/// browser's address (here the one nginx names in <c>X-Forwarded-For</c>), not the gateway's.
/// </summary>
public sealed class ProxyProtocolTests
{
    private const string Browser = "198.51.100.7";

    [Fact]
    public async Task TheServerSeesTheBrowsersAddress()
    {
        var server = await XmppServers.StartPrivateEjabberdAsync("ejabberd-proxy", new Dictionary<string, string> { ["EJABBERD_PROXY_PROTOCOL"] = "1" }, "alice");
        try
        {
            server.RequireRunning();
            // The default pool stays on: a PROXY stream names one client, so none may be opened ahead.
            await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Backends:Default:ProxyProtocol=true", $"Gateway:Backends:Pool:Domains:0={server.Domain}");
            using var handler = new ForwardedFor(Browser);
            await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain, handler);
            await bosh.LoginAsync("alice");

            using var http = new HttpClient();
            using var response = await http.PostAsync(new Uri($"http://127.0.0.1:{server.HttpPort}/api/connected_users_info"), new StringContent("{}"));
            var users = await response.Content.ReadAsStringAsync();
            Assert.True(response.IsSuccessStatusCode, users);
            Assert.Contains("alice@", users, StringComparison.Ordinal);
            Assert.Contains(Browser, users, StringComparison.Ordinal);
            Assert.DoesNotContain("127.0.0.1", users, StringComparison.Ordinal);
        }
        finally
        {
            await XmppServers.StopPrivateEjabberdAsync(server);
        }
    }

    /// <summary>Requests as nginx sends them: from 127.0.0.2 (the test gateways' trusted proxy), naming the browser.</summary>
    private sealed class ForwardedFor(string client) : DelegatingHandler(LoopbackHttp.Handler(LoopbackHttp.Proxy))
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.Add("X-Forwarded-For", client);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
