using System.Globalization;
using System.Text.Json;
using BoshGateway.LoadGenerator;

// Drives N users through one endpoint (the gateway, or a server's own BOSH/WebSocket endpoint) and
// measures it. See bench/README.md for the scenarios, options and the side-by-side script.
// "gc PID": has .NET process PID run a full blocking garbage collection (bench/soak.sh, before it reads memory).
if (args is ["gc", var pidText])
{
    await FullGarbageCollection.InduceAsync(int.Parse(pidText, CultureInfo.InvariantCulture));
    return 0;
}
var options = LoadOptions.Parse(args);
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) };
using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(options.Wait + 30) };
using var stop = new CancellationTokenSource(options.Duration + TimeSpan.FromMinutes(10));

IXmppUser NewUser(int index) => options.TransportOf(index) == "bosh"
    ? new BoshUser(http, options.Url, options.Domain, options.Wait, options.BoshAcks)
    : new WebSocketUser(options.WebSocketUrl ?? options.Url, options.Domain);
var ramp = new LoginRamp(options, NewUser);
var result = new Dictionary<string, object>
{
    ["label"] = options.Label,
    ["transport"] = options.Transport,
    ["scenario"] = options.Scenario,
    ["users"] = options.Users,
    ["mechanism"] = options.Mechanism,
    ["url"] = options.Url.ToString(),
    ["date"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
};
var failed = false;
if (options.Scenario == "login-storm")
{
    await LoginStorm.RunAsync(options, ramp, result, stop.Token);
    failed = result["login_storm_limit"] is string limit && limit.StartsWith("failures", StringComparison.Ordinal) && (double)result["logins_per_second"] == 0;
}
else if (options.Scenario == "session-start")
{
    failed = !await SessionStart.RunAsync(options, NewUser, result, stop.Token);
}
else if (options.Scenario == "ledger")
{
    failed = !await Ledger.RunAsync(options, NewUser, result, stop.Token);
}
else if (options.Scenario == "soak")
{
    failed = !await Soak.RunAsync(options, NewUser, result, stop.Token);
}
else
{
    if (options.WarmUp > 0)
    {
        // Unmeasured logins and logouts first, so the figures below are those of a process that has compiled its hot paths.
        var warmUp = await ramp.WithConcurrencyAsync(Math.Min(options.WarmUp, options.Users), options.Concurrency, stop.Token);
        await ramp.DisposeAsync(warmUp.Users);
        result["warm_up_logins"] = warmUp.LoginMs.Count;
    }
    var rssBefore = options.Processes.ToDictionary(p => p.Name, p => p.RssKiB());
    var cpuBefore = options.Processes.ToDictionary(p => p.Name, p => p.CpuSeconds());
    var batch = await ramp.WithConcurrencyAsync(options.Users, options.Concurrency, stop.Token);
    var users = batch.Users;
    result["login_failures"] = batch.Failures;
    result["ramp_seconds"] = Math.Round(batch.Elapsed.TotalSeconds, 2);
    result["logins_per_second"] = batch.PerSecond;
    result["login_ms_p50"] = Percentiles.Of(batch.LoginMs, 0.5);
    result["login_ms_p99"] = Percentiles.Of(batch.LoginMs, 0.99);
    foreach (var p in options.Processes)
    {
        result[$"{p.Name}_cpu_ms_per_login"] = Math.Round((p.CpuSeconds() - cpuBefore[p.Name]) * 1000 / options.Users, 2);
    }
    failed = batch.Failures > 0;
    if (failed)
    {
        Console.Error.WriteLine($"{batch.Failures} logins failed: scenario not run");
    }
    else if (options.Scenario == "idle")
    {
        await Task.Delay(options.Duration, stop.Token);
        foreach (var p in options.Processes)
        {
            var rss = p.RssKiB();
            var grown = rss - rssBefore[p.Name];
            result[$"{p.Name}_rss_kib"] = rss;
            result[$"{p.Name}_rss_growth_kib"] = grown;
            result[$"{p.Name}_kib_per_session"] = Math.Round((double)grown / options.Users, 1);
        }
    }
    else if (options.Scenario == "ping")
    {
        failed = !await Ping.RunAsync(options, users!, result, stop.Token);
    }
    else if (options.Scenario == "reconnect-storm")
    {
        users = await ReconnectStorm.RunAsync(ramp, users, result, stop.Token);
        failed = (int)result["reconnect_failures"] > 0 || (int)result["messages_lost"] > 0;
    }
    else
    {
        // Warm-up at the same rate, not measured: a freshly started process is still compiling its hot paths.
        await Chat.RunAsync(options, TimeSpan.FromSeconds(5), users!, [], stop.Token);
        await Chat.RunAsync(options, options.Duration, users!, result, stop.Token);
    }
    await ramp.DisposeAsync(users);
}
if (options.Transport != "websocket")
{
    // 5xx answers (503 + Retry-After when the gateway's connect queue is full) are resent with the same rid, not counted as failures.
    result["bosh_5xx_resends"] = BoshUser.Resent5xx;
    result["bosh_session_creation_5xx_resends"] = BoshUser.ResentCreation5xx;
}

foreach (var (key, value) in result)
{
    Console.WriteLine(value is List<Dictionary<string, object>> ? $"{key,-34} (see above)" : $"{key,-34} {Convert.ToString(value, CultureInfo.InvariantCulture)}");
}
if (options.Json is { } file)
{
    await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
}
return failed ? 1 : 0;
