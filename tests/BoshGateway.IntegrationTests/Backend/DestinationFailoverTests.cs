using System.Diagnostics;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// Two Prosody instances as one destination set (<c>Gateway:Backends:Default:Destinations</c>), with the
/// shipped warm pool: one is killed while sessions keep starting; new sessions go to the other at once, and
/// none fails.
/// </summary>
public sealed class DestinationFailoverTests
{
    private const string Ns = "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0'";

    [Fact]
    public async Task OneServerKilledMidRun_NewSessionsGoToTheOther_NoneFails()
    {
        var first = await XmppServers.StartPrivateProsodyAsync("prosody-pair-a");
        var second = await XmppServers.StartPrivateProsodyAsync("prosody-pair-b");
        try
        {
            first.RequireRunning();
            second.RequireRunning();
            await using var gateway = await GatewayHost.StartAsync(first.C2sPort,
                "Gateway:Backends:Default:Destinations:0:Host=127.0.0.1", $"Gateway:Backends:Default:Destinations:0:Port={first.C2sPort}",
                "Gateway:Backends:Default:Destinations:1:Host=127.0.0.1", $"Gateway:Backends:Default:Destinations:1:Port={second.C2sPort}",
                $"Gateway:Backends:Pool:Domains:0={first.Domain}",
                "Gateway:Throttle:SessionBurst=1000", "Gateway:Throttle:MaxUnauthenticatedPerAddress=1000");
            using var http = new HttpClient();
            var clock = Stopwatch.StartNew();
            List<(TimeSpan At, bool Started)> results = [];
            TimeSpan? killedAt = null;
            for (var rid = 1000; clock.Elapsed < TimeSpan.FromSeconds(4); rid++)
            {
                if (killedAt is null && clock.Elapsed >= TimeSpan.FromSeconds(1.5))
                {
                    Assert.True(TcpConnections.EstablishedTo(first.C2sPort) > 0, "the first server carried none of the sessions");
                    await first.KillAsync();
                    killedAt = clock.Elapsed;
                }
                using var response = await http.PostAsync(gateway.BoshUrl, new StringContent($"<body rid='{rid}' to='{first.Domain}' wait='30' hold='1' {Ns}/>"));
                var body = XElement.Parse(await response.Content.ReadAsStringAsync());
                results.Add((clock.Elapsed, body.Attribute("sid") is not null && body.Attribute("type") is null));
                await Task.Delay(50);
            }

            var after = results.Where(r => r.At > killedAt!.Value).ToList();
            Assert.True(after.Count >= 20, $"only {after.Count} starts after the kill");
            Assert.All(results, r => Assert.True(r.Started, $"a session start at {r.At.TotalMilliseconds:0} ms failed (kill at {killedAt!.Value.TotalMilliseconds:0} ms)"));
            Assert.True(after[0].At - killedAt!.Value < TimeSpan.FromSeconds(1), "the first start after the kill took a second or more");
            // Every session started after the kill lives on the second server.
            Assert.True(TcpConnections.EstablishedTo(second.C2sPort) >= after.Count, $"{TcpConnections.EstablishedTo(second.C2sPort)} streams on the second server for {after.Count} sessions");
        }
        finally
        {
            await XmppServers.StopPrivateAsync(first);
            await XmppServers.StopPrivateAsync(second);
        }
    }
}
