using System.Text.Json;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Discovery;

/// <summary>XEP-0156 documents as Converse.js and other clients read them.</summary>
public class HostMetaTests
{
    private static readonly XNamespace Xrd = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

    [Fact]
    public async Task HostMeta_XrdAndJrd_AdvertiseThePublicUrls()
    {
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next(), "Gateway:PublicBaseUrl=https://chat.example.org");
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(gateway.BaseUrl, "/.well-known/host-meta"));
        request.Headers.Add("Accept", "application/xrd+xml, text/xml");
        request.Headers.Add("Origin", "https://any.example");
        using var xml = await http.SendAsync(request);
        var xrd = XElement.Parse(await xml.Content.ReadAsStringAsync());
        var json = JsonDocument.Parse(await http.GetStringAsync(new Uri(gateway.BaseUrl, "/.well-known/host-meta.json")));

        Assert.Equal(Xrd + "XRD", xrd.Name);
        Assert.Equal("*", xml.Headers.GetValues("Access-Control-Allow-Origin").Single());
        var xrdLinks = xrd.Elements(Xrd + "Link").ToDictionary(l => (string)l.Attribute("rel")!, l => (string)l.Attribute("href")!);
        var jrdLinks = json.RootElement.GetProperty("links").EnumerateArray().ToDictionary(l => l.GetProperty("rel").GetString()!, l => l.GetProperty("href").GetString()!);
        foreach (var links in new[] { xrdLinks, jrdLinks })
        {
            Assert.Equal("https://chat.example.org/http-bind", links["urn:xmpp:alt-connections:xbosh"]);
            Assert.Equal("wss://chat.example.org/xmpp-websocket", links["urn:xmpp:alt-connections:websocket"]);
        }
    }

    [Fact]
    public async Task HostMeta_ExplicitUrls_WinOverTheBase()
    {
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next(), "Gateway:PublicBaseUrl=https://chat.example.org",
            "Gateway:Discovery:WebSocketUrl=wss://ws.example.org/xmpp");
        using var http = new HttpClient();
        var xrd = XElement.Parse(await http.GetStringAsync(new Uri(gateway.BaseUrl, "/.well-known/host-meta")));
        Assert.Contains(xrd.Elements(Xrd + "Link"), l => (string?)l.Attribute("href") == "wss://ws.example.org/xmpp");
        Assert.Contains(xrd.Elements(Xrd + "Link"), l => (string?)l.Attribute("href") == "https://chat.example.org/http-bind");
    }
}
