using System.Diagnostics;
using System.Globalization;
using System.Text;
using BoshGateway.IntegrationTests.Bosh;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Cluster;

/// <summary>The README's multi-node recipe (deploy/local-cluster.sh) starts, serves a conversation through nginx, and stops everything it started.</summary>
[Collection(ClusterCollection.Name)]
public class LocalClusterRecipeTests
{
    [Fact]
    public async Task Recipe_StartsRedisNodesAndNginx_ServesAChat_AndStopsCleanly()
    {
        foreach (var tool in new[] { "prosody", "redis-server", "nginx" })
        {
            if (!ProcessRunner.OnPath(tool))
            {
                Requirement.Missing($"{tool} is not installed");
            }
        }
        var ports = Enumerable.Range(0, 6).Select(_ => FreePort.Next()).ToArray();
        var (front, redis, c2s, http) = (ports[0], ports[1], ports[2], ports[3]);
        var nodePorts = new[] { ports[4], ports[4] + 1 };
        var info = new ProcessStartInfo("bash", [Path.Combine(RepoPaths.Root, "deploy", "local-cluster.sh"), "2"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = RepoPaths.Root,
        };
        info.Environment["FRONT_PORT"] = Text(front);
        info.Environment["NODE_BASE_PORT"] = Text(nodePorts[0]);
        info.Environment["REDIS_PORT"] = Text(redis);
        info.Environment["PROSODY_C2S_PORT"] = Text(c2s);
        info.Environment["PROSODY_HTTP_PORT"] = Text(http);
        var output = new StringBuilder();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var script = Process.Start(info)!;
        script.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } if (e.Data == "ready") { ready.TrySetResult(); } };
        script.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        script.BeginOutputReadLine();
        script.BeginErrorReadLine();
        try
        {
            var started = await Task.WhenAny(ready.Task, script.WaitForExitAsync(), Task.Delay(TimeSpan.FromMinutes(4)));
            Assert.True(started == ready.Task, "the recipe did not become ready: " + output);

            var url = new Uri($"http://127.0.0.1:{Text(front)}/http-bind");
            await using var alice = new BoshTestClient(url, "localhost");
            await using var bob = new BoshTestClient(url, "localhost");
            await alice.LoginAsync("alice");
            await bob.LoginAsync("bob");
            for (var i = 0; i < 10; i++)
            {
                await alice.SendMessageAsync("bob@localhost", $"recipe {i}");
            }
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"recipe {i}"), await BoshSessionFlowTests.Messages(bob, "recipe", 10));
        }
        finally
        {
            await ProcessRunner.RunAsync("kill", ["-TERM", Text(script.Id)], TimeSpan.FromSeconds(5));
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await script.WaitForExitAsync(cts.Token);
        }
        foreach (var port in new[] { front, redis, c2s, nodePorts[0], nodePorts[1] })
        {
            Assert.False(FreePort.IsListening(port), $"port {port} still open after the recipe stopped: {output}");
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
