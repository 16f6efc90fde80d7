using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// One gateway node as its own process (the built BoshGateway.dll beside the tests), so that a test can
/// kill it the hard way. Its console log is kept for assertions.
/// </summary>
public sealed class GatewayNode : IAsyncDisposable
{
    public const string Secret = "integration-tests-cluster-secret-0123456789";
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private GatewayNode(string id, int port, Process process)
    {
        Id = id;
        Port = port;
        _process = process;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Id { get; }

    public int Port { get; }

    public Uri BaseUrl => new($"http://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public Uri BoshUrl => new(BaseUrl, "/http-bind");

    public Uri WebSocketUrl => new($"ws://127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}/xmpp-websocket");

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>Starts a gateway process without Redis (the embedded in-memory directory), for tests that measure or signal the process.</summary>
    public static Task<GatewayNode> StartStandaloneAsync(string id, int backendPort, params string[] settings) => StartAsync(id, backendPort, null, settings);

    /// <summary>The process's resident set size, from /proc.</summary>
    public long ResidentBytes => ProcStatus.ResidentBytes(_process.Id);

    /// <summary>The process's open file descriptors (sockets included), from /proc.</summary>
    public int OpenFiles => ProcStatus.OpenFiles(_process.Id);

    /// <summary>The process's threads now (/proc/PID/task).</summary>
    public int Threads => ProcStatus.Threads(_process.Id);

    /// <summary>Starts a node in front of the XMPP server on <paramref name="backendPort"/>, with Redis at <paramref name="redis"/>.</summary>
    public static Task<GatewayNode> StartAsync(string id, int backendPort, string? redis, params string[] settings) =>
        StartAsync(id, backendPort, redis, new Dictionary<string, string>(), settings);

    /// <summary>As above, with environment variables for the process (runtime settings such as <c>DOTNET_GCHeapHardLimit</c>).</summary>
    public static async Task<GatewayNode> StartAsync(string id, int backendPort, string? redis, IReadOnlyDictionary<string, string> environment, params string[] settings)
    {
        var port = FreePort.Next();
        var info = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "BoshGateway.dll"),
            $"--urls=http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            $"--Gateway:Backends:Default:Port={backendPort.ToString(CultureInfo.InvariantCulture)}",
            "--Gateway:Backends:Default:Tls=None",
            // As the shipped nginx site is deployed: nginx connects from 127.0.0.2, the one proxy believed.
            "--Gateway:TrustedProxies:0=127.0.0.2",
            $"--Gateway:Node:Id={id}",
            .. redis is null ? Array.Empty<string>() :
            [
                $"--Gateway:Redis={redis}",
                $"--Gateway:Cluster:Secret={Secret}",
                "--Gateway:Cluster:HeartbeatInterval=00:00:00.500",
                "--Gateway:Cluster:NodeLease=00:00:03",
            ],
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:BoshGateway=Information",
            "--Logging:LogLevel:BoshGateway.Cluster=Debug",
            "--Logging:Console:FormatterName=simple",
            // No balancer polls a test gateway's /health: end sessions at once on stopping (a test that
            // wants the grace sets Gateway:ShutdownGrace again; the last value wins).
            "--Gateway:ShutdownGrace=00:00:00",
            .. settings.Select(s => "--" + s),
        ];
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_gcServer"] = "0";
        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }
        var node = new GatewayNode(id, port, Process.Start(info) ?? throw new InvalidOperationException("cannot start the gateway"));
        try
        {
            await node.WaitUntilServingAsync(clustered: redis is not null);
        }
        catch
        {
            // A node that never came up is the caller's to dispose only once returned: stop it here, or it outlives the run.
            await node.DisposeAsync();
            throw;
        }
        return node;
    }

    /// <summary>Waits until the node answers /health (in a cluster: with its Redis entry written, the first heartbeat).</summary>
    private async Task WaitUntilServingAsync(bool clustered)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, $"node {Id} exited: {Log}");
            try
            {
                var health = await http.GetStringAsync(new Uri(BaseUrl, "/health"));
                if (health.StartsWith("ok", StringComparison.Ordinal) && (!clustered || Log.Contains("serves the cluster", StringComparison.Ordinal)))
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail($"node {Id} did not start: {Log}");
    }

    public async Task<string> HealthAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync(new Uri(BaseUrl, "/health"));
    }

    /// <summary>The number after <paramref name="name"/>= in /health.</summary>
    public async Task<long> HealthFigureAsync(string name)
    {
        var health = await HealthAsync();
        var field = health.Split(' ', '\n').Single(f => f.StartsWith(name + "=", StringComparison.Ordinal));
        return long.Parse(field[(name.Length + 1)..], CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The sum of every series of one metric in /metrics (Prometheus text; the node needs
    /// <c>Gateway:Telemetry:PrometheusEnabled=true</c>), e.g. <c>boshgateway_bosh_held_requests</c>.
    /// </summary>
    public async Task<double> MetricAsync(string name) => Sum(await MetricsTextAsync(), name);

    /// <summary>The node's Prometheus text exposition (<c>/metrics</c>), read once.</summary>
    private async Task<string> MetricsTextAsync()
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync(new Uri(BaseUrl, "/metrics"));
    }

    /// <summary>The sum of every series of one metric in a Prometheus text exposition.</summary>
    private static double Sum(string metrics, string name) => metrics.Split('\n')
        .Where(line => line.StartsWith(name + " ", StringComparison.Ordinal) || line.StartsWith(name + "{", StringComparison.Ordinal))
        .Sum(line => double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture));

    /// <summary>
    /// The managed heap right after a full blocking collection that the test has the process run (through its
    /// diagnostics port): what the gateway's objects hold, without the garbage a measure of RSS also counts,
    /// and without the free space between them (the runtime's heap size includes fragmentation, which after a
    /// non-compacting collection is whatever holes the relayed garbage left, and varies from run to run).
    /// Needs <c>Gateway:Telemetry:PrometheusEnabled=true</c>.
    /// </summary>
    public async Task<(long Live, long Free)> LiveHeapBytesAsync()
    {
        await BoshGateway.LoadGenerator.FullGarbageCollection.InduceAsync(_process.Id);
        var metrics = await MetricsTextAsync();
        var free = (long)Sum(metrics, "dotnet_gc_last_collection_heap_fragmentation_size_bytes");
        return ((long)Sum(metrics, "dotnet_gc_last_collection_heap_size_bytes") - free, free);
    }

    /// <summary>kill -9: no goodbye to Redis, to clients or to the XMPP server.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Sends SIGTERM and returns at once: the node stops while the test watches.</summary>
    public Task SignalTermAsync() => SignalAsync("TERM");

    /// <summary>Sends a signal by name (TERM, STOP, CONT) and returns at once.</summary>
    public async Task SignalAsync(string signal)
    {
        if (!_process.HasExited)
        {
            await ProcessRunner.RunAsync("kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromSeconds(5));
        }
    }

    /// <summary>SIGTERM, and waits for the exit: the node ends its sessions and leaves the registry.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            await SignalTermAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                await KillAsync();
            }
        }
    }

    /// <remarks>The node's log is kept under .tmp/gateway-nodes/ for a failed run's post-mortem.</remarks>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
        var file = Path.Combine(RepoPaths.Scratch("gateway-nodes"), $"{Id}-{Port.ToString(CultureInfo.InvariantCulture)}.log");
        await File.WriteAllTextAsync(file, Log);
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_log)
            {
                _log.AppendLine(line);
            }
        }
    }
}
