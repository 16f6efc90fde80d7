using System.Diagnostics;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// How long a session takes to start, without logging in: each user in turn (<c>--concurrency</c> loops)
/// connects, starts its stream (BOSH session creation, WebSocket <c>&lt;open/&gt;</c>), waits for the
/// stream features, ends the session cleanly (BOSH terminate, WebSocket <c>&lt;close/&gt;</c>) and pauses
/// <c>--pause</c> ms before the next. The first 20 starts warm up (JIT, connection pools) and are not
/// measured. Reports session_start_ms (start request → features) and, for WebSocket,
/// connect_and_start_ms (TCP connect and upgrade too), p50/p99.
/// </summary>
internal static class SessionStart
{
    private const int WarmUp = 20;

    public static async Task<bool> RunAsync(LoadOptions options, Func<int, IXmppUser> newUser, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        await RunStartsAsync(options, newUser, Math.Min(WarmUp, options.Users), [], [], cancellationToken);
        List<double> startMs = [], connectAndStartMs = [];
        var failures = await RunStartsAsync(options, newUser, options.Users, startMs, connectAndStartMs, cancellationToken);
        startMs.Sort();
        connectAndStartMs.Sort();
        result["pause_ms"] = options.Pause.TotalMilliseconds;
        result["concurrency"] = options.Concurrency;
        result["session_starts"] = startMs.Count;
        result["session_start_failures"] = failures;
        result["session_start_ms_p50"] = Percentiles.Of(startMs, 0.5);
        result["session_start_ms_p99"] = Percentiles.Of(startMs, 0.99);
        result["session_start_ms_mean"] = startMs.Count == 0 ? double.NaN : Math.Round(startMs.Average(), 2);
        if (options.Transport == "websocket")
        {
            result["connect_and_start_ms_p50"] = Percentiles.Of(connectAndStartMs, 0.5);
            result["connect_and_start_ms_p99"] = Percentiles.Of(connectAndStartMs, 0.99);
        }
        return failures == 0;
    }

    private static async Task<int> RunStartsAsync(LoadOptions options, Func<int, IXmppUser> newUser, int count, List<double> startMs, List<double> connectAndStartMs, CancellationToken cancellationToken)
    {
        var failures = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var user = newUser(i);
            try
            {
                var connecting = Stopwatch.GetTimestamp();
                await user.ConnectAsync(ct);
                var starting = Stopwatch.GetTimestamp();
                await user.StartAsync(ct);
                lock (startMs)
                {
                    startMs.Add(Stopwatch.GetElapsedTime(starting).TotalMilliseconds);
                    connectAndStartMs.Add(Stopwatch.GetElapsedTime(connecting).TotalMilliseconds);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                if (Interlocked.Increment(ref failures) <= 3)
                {
                    Console.Error.WriteLine($"session start {i + 1}: {LoginRamp.FailureReason(ex)}: {ex.Message}");
                }
            }
            await user.DisposeAsync();
            await Task.Delay(options.Pause, ct);
        });
        return failures;
    }
}
