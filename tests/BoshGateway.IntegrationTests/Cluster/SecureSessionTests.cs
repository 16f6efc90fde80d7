using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>XEP-0124 §19.1 across nodes: a session created over HTTPS is not served to a plain request that reaches another node.</summary>
[Collection(ClusterCollection.Name)]
public class SecureSessionTests(XmppServers servers)
{
    private const string Ns = "xmlns='http://jabber.org/protocol/httpbind'";

    [Fact]
    public async Task SessionCreatedOverHttps_APlainRequestThroughAnotherNode_GetsItsConnectionClosed_AndTheSessionGoesOn()
    {
        var server = servers["prosody"];
        server.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        // Loopback is the trusted proxy: X-Forwarded-Proto stands for the scheme nginx saw.
        await using var n1 = await GatewayNode.StartAsync("node1", server.C2sPort, redis.ConnectionString, "Gateway:TrustedProxies:0=127.0.0.1");
        await using var n2 = await GatewayNode.StartAsync("node2", server.C2sPort, redis.ConnectionString, "Gateway:TrustedProxies:0=127.0.0.1");
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        Task<HttpResponseMessage> PostAsync(Uri url, string xml, string scheme) => ForwardedProto.PostAsync(http, url, xml, scheme);

        using var created = await PostAsync(n1.BoshUrl, $"<body rid='100' to='{server.Domain}' wait='5' hold='1' {Ns}/>", "https");
        var sid = (string?)XElement.Parse(await created.Content.ReadAsStringAsync()).Attribute("sid");
        Assert.Contains(".node1.", sid, StringComparison.Ordinal);

        await Assert.ThrowsAsync<HttpRequestException>(() => PostAsync(n2.BoshUrl, $"<body rid='101' sid='{sid}' type='terminate' {Ns}/>", "http"));
        using var terminated = await PostAsync(n2.BoshUrl, $"<body rid='101' sid='{sid}' type='terminate' {Ns}/>", "https");
        Assert.Equal(System.Net.HttpStatusCode.OK, terminated.StatusCode);
        Assert.Null(XElement.Parse(await terminated.Content.ReadAsStringAsync()).Attribute("condition"));
    }
}
