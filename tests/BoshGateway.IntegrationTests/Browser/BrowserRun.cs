using System.Diagnostics;
using System.Text;
using System.Text.Json;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// One run of tests/browser/run.mjs: a browser scenario as JSON in, JSON lines out. Event lines
/// (<c>{"event":"stop-gateway"}</c>) are handed to the caller's callback and answered on stdin;
/// the last JSON line is the result.
/// </summary>
internal sealed class BrowserRun
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private BrowserRun(int exitCode, JsonElement? result, string output)
    {
        ExitCode = exitCode;
        Result = result;
        Output = output;
    }

    public int ExitCode { get; }

    /// <summary>The runner's result object, or null when it printed none (crashed, timed out).</summary>
    public JsonElement? Result { get; }

    public string Output { get; }

    public bool Ok => ExitCode == 0 && Result is { } r && r.GetProperty("ok").GetBoolean();

    public static async Task<BrowserRun> RunAsync(IDictionary<string, object?> config, Func<string, Task>? onEvent = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromMinutes(2);
        config["screenshots"] = BrowserSuite.Screenshots;
        config["timeoutSeconds"] = (int)limit.TotalSeconds;
        var info = new ProcessStartInfo("node")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        info.ArgumentList.Add(BrowserSuite.Script);
        info.ArgumentList.Add(JsonSerializer.Serialize(config));
        info.Environment["BOSHGW_CHROMIUM"] = BrowserSuite.ChromiumPath;
        using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start node");
        var stderr = process.StandardError.ReadToEndAsync();
        var output = new StringBuilder();
        string? last = null;
        // The runner has its own watchdog; this one catches a runner that hangs anyway.
        using var cts = new CancellationTokenSource(limit + TimeSpan.FromSeconds(30));
        try
        {
            while (await process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
            {
                output.AppendLine(line);
                if (!line.StartsWith('{'))
                {
                    continue;
                }
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("event", out var name))
                {
                    if (onEvent is null)
                    {
                        throw new InvalidOperationException("unexpected runner event " + line);
                    }
                    await onEvent(name.GetString()!);
                    await process.StandardInput.WriteLineAsync("done".AsMemory(), cts.Token);
                    await process.StandardInput.FlushAsync(cts.Token);
                    continue;
                }
                last = line;
            }
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return new BrowserRun(-1, null, $"runner hung for {limit}: {output}{await stderr}");
        }
        output.Append(await stderr);
        return new BrowserRun(process.ExitCode, last is null ? null : JsonDocument.Parse(last).RootElement.Clone(), output.ToString());
    }

    /// <summary>Fails the test with the runner's own account when the scenario did not pass.</summary>
    public void AssertOk()
    {
        Assert.True(Ok, $"browser scenario failed (exit {ExitCode}); screenshots in {BrowserSuite.Screenshots}\n{Describe()}");
    }

    public string Describe()
    {
        if (Result is not { } r)
        {
            return Output;
        }
        var text = new StringBuilder();
        if (r.TryGetProperty("reason", out var reason))
        {
            text.AppendLine("reason: " + reason.GetString());
        }
        text.AppendLine(JsonSerializer.Serialize(r, Indented));
        return text.ToString();
    }

    /// <summary>A field of the page result for <paramref name="user"/> (e.g. its connection status).</summary>
    public JsonElement Page(string user)
    {
        Assert.NotNull(Result);
        return Result.Value.GetProperty("pages").EnumerateArray().Single(p => p.GetProperty("user").GetString() == user);
    }
}
