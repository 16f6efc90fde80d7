using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using BoshGateway.IntegrationTests.Cluster;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Telemetry;

/// <summary>Traces across nodes and what the logs may carry, read from real gateway processes' JSON console logs.</summary>
[Collection(ClusterCollection.Name)]
public class TracingAndLogsTests(XmppServers servers)
{
    private static readonly string[] JsonLogs = ["Logging:Console:FormatterName=json", "Logging:Console:FormatterOptions:IncludeScopes=true"];

    [Fact]
    public async Task RequestForwardedToTheOwner_IsOneTraceOnBothNodes()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        await using var owner = await GatewayNode.StartAsync("trace-owner", server.C2sPort, redis.ConnectionString, JsonLogs);
        await using var other = await GatewayNode.StartAsync("trace-other", server.C2sPort, redis.ConnectionString, JsonLogs);
        await using var client = new BoshTestClient(owner.BoshUrl, server.Domain);
        await client.CreateAsync(wait: 1);

        var traceId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, other.BoshUrl)
        {
            Content = new StringContent($"<body rid='{client.NextRid()}' sid='{client.Sid}' xmlns='http://jabber.org/protocol/httpbind'/>", Encoding.UTF8, "text/xml"),
        };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8))}-01");
        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);

        // The node that forwarded and the owner that answered each log the request inside the caller's trace.
        await EventuallyAsync(() => LineWith(other.Log, "forwarded to its owner", traceId) && LineWith(owner.Log, "accepted", traceId),
            () => $"no trace {traceId} on both nodes.\nother:\n{other.Log}\nowner:\n{owner.Log}");
    }

    [Fact]
    public async Task LogsAtTheMostDetailedLevel_NeverCarryStanzaBodiesOrSaslPayloads()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var node = await GatewayNode.StartStandaloneAsync("log-secrets", server.C2sPort, "Logging:LogLevel:Default=Trace", "Logging:LogLevel:BoshGateway=Trace");
        var (alice, bob) = (TestUsers.Take(server), TestUsers.Take(server));
        var marker = "body-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        await using var boshUser = new BoshTestClient(node.BoshUrl, server.Domain);
        await boshUser.LoginAsync(alice);
        await using var wsUser = new WebSocketTestClient();
        await wsUser.LoginAsync(new Uri(node.BaseUrl.ToString().Replace("http://", "ws://", StringComparison.Ordinal) + "xmpp-websocket"), server.Domain, bob);
        await boshUser.SendMessageAsync($"{bob}@{server.Domain}", marker + "-to-ws");
        await wsUser.SendMessageAsync($"{alice}@{server.Domain}", marker + "-to-bosh");
        await wsUser.WaitForAsync(e => e.ToString().Contains(marker, StringComparison.Ordinal));
        await boshUser.WaitForAsync(e => e.ToString().Contains(marker, StringComparison.Ordinal));

        var log = node.Log;
        Assert.Contains("session", log, StringComparison.OrdinalIgnoreCase); // the log is on, at Trace
        Assert.DoesNotContain(marker, log, StringComparison.Ordinal);
        foreach (var user in new[] { alice, bob })
        {
            var plain = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0secret"));
            Assert.DoesNotContain(plain, log, StringComparison.Ordinal);
        }
    }

    private static bool LineWith(string log, string text, string traceId) =>
        log.Split('\n').Any(line => line.Contains(text, StringComparison.Ordinal) && line.Contains(traceId, StringComparison.Ordinal));

    private static Task EventuallyAsync(Func<bool> condition, Func<string> explain) => Eventually.TrueAsync(condition, explain, TimeSpan.FromSeconds(10));
}
