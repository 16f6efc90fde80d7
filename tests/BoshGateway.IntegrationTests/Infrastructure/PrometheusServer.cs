using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A real Prometheus (the Debian package) on a free loopback port, scraping the given gateway nodes every
/// second with the shipped rules file loaded, in its own scratch storage. Queried over its HTTP API.
/// </summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    public const string Job = "boshgateway";
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly HttpClient _http;

    private PrometheusServer(int port, Process process)
    {
        Port = port;
        _process = process;
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"), Timeout = TimeSpan.FromSeconds(10) };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Port { get; }

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

    public static string ShippedRules => Path.Combine(RepoPaths.Root, "deploy", "prometheus", "alerts.yml");

    /// <summary>Skips (or fails under BOSHGW_REQUIRE_SERVERS=1) when Prometheus is not installed.</summary>
    public static void Require()
    {
        if (!ProcessRunner.OnPath("prometheus") || !ProcessRunner.OnPath("promtool"))
        {
            Requirement.Missing("prometheus is not installed (apt-get install prometheus)");
        }
    }

    public static async Task<PrometheusServer> StartAsync(string name, params int[] gatewayPorts)
    {
        Require();
        var dir = RepoPaths.Scratch(name);
        var port = FreePort.Next();
        var targets = string.Join(", ", gatewayPorts.Select(p => $"\"127.0.0.1:{p.ToString(CultureInfo.InvariantCulture)}\""));
        var config = Path.Combine(dir, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files:
              - "{ShippedRules}"
            scrape_configs:
              - job_name: {Job}
                metrics_path: /metrics
                static_configs:
                  - targets: [{targets}]
            """);
        var info = new ProcessStartInfo("prometheus")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        foreach (var arg in new[]
        {
            "--config.file=" + config,
            "--storage.tsdb.path=" + Path.Combine(dir, "data"),
            $"--web.listen-address=127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}",
            "--log.level=warn",
        })
        {
            info.ArgumentList.Add(arg);
        }
        var server = new PrometheusServer(port, Process.Start(info) ?? throw new InvalidOperationException("cannot start prometheus"));
        await server.WaitUntilReadyAsync();
        return server;
    }

    private async Task WaitUntilReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            Assert.False(_process.HasExited, "prometheus exited: " + Log);
            try
            {
                using var response = await _http.GetAsync(new Uri("-/ready", UriKind.Relative));
                if (response.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        Assert.Fail("prometheus did not become ready: " + Log);
    }

    /// <summary>An instant query; returns the result array (a vector's samples; empty when the query returns no data). Fails on a query error.</summary>
    public async Task<JsonElement[]> QueryAsync(string promQl)
    {
        using var response = await _http.GetAsync(new Uri("api/v1/query?query=" + Uri.EscapeDataString(promQl), UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        var root = json.RootElement;
        Assert.True(response.IsSuccessStatusCode && root.GetProperty("status").GetString() == "success", $"query failed: {promQl}\n{text}");
        var data = root.GetProperty("data");
        var result = data.GetProperty("result");
        return data.GetProperty("resultType").GetString() is "vector" or "matrix" ? [.. result.EnumerateArray().Select(e => e.Clone())] : [result.Clone()];
    }

    /// <summary>
    /// Runs <paramref name="promQl"/> every 250 ms until its result satisfies <paramref name="condition"/>, for at most
    /// <paramref name="timeout"/>; returns the last result (the caller asserts on it).
    /// </summary>
    public async Task<JsonElement[]> WaitForAsync(string promQl, Func<JsonElement[], bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        JsonElement[] result;
        while (!condition(result = await QueryAsync(promQl)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(250);
        }
        return result;
    }

    /// <summary>The loaded rules (from /api/v1/rules): name, query as Prometheus parsed it, and evaluation health.</summary>
    public async Task<(string Name, string Query, string Health, string? LastError)[]> RulesAsync()
    {
        var text = await _http.GetStringAsync(new Uri("api/v1/rules", UriKind.Relative));
        using var json = JsonDocument.Parse(text);
        return
        [
            .. json.RootElement.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => (
                    r.GetProperty("name").GetString()!,
                    r.GetProperty("query").GetString()!,
                    r.GetProperty("health").GetString()!,
                    r.TryGetProperty("lastError", out var error) ? error.GetString() : null)),
        ];
    }

    /// <summary>A sample's value as a number.</summary>
    public static double Value(JsonElement sample) => double.Parse(sample.GetProperty("value")[1].GetString()!, CultureInfo.InvariantCulture);

    /// <summary>A sample's label, or null.</summary>
    public static string? Label(JsonElement sample, string name) =>
        sample.GetProperty("metric").TryGetProperty(name, out var value) ? value.GetString() : null;

    public async ValueTask DisposeAsync()
    {
        _http.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await _process.WaitForExitAsync(cts.Token);
        }
        _process.Dispose();
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
