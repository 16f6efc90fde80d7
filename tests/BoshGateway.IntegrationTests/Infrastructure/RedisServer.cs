using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>A real redis-server on a free loopback port, without persistence, that a test can stop, restart and wipe.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string ConnectionString => $"127.0.0.1:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static async Task<RedisServer> StartAsync()
    {
        if (!ProcessRunner.OnPath("redis-server") || !ProcessRunner.OnPath("redis-cli"))
        {
            Requirement.Missing("redis-server is not installed (apt-get install redis-server)");
        }
        var server = new RedisServer(FreePort.Next());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on the same port, empty.</summary>
    public async Task StartAgainAsync()
    {
        var info = new ProcessStartInfo("redis-server")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no" })
        {
            info.ArgumentList.Add(arg);
        }
        _process = Process.Start(info) ?? throw new InvalidOperationException("cannot start redis-server");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            if (await CliAsync("PING") == "PONG")
            {
                return;
            }
            await Task.Delay(50);
        }
        Assert.Fail($"redis-server did not answer on port {Port}");
    }

    /// <summary>Stops the server the way an outage does: at once, nothing saved.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>Runs one redis-cli command; returns its trimmed output.</summary>
    public async Task<string> CliAsync(params string[] command)
    {
        var (_, output) = await ProcessRunner.RunAsync("redis-cli", ["-p", Port.ToString(CultureInfo.InvariantCulture), .. command], TimeSpan.FromSeconds(10));
        return output.Trim();
    }

    /// <summary>
    /// Runs <paramref name="command"/> every 50 ms until its output satisfies <paramref name="condition"/>, for at
    /// most <paramref name="timeout"/>; returns the last output. For what the nodes write fire-and-forget.
    /// </summary>
    public async Task<string> WaitForAsync(Func<string, bool> condition, TimeSpan timeout, params string[] command)
    {
        var deadline = DateTime.UtcNow + timeout;
        string output;
        while (!condition(output = await CliAsync(command)) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        return output;
    }

    public async Task<string[]> KeysAsync(string pattern) =>
        (await CliAsync("--raw", "KEYS", pattern)).Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public async ValueTask DisposeAsync() => await StopAsync();
}
