using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// Serial XEP-0199 pings to the server: every user sends a ping, waits for its result, then sends the
/// next, <c>--rounds</c> times, all users at once. The stanza is answered by the server itself, so a
/// round trip is the transport's cost and nothing else: four socket operations and two small parses
/// through the gateway. The first 100 rounds warm up (JIT) and are not measured. Reports pings/s, the
/// round trip p50/p99, the CPU per round trip of each measured process, of the generator itself and
/// of the whole machine, and how many cores the machine kept busy.
/// </summary>
internal static class Ping
{
    private const int WarmUpRounds = 100;

    public static async Task<bool> RunAsync(LoadOptions options, IXmppUser[] users, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        var pingers = users.Select((u, i) => new Pinger(u, options.Domain, i)).ToArray();
        await Task.WhenAll(pingers.Select(p => p.RunAsync(WarmUpRounds, null, cancellationToken)));
        var processes = options.Processes.Append(new ProcessMeter("generator", Environment.ProcessId)).ToList();
        var cpuBefore = processes.ToDictionary(p => p.Name, p => p.CpuSeconds());
        var machineBefore = MachineCpu.BusySeconds();
        var clock = Stopwatch.StartNew();
        var roundTrips = pingers.Select(_ => new List<double>(options.Rounds)).ToArray();
        await Task.WhenAll(pingers.Select((p, i) => p.RunAsync(options.Rounds, roundTrips[i], cancellationToken)));
        var elapsed = clock.Elapsed.TotalSeconds;
        var machineBusy = MachineCpu.BusySeconds() - machineBefore;
        var all = roundTrips.SelectMany(r => r).Order().ToList();
        result["rounds"] = options.Rounds;
        result["pings"] = all.Count;
        result["pings_per_second"] = Math.Round(all.Count / elapsed, 1);
        result["ping_ms_p50"] = Percentiles.Of(all, 0.5);
        result["ping_ms_p99"] = Percentiles.Of(all, 0.99);
        double MicrosecondsPerPing(double seconds) => all.Count == 0 ? 0 : Math.Round(seconds * 1e6 / all.Count, 1);
        foreach (var p in processes)
        {
            result[$"{p.Name}_cpu_us_per_ping"] = MicrosecondsPerPing(p.CpuSeconds() - cpuBefore[p.Name]);
        }
        result["machine_cpu_us_per_ping"] = MicrosecondsPerPing(machineBusy);
        result["machine_cores_busy"] = Math.Round(machineBusy / elapsed, 2);
        return all.Count == users.Length * options.Rounds;
    }

    /// <summary>One user's ping loop: the next ping goes once the result of the last has arrived.</summary>
    private sealed class Pinger
    {
        private readonly IXmppUser _user;
        private readonly string _domain;
        private readonly string _prefix;
        private readonly Lock _sync = new();
        private (string Single, string Double) _awaited = ("", "");
        private TaskCompletionSource? _answered;
        private int _sent;

        public Pinger(IXmppUser user, string domain, int index)
        {
            _user = user;
            _domain = domain;
            _prefix = "ping" + index.ToString(CultureInfo.InvariantCulture) + "-";
            var previous = user.OnXml;
            user.OnXml = xml =>
            {
                previous?.Invoke(xml);
                Received(xml);
            };
        }

        public async Task RunAsync(int rounds, List<double>? roundTrips, CancellationToken cancellationToken)
        {
            for (var r = 0; r < rounds; r++)
            {
                var id = _prefix + (++_sent).ToString(CultureInfo.InvariantCulture);
                var answered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                lock (_sync)
                {
                    _awaited = ($"id='{id}'", $"id=\"{id}\"");
                    _answered = answered;
                }
                var started = Stopwatch.GetTimestamp();
                await _user.SendRawAsync($"<iq xmlns='jabber:client' type='get' to='{_domain}' id='{id}'><ping xmlns='urn:xmpp:ping'/></iq>", cancellationToken);
                await answered.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
                roundTrips?.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        private void Received(string xml)
        {
            lock (_sync)
            {
                if (_answered is { } answered && (xml.Contains(_awaited.Single, StringComparison.Ordinal) || xml.Contains(_awaited.Double, StringComparison.Ordinal)))
                {
                    _answered = null;
                    answered.TrySetResult();
                }
            }
        }
    }
}
