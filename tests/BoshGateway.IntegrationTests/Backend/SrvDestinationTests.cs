using System.Net.Http;
using System.Xml.Linq;
using BoshGateway.Backend;
using BoshGateway.IntegrationTests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// <c>Srv=true</c> end to end: a real DNS server on loopback (dnsmasq) names the servers of the domain, and the
/// gateway uses them by priority (failing over to the next priority when the first is down) and by weight.
/// </summary>
public sealed class SrvDestinationTests
{
    private const string Ns = "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'";

    private static Task<GatewayHost> GatewayAsync(DnsServer dns, int unusedPort) => GatewayHost.StartAsync(unusedPort,
        "Gateway:Backends:Default:Srv=true", $"Gateway:Backends:DnsServers:0={dns.Address}", "Gateway:Backends:Pool:Size=0");

    private static int UnusedPort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    [Fact]
    public async Task ThePriorityFirst_ThenTheNextWhenItIsDown()
    {
        var first = await XmppServers.StartPrivateProsodyAsync("prosody-srv-a", "alice");
        var second = await XmppServers.StartPrivateProsodyAsync("prosody-srv-b", "alice");
        try
        {
            first.RequireRunning();
            second.RequireRunning();
            await using var dns = await DnsServer.StartAsync("dns-priority", [
                DnsServer.Srv(SrvLookup.StartTlsService, first.Domain, "localhost", second.C2sPort, 20, 1),
                DnsServer.Srv(SrvLookup.StartTlsService, first.Domain, "localhost", first.C2sPort, 10, 1),
            ]);
            // The configured Host:Port (used when DNS names nothing) goes nowhere: every stream must come from DNS.
            await using var gateway = await GatewayAsync(dns, UnusedPort());

            await using (var bosh = new BoshTestClient(gateway.BoshUrl, first.Domain))
            {
                await bosh.LoginAsync("alice");
                Assert.Equal(1, TcpConnections.EstablishedTo(first.C2sPort));
                Assert.Equal(0, TcpConnections.EstablishedTo(second.C2sPort));
            }

            await XmppServers.StopPrivateAsync(first);
            await using var ws = new WebSocketTestClient();
            await ws.LoginAsync(gateway.WebSocketUrl, second.Domain, "alice");
            Assert.Equal(1, TcpConnections.EstablishedTo(second.C2sPort));
            var destinations = gateway.Services.GetRequiredService<BackendDestinations>();
            Assert.True(destinations.All.Single(d => d.Address.Port == first.C2sPort).IsOut);
        }
        finally
        {
            await XmppServers.StopPrivateAsync(first);
            await XmppServers.StopPrivateAsync(second);
        }
    }

    [Fact]
    public async Task WeightsShareTheSessions_AndALoneDotRefusesTheDomain()
    {
        var server = await XmppServers.StartPrivateProsodyAsync("prosody-srv-w");
        try
        {
            server.RequireRunning();
            await using var heavy = FaultProxy.Start(server.C2sPort);
            await using var light = FaultProxy.Start(server.C2sPort);
            await using var dns = await DnsServer.StartAsync("dns-weight", [
                DnsServer.Srv(SrvLookup.StartTlsService, server.Domain, "localhost", heavy.Port, 10, 3),
                DnsServer.Srv(SrvLookup.StartTlsService, server.Domain, "localhost", light.Port, 10, 1),
                DnsServer.SrvNotAvailable(SrvLookup.StartTlsService, "closed.test"),
            ]);
            await using var gateway = await GatewayAsync(dns, UnusedPort());
            using var http = new HttpClient();
            async Task<XElement> CreateAsync(string domain, int rid)
            {
                using var response = await http.PostAsync(gateway.BoshUrl, new StringContent($"<body rid='{rid}' to='{domain}' wait='5' hold='1' {Ns}/>"));
                return XElement.Parse(await response.Content.ReadAsStringAsync());
            }
            for (var i = 0; i < 8; i++)
            {
                Assert.NotNull((await CreateAsync(server.Domain, 100 + i)).Attribute("sid"));
            }
            // Sessions per weight kept level: 6 on the weight-3 server, 2 on the weight-1 one.
            Assert.Equal(6, heavy.OpenConnections);
            Assert.Equal(2, light.OpenConnections);

            var refused = await CreateAsync("closed.test", 200);
            Assert.Equal("remote-connection-failed", (string?)refused.Attribute("condition"));
        }
        finally
        {
            await XmppServers.StopPrivateAsync(server);
        }
    }
}
