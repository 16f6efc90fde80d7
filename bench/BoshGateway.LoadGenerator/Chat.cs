using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// Pairs of users (1↔2, 3↔4, …) exchange messages at a fixed total rate. Each body carries the
/// sender, a per-sender sequence number and the send time, so the receiver counts what was lost,
/// duplicated or reordered and the end-to-end latency. Messages of one sender are sent one after
/// another (in order); different senders send concurrently.
/// </summary>
internal static class Chat
{
    public static async Task RunAsync(LoadOptions options, TimeSpan duration, IXmppUser[] users, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        var n = users.Length;
        var seen = Enumerable.Range(0, n).Select(_ => new HashSet<long>()).ToArray();
        var highest = new long[n];
        Array.Fill(highest, -1);
        var delivered = 0L;
        var duplicated = 0L;
        var reordered = 0L;
        var latencies = new List<double>();
        var sync = new Lock();
        for (var r = 0; r < n; r++)
        {
            var receiver = r;
            users[r].OnMessage = body =>
            {
                var parts = body.Split(' ');
                if (parts.Length != 3 || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var seq) || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var sent))
                {
                    return;
                }
                var ms = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
                lock (sync)
                {
                    if (!seen[receiver].Add(seq))
                    {
                        duplicated++;
                        return;
                    }
                    if (seq < highest[receiver])
                    {
                        reordered++;
                    }
                    highest[receiver] = Math.Max(highest[receiver], seq);
                    delivered++;
                    latencies.Add(ms);
                }
            };
        }

        var chains = new Task[n];
        Array.Fill(chains, Task.CompletedTask);
        var seqs = new long[n];
        var sent = 0L;
        var cpuBefore = options.Processes.ToDictionary(p => p.Name, p => p.CpuSeconds());
        var clock = Stopwatch.StartNew();
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5)))
        {
            while (clock.Elapsed < duration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * options.Rate);
                for (; sent < due; sent++)
                {
                    var pair = (int)(sent % (n / 2));
                    var sender = 2 * pair + (int)(sent / (n / 2) % 2);
                    var receiver = sender ^ 1;
                    var body = $"{sender} {seqs[sender]++} {Stopwatch.GetTimestamp()}";
                    var to = users[receiver].Jid;
                    var previous = chains[sender];
                    var user = users[sender];
                    chains[sender] = SendAfterAsync(previous, user, to, body, cancellationToken);
                }
            }
        }
        await Task.WhenAll(chains);
        var drainUntil = Stopwatch.StartNew();
        while (Interlocked.Read(ref delivered) < sent && drainUntil.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50, cancellationToken);
        }
        var seconds = clock.Elapsed.TotalSeconds;
        lock (sync)
        {
            latencies.Sort();
            result["messages_sent"] = sent;
            result["messages_delivered"] = delivered;
            result["messages_lost"] = sent - delivered;
            result["messages_duplicated"] = duplicated;
            result["messages_reordered"] = reordered;
            result["rate_per_second"] = Math.Round(delivered / seconds, 1);
            result["latency_ms_p50"] = Percentiles.Of(latencies, 0.50);
            result["latency_ms_p99"] = Percentiles.Of(latencies, 0.99);
            result["latency_ms_p999"] = Percentiles.Of(latencies, 0.999);
        }
        foreach (var p in options.Processes)
        {
            var cpu = p.CpuSeconds() - cpuBefore[p.Name];
            result[$"{p.Name}_cpu_seconds"] = Math.Round(cpu, 2);
            result[$"{p.Name}_cpu_ms_per_message"] = sent == 0 ? 0 : Math.Round(cpu * 1000 / sent, 3);
        }
    }

    private static async Task SendAfterAsync(Task previous, IXmppUser user, string to, string body, CancellationToken cancellationToken)
    {
        await previous;
        await user.SendMessageAsync(to, body, cancellationToken);
    }
}
