using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using BoshGateway.LoadGenerator;

// Drives N users through one endpoint (the gateway, or a server's own BOSH/WebSocket endpoint) and
// measures it. See bench/README.md for the scenarios, options and the side-by-side script.
var options = LoadOptions.Parse(args);
using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2) };
using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(options.Wait + 30) };
using var stop = new CancellationTokenSource(options.Duration + TimeSpan.FromMinutes(5));

IXmppUser NewUser() => options.Transport == "bosh" ? new BoshUser(http, options.Url, options.Domain, options.Wait) : new WebSocketUser(options.Url, options.Domain);

var result = new Dictionary<string, object>
{
    ["label"] = options.Label,
    ["transport"] = options.Transport,
    ["scenario"] = options.Scenario,
    ["users"] = options.Users,
    ["url"] = options.Url.ToString(),
    ["date"] = DateTimeOffset.UtcNow.ToString("u", CultureInfo.InvariantCulture),
};
var rssBefore = options.Processes.ToDictionary(p => p.Name, p => p.RssKiB());
var users = new IXmppUser[options.Users];
var failures = 0;
var ramp = Stopwatch.StartNew();
await Parallel.ForEachAsync(Enumerable.Range(0, options.Users), new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency, CancellationToken = stop.Token }, async (i, ct) =>
{
    users[i] = NewUser();
    try
    {
        await users[i].LoginAsync(options.UserPrefix + (i + 1).ToString(CultureInfo.InvariantCulture), options.Password, ct);
    }
    catch (Exception ex) when (ex is not OperationCanceledException)
    {
        if (Interlocked.Increment(ref failures) <= 3)
        {
            Console.Error.WriteLine($"login {i + 1}: {ex.Message}");
        }
    }
});
ramp.Stop();
result["login_failures"] = failures;
result["ramp_seconds"] = Math.Round(ramp.Elapsed.TotalSeconds, 2);
result["logins_per_second"] = Math.Round(options.Users / ramp.Elapsed.TotalSeconds, 1);

if (options.Scenario == "idle")
{
    await Task.Delay(options.Duration, stop.Token);
    foreach (var p in options.Processes)
    {
        var grown = p.RssKiB() - rssBefore[p.Name];
        result[$"{p.Name}_rss_growth_kib"] = grown;
        result[$"{p.Name}_kib_per_session"] = Math.Round((double)grown / options.Users, 1);
    }
}
else
{
    await Chat.RunAsync(options, users, result, stop.Token);
}

await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (u, _) =>
{
    if (u is not null)
    {
        await u.DisposeAsync();
    }
});

foreach (var (key, value) in result)
{
    Console.WriteLine($"{key,-34} {Convert.ToString(value, CultureInfo.InvariantCulture)}");
}
if (options.Json is { } file)
{
    await File.WriteAllTextAsync(file, JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true }));
}
return failures == 0 ? 0 : 1;
