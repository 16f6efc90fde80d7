using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Cluster;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Telemetry;

/// <summary>
/// A real Prometheus scrapes two gateway node processes (sharing a real Redis, in front of the shared Prosody)
/// every second with the shipped alert rules loaded, while real clients log in and chat over BOSH and WebSocket.
/// Every PromQL expression of the shipped dashboard and alert rules must return data. Two nodes and Redis, not one
/// standalone node: forwarded requests and Redis reachability exist only in a cluster.
/// </summary>
[Collection(ClusterCollection.Name)]
public partial class PrometheusTests(XmppServers servers)
{
    private const string BrokenDomain = "broken.test";
    private const int AddressLimit = 4;
    private static readonly TimeSpan ScrapeWait = TimeSpan.FromSeconds(20);

    /// <summary>
    /// When each shipped alert's expression must return data: the phase of the test that provokes its condition,
    /// or null when the condition cannot be provoked from outside the process (then only its measure, the
    /// expression without the threshold, is checked). A new alert fails the test until it is listed here.
    /// </summary>
    private static readonly Dictionary<string, Phase?> AlertPhases = new()
    {
        ["BoshGatewayDown"] = Phase.NodeStopped,
        // The sweeper runs on its own timer; stalling it would need a hook inside the process.
        ["BoshGatewaySweeperStalled"] = null,
        ["BoshGatewayBackendConnectFailures"] = Phase.SessionsOpen,
        ["BoshGatewayClientAddressNearLimit"] = Phase.SessionsOpen,
        ["BoshGatewayRejectedSessionsSurge"] = Phase.SessionsOpen,
        ["BoshGatewayDirectoryUnavailable"] = Phase.RedisStopped,
    };

    private enum Phase
    {
        SessionsOpen,
        RedisStopped,
        NodeStopped,
    }

    [Fact]
    public async Task DashboardAndAlertQueries_ReturnData_ForRealSessions()
    {
        PrometheusServer.Require();
        var server = servers.Prosody;
        server.RequireRunning();
        var closedPort = FreePort.Next();
        string[] settings =
        [
            $"Gateway:MaxSessionsPerClientAddress={AddressLimit.ToString(CultureInfo.InvariantCulture)}",
            $"Gateway:Backends:Domains:{BrokenDomain}:Port={closedPort.ToString(CultureInfo.InvariantCulture)}",
            // The broken domain is dialled only when the test asks: a warm pool would dial it from start-up on its own.
            "Gateway:Backends:Pool:Size=0",
        ];
        await using var redis = await RedisServer.StartAsync();
        await using var a = await GatewayNode.StartAsync("prom-a", server.C2sPort, redis.ConnectionString, settings);
        await using var b = await GatewayNode.StartAsync("prom-b", server.C2sPort, redis.ConnectionString, settings);
        await using var prometheus = await PrometheusServer.StartAsync("prometheus", a.Port, b.Port);
        var up = await prometheus.WaitForAsync($"up{{job=\"{PrometheusServer.Job}\"}} == 1", r => r.Length == 2, ScrapeWait);
        Assert.True(up.Length == 2, "Prometheus does not scrape both nodes: " + Dump(up) + prometheus.Log);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };

        // A destination that refuses connections, twice with a scrape between, so the failure rate is not zero.
        await AssertBackendUnavailableAsync(http, b);
        await SeenAsync(prometheus, "boshgateway_backend_connect_duration_seconds_count{error_type!=\"\"}");
        await AssertBackendUnavailableAsync(http, b);

        // One short session on node A that repeats a rid, once directly and once through node B (forwarded).
        await using (var replaying = new BoshTestClient(a.BoshUrl, server.Domain))
        {
            await replaying.CreateAsync(wait: 1);
            var rid = replaying.NextRid();
            await replaying.PostAsync(rid, "", "");
            await replaying.PostAsync(rid, "", "");
            await replaying.PostAsync(rid, "", "", via: b.BoshUrl);
        }

        // Two BOSH and two WebSocket users on node A (its per-address limit: all four are 127.0.0.1), chatting both ways.
        var users = Enumerable.Range(0, 4).Select(_ => TestUsers.Take(server)).ToArray();
        await using var bosh1 = new BoshTestClient(a.BoshUrl, server.Domain);
        await using var bosh2 = new BoshTestClient(a.BoshUrl, server.Domain);
        await using var ws1 = new WebSocketTestClient();
        await using var ws2 = new WebSocketTestClient();
        await bosh1.LoginAsync(users[0]);
        await bosh2.LoginAsync(users[1]);
        var wsUrl = new Uri($"ws://127.0.0.1:{a.Port.ToString(CultureInfo.InvariantCulture)}/xmpp-websocket");
        await ws1.LoginAsync(wsUrl, server.Domain, users[2]);
        await ws2.LoginAsync(wsUrl, server.Domain, users[3]);
        await bosh1.SendMessageAsync($"{users[2]}@{server.Domain}", "bosh to ws");
        await bosh2.SendMessageAsync($"{users[0]}@{server.Domain}", "bosh to bosh via b", via: b.BoshUrl);
        await ws2.SendMessageAsync($"{users[1]}@{server.Domain}", "ws to bosh");
        Assert.Equal(["bosh to ws"], await ws1.MessagesAsync("bosh to", 1));
        await bosh1.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "bosh to bosh via b");
        await bosh2.WaitForAsync(e => e.Element(BoshTestClient.Client + "body")?.Value == "ws to bosh");

        var sessions = await prometheus.WaitForAsync("sum by (boshgateway_transport) (boshgateway_active_sessions)",
            r => Transports(r) is (2.0, 2.0), ScrapeWait);
        Assert.True(Transports(sessions) is (2.0, 2.0), "active sessions: " + Dump(sessions));

        // Node A is at its per-address limit: further sessions are refused, one first (the series appears), then a surge.
        Assert.Equal(HttpStatusCode.TooManyRequests, await CreateStatusAsync(http, a.BoshUrl, server.Domain));
        await SeenAsync(prometheus, "boshgateway_rejected_sessions_total{boshgateway_rejection_reason=\"address_cap\"}");
        for (var i = 0; i < 25; i++)
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, await CreateStatusAsync(http, a.BoshUrl, server.Domain));
        }

        var failures = new List<string>();
        foreach (var expr in DashboardExpressions())
        {
            var result = await prometheus.WaitForAsync(expr, r => r.Length > 0, ScrapeWait);
            if (result.Length == 0)
            {
                failures.Add("dashboard: " + expr);
            }
        }
        var rules = await WaitForRulesAsync(prometheus);
        Assert.Equal(AlertPhases.Keys.Order(), rules.Select(r => r.Name).Order());
        foreach (var (name, query, _, _) in rules)
        {
            var measure = Measure(query);
            if ((await prometheus.WaitForAsync(measure, r => r.Length > 0, ScrapeWait)).Length == 0)
            {
                failures.Add($"alert {name} measure: {measure}");
            }
        }
        failures.AddRange(await AlertsWithoutDataAsync(prometheus, rules, Phase.SessionsOpen));
        Assert.True(failures.Count == 0, "no data for:\n" + string.Join("\n", failures));

        // Sessions end: the gauge falls back to zero on both transports.
        await bosh1.DisposeAsync();
        await bosh2.DisposeAsync();
        await ws1.DisposeAsync();
        await ws2.DisposeAsync();
        sessions = await prometheus.WaitForAsync("sum by (boshgateway_transport) (boshgateway_active_sessions)",
            r => Transports(r) is (0.0, 0.0), ScrapeWait);
        Assert.True(Transports(sessions) is (0.0, 0.0), "active sessions after the end: " + Dump(sessions));
        // Three BOSH terminates (normal); the test's WebSockets close without <close/> (client_gone).
        var ended = await prometheus.WaitForAsync("sum by (boshgateway_session_end_reason) (boshgateway_session_duration_seconds_count)",
            r => r.Sum(PrometheusServer.Value) == 5, ScrapeWait);
        Assert.True(ended.Sum(PrometheusServer.Value) == 5, "ended sessions by reason: " + Dump(ended));
        Assert.True(ended.Any(s => PrometheusServer.Label(s, "boshgateway_session_end_reason") == "normal" && PrometheusServer.Value(s) == 3), "ended sessions by reason: " + Dump(ended));

        await redis.StopAsync();
        Assert.Empty(await AlertsWithoutDataAsync(prometheus, rules, Phase.RedisStopped));

        await b.StopAsync();
        Assert.Empty(await AlertsWithoutDataAsync(prometheus, rules, Phase.NodeStopped));
    }

    [Fact]
    public async Task ShippedConfigAndRules_PassPromtool()
    {
        PrometheusServer.Require();
        var config = Path.Combine(RepoPaths.Root, "deploy", "prometheus", "prometheus.yml");

        var (configExit, configOutput) = await ProcessRunner.RunAsync("promtool", ["check", "config", config], TimeSpan.FromSeconds(30));
        var (rulesExit, rulesOutput) = await ProcessRunner.RunAsync("promtool", ["check", "rules", PrometheusServer.ShippedRules], TimeSpan.FromSeconds(30));

        Assert.True(configExit == 0, "promtool check config: " + configOutput);
        Assert.True(rulesExit == 0, "promtool check rules: " + rulesOutput);
        Assert.Contains($"{AlertPhases.Count.ToString(CultureInfo.InvariantCulture)} rules found", rulesOutput, StringComparison.Ordinal);
    }

    /// <summary>Every <c>expr</c> of the shipped dashboard, with Grafana's variables replaced as Grafana would (all nodes, a 1 m rate window).</summary>
    private static List<string> DashboardExpressions()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "deploy", "grafana", "boshgateway-dashboard.json")));
        var found = new List<string>();
        Collect(json.RootElement, found);
        Assert.True(found.Count >= 12, $"only {found.Count} expressions in the dashboard");
        return [.. found.Select(e => e.Replace("$__rate_interval", "1m", StringComparison.Ordinal).Replace("$instance", ".*", StringComparison.Ordinal))];
    }

    private static void Collect(JsonElement element, List<string> found)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in element.EnumerateObject())
            {
                if (property.Name == "expr" && property.Value.ValueKind == JsonValueKind.String)
                {
                    found.Add(property.Value.GetString()!);
                }
                else
                {
                    Collect(property.Value, found);
                }
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in element.EnumerateArray())
            {
                Collect(item, found);
            }
        }
    }

    /// <summary>The alerts of <paramref name="phase"/> whose full expression (threshold included) returns no data.</summary>
    private static async Task<List<string>> AlertsWithoutDataAsync(PrometheusServer prometheus, (string Name, string Query, string Health, string? LastError)[] rules, Phase phase)
    {
        var failures = new List<string>();
        foreach (var (name, query, _, _) in rules.Where(r => AlertPhases[r.Name] == phase))
        {
            if ((await prometheus.WaitForAsync(query, r => r.Length > 0, TimeSpan.FromSeconds(30))).Length == 0)
            {
                failures.Add($"alert {name} ({phase}): {query}");
            }
        }
        return failures;
    }

    /// <summary>The loaded rules once Prometheus has evaluated each without error.</summary>
    private static async Task<(string Name, string Query, string Health, string? LastError)[]> WaitForRulesAsync(PrometheusServer prometheus)
    {
        var deadline = DateTime.UtcNow + ScrapeWait;
        var rules = await prometheus.RulesAsync();
        while (rules.Any(r => r.Health != "ok") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
            rules = await prometheus.RulesAsync();
        }
        Assert.All(rules, r => Assert.True(r.Health == "ok", $"rule {r.Name}: {r.Health} {r.LastError}"));
        return rules;
    }

    /// <summary>An alert expression without its final comparison: what it measures.</summary>
    internal static string Measure(string query)
    {
        var match = Threshold().Match(query);
        Assert.True(match.Success, "an alert expression must end with one comparison against a number: " + query);
        return query[..match.Index];
    }

    private static async Task SeenAsync(PrometheusServer prometheus, string selector)
    {
        var result = await prometheus.WaitForAsync(selector, r => r.Length > 0, ScrapeWait);
        Assert.True(result.Length > 0, "Prometheus never saw " + selector);
    }

    private static async Task AssertBackendUnavailableAsync(HttpClient http, GatewayNode node)
    {
        using var content = new StringContent(
            $"<body rid='1000' to='{BrokenDomain}' wait='5' hold='1' ver='1.6' xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>",
            Encoding.UTF8, "text/xml");
        using var response = await http.PostAsync(node.BoshUrl, content);
        var body = XElement.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
    }

    private static async Task<HttpStatusCode> CreateStatusAsync(HttpClient http, Uri url, string domain)
    {
        using var content = new StringContent(
            $"<body rid='2000' to='{domain}' wait='5' hold='1' ver='1.6' xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>",
            Encoding.UTF8, "text/xml");
        using var response = await http.PostAsync(url, content);
        return response.StatusCode;
    }

    private static (double? Bosh, double? WebSocket) Transports(JsonElement[] result) =>
        (Find(result, "bosh"), Find(result, "websocket"));

    private static double? Find(JsonElement[] result, string transport) =>
        result.Where(s => PrometheusServer.Label(s, "boshgateway_transport") == transport).Select(PrometheusServer.Value).Cast<double?>().FirstOrDefault();

    private static string Dump(JsonElement[] result) => string.Join("; ", result.Select(r => r.GetRawText()));

    [GeneratedRegex(@"\s*(>|<|>=|<=|==|!=)\s*(bool\s+)?-?[0-9.]+(e[-+]?[0-9]+)?\s*$")]
    private static partial Regex Threshold();
}
