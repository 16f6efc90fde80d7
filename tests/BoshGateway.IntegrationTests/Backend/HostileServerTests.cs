using System.Text;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Tests.Backend;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// robustness.md A15 end to end: a client of either transport logs in through the gateway to a hostile server
/// (a scripted one that answers the stream header and features, then sends what no server should). The server's
/// stream goes through the same reader and limits as a client's: the client is told
/// <c>remote-connection-failed</c>, nothing of the hostile bytes reaches it, and the gateway holds nothing after.
/// </summary>
public class HostileServerTests
{
    private const string Header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>";
    private const string Features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
    private const string Marker = "HOSTILE";

    public static TheoryData<string> Cases => ["huge-stanza", "billion-laughs", "comment", "not-well-formed", "deep-nesting"];

    private static async Task ScriptAsync(string hostileCase, System.Net.Sockets.NetworkStream stream)
    {
        await ScriptedXmppServer.ReadSomeAsync(stream);
        await ScriptedXmppServer.WriteAsync(stream, Header + Features);
        // A moment for the gateway to hand the features to the client, so that the failure comes inside the session.
        await Task.Delay(200);
        switch (hostileCase)
        {
            case "huge-stanza":
                // 10 MiB in one stanza: refused once past Gateway:Limits:MaxElementBytes, the rest never read.
                await ScriptedXmppServer.WriteAsync(stream, $"<message><body>{Marker}");
                var chunk = Encoding.UTF8.GetBytes(new string('x', 64 * 1024));
                for (var i = 0; i < 160; i++)
                {
                    await stream.WriteAsync(chunk);
                }
                break;
            case "billion-laughs":
                await ScriptedXmppServer.WriteAsync(stream, $"<!DOCTYPE lolz [<!ENTITY lol '{Marker}'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]><message><body>&lol2;</body></message>");
                break;
            case "comment":
                await ScriptedXmppServer.WriteAsync(stream, $"<message><body>{Marker}</body><!-- {Marker} --></message>");
                break;
            case "not-well-formed":
                await ScriptedXmppServer.WriteAsync(stream, $"<message><body>{Marker}</message>");
                break;
            case "deep-nesting":
                await ScriptedXmppServer.WriteAsync(stream, $"<message><body>{Marker}</body>" + string.Concat(Enumerable.Repeat("<a>", 1000)));
                break;
        }
        // Hold the connection open: the gateway, not the server, must end it.
        await ScriptedXmppServer.ReadSomeAsync(stream);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bosh_AHostileServer_IsRemoteConnectionFailed_AndNothingOfItReachesTheClient(string hostileCase)
    {
        await using var server = new ScriptedXmppServer(stream => ScriptAsync(hostileCase, stream));
        await using var gateway = await GatewayHost.StartAsync(server.Port, "Gateway:Backends:Pool:Size=0");
        await using var client = new BoshTestClient(gateway.BoshUrl, "localhost");
        var answers = new List<XElement> { await client.CreateAsync(wait: 2) };
        Assert.NotNull(answers[0].Attribute("sid"));
        while ((string?)answers[^1].Attribute("type") != "terminate")
        {
            Assert.True(answers.Count < 20, "never told: " + string.Join("\n", answers));
            answers.Add(await client.SendAsync(""));
        }
        Assert.Equal("remote-connection-failed", (string?)answers[^1].Attribute("condition"));
        Assert.DoesNotContain(answers, a => a.ToString().Contains(Marker, StringComparison.Ordinal));
        await NothingLeftAsync(gateway);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task WebSocket_AHostileServer_IsRemoteConnectionFailed_AndNothingOfItReachesTheClient(string hostileCase)
    {
        await using var server = new ScriptedXmppServer(stream => ScriptAsync(hostileCase, stream));
        await using var gateway = await GatewayHost.StartAsync(server.Port, "Gateway:Backends:Pool:Size=0");
        await using var client = new WebSocketTestClient();
        await client.ConnectAsync(gateway.WebSocketUrl);
        await client.OpenStreamAsync("localhost");
        var error = await client.WaitForAsync(e => e.Name.LocalName == "error", TimeSpan.FromSeconds(20));
        Assert.NotNull(error.Element(XName.Get("remote-connection-failed", "urn:ietf:params:xml:ns:xmpp-streams")));
        // Then <close/> and the WebSocket close.
        while (await client.ReceiveAsync(TimeSpan.FromSeconds(10)) is not null)
        {
        }
        Assert.DoesNotContain(client.Received, m => m.Contains(Marker, StringComparison.Ordinal));
        await NothingLeftAsync(gateway);
    }

    private static async Task NothingLeftAsync(GatewayHost gateway)
    {
        for (var i = 0; i < 100 && gateway.Sessions.Count > 0; i++)
        {
            await Task.Delay(100);
        }
        Assert.Equal(0, gateway.Sessions.Count);
    }
}
