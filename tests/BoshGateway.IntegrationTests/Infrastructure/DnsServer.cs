using System.Globalization;
using System.Net;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A real DNS server (dnsmasq, through tests/servers/dnsmasq.sh) on a free loopback port, answering only from the
/// records it is given: every other name is NXDOMAIN. For SRV lookups, and for gateways configured with
/// <c>Gateway:Backends:DnsServers</c> = <see cref="Address"/>.
/// </summary>
public sealed class DnsServer : IAsyncDisposable
{
    private readonly string[] _records;
    private readonly int _ttlSeconds;
    private bool _running;

    private DnsServer(string directory, int port, string[] records, int ttlSeconds)
    {
        Directory = directory;
        Port = port;
        _records = records;
        _ttlSeconds = ttlSeconds;
    }

    /// <summary>Where the server keeps its config (dnsmasq.conf) and its query log (dnsmasq.log).</summary>
    public string Directory { get; }

    public int Port { get; }

    public IPEndPoint EndPoint => new(IPAddress.Loopback, Port);

    /// <summary>The form <c>Gateway:Backends:DnsServers</c> takes: 127.0.0.1:PORT.</summary>
    public string Address => "127.0.0.1:" + Port.ToString(CultureInfo.InvariantCulture);

    /// <summary>What the server logged, each query included.</summary>
    public string Log => File.Exists(Path.Combine(Directory, "dnsmasq.log")) ? File.ReadAllText(Path.Combine(Directory, "dnsmasq.log")) : "";

    /// <summary>An SRV record option: <c>--srv-host=SERVICE.DOMAIN,TARGET,PORT,PRIORITY,WEIGHT</c>.</summary>
    public static string Srv(string service, string domain, string target, int port, int priority, int weight) =>
        string.Create(CultureInfo.InvariantCulture, $"--srv-host={service}{domain},{target},{port},{priority},{weight}");

    /// <summary>The single target "." record: the service is not available in <paramref name="domain"/>.</summary>
    public static string SrvNotAvailable(string service, string domain) => $"--srv-host={service}{domain},.";

    /// <summary>An A record.</summary>
    public static string A(string host, string address = "127.0.0.1") => $"--host-record={host},{address}";

    /// <summary>
    /// Starts dnsmasq with <paramref name="records"/> (dnsmasq options, see <see cref="Srv"/> and <see cref="A"/>);
    /// answers carry a TTL of <paramref name="ttlSeconds"/> (0: resolvers do not cache them). Skips the test when
    /// dnsmasq is not installed (fails it when BOSHGW_REQUIRE_SERVERS=1).
    /// </summary>
    public static async Task<DnsServer> StartAsync(string name, IEnumerable<string> records, int ttlSeconds = 0)
    {
        if (!ProcessRunner.OnPath("dnsmasq"))
        {
            Requirement.Missing("dnsmasq is not installed (apt-get install dnsmasq)");
        }
        var directory = RepoPaths.Scratch(name);
        var list = records.ToArray();
        string failure = "";
        // FreePort checks TCP only; dnsmasq needs the UDP port too, so a taken one gets another try.
        for (var attempt = 0; attempt < 3; attempt++)
        {
            var server = new DnsServer(directory, FreePort.Next(), list, ttlSeconds);
            var (exit, output) = await server.RunScriptAsync();
            if (exit == 0)
            {
                server._running = true;
                return server;
            }
            failure = $"dnsmasq.sh start failed ({exit}): {output}";
        }
        Assert.Fail(failure);
        throw new InvalidOperationException(failure);
    }

    /// <summary>Starts the server again on the same port with the same records, after <see cref="StopAsync"/>.</summary>
    public async Task StartAgainAsync()
    {
        var (exit, output) = await RunScriptAsync();
        Assert.True(exit == 0, $"dnsmasq.sh start failed ({exit}): {output}");
        _running = true;
    }

    /// <summary>Stops the server: queries to its port then go unanswered (ICMP port unreachable).</summary>
    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }
        _running = false;
        var (exit, output) = await ProcessRunner.RunAsync("bash", [Script, "stop", Directory], TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, $"dnsmasq.sh stop failed ({exit}): {output}");
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private static string Script => Path.Combine(RepoPaths.Root, "tests", "servers", "dnsmasq.sh");

    private Task<(int ExitCode, string Output)> RunScriptAsync() =>
        ProcessRunner.RunAsync(
            "bash",
            [Script, "start", Directory, Port.ToString(CultureInfo.InvariantCulture), .. _records],
            TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["DNSMASQ_TTL"] = _ttlSeconds.ToString(CultureInfo.InvariantCulture) });
}
