using System.Diagnostics;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// Every session is dropped at once (no logout, as when a network or a gateway in front goes away) and
/// every user logs in again at once; then each pair exchanges one message to show the new sessions
/// work. Reports how long until all were back, failures, login times and messages lost after it.
/// </summary>
internal static class ReconnectStorm
{
    public static async Task<IXmppUser?[]> RunAsync(LoadOptions options, LoginRamp ramp, IXmppUser?[] users, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        foreach (var user in users)
        {
            user?.Abort();
        }
        var again = await ramp.WithConcurrencyAsync(users.Length, users.Length, cancellationToken);
        await ramp.DisposeAsync(users);
        result["reconnect_failures"] = again.Failures;
        result["reconnect_seconds"] = Math.Round(again.Elapsed.TotalSeconds, 2);
        result["reconnects_per_second"] = again.PerSecond;
        result["reconnect_ms_p50"] = Percentiles.Of(again.LoginMs, 0.5);
        result["reconnect_ms_p99"] = Percentiles.Of(again.LoginMs, 0.99);

        var delivered = 0;
        var sent = 0;
        foreach (var user in again.Users)
        {
            if (user is not null)
            {
                user.OnMessage = _ => Interlocked.Increment(ref delivered);
            }
        }
        var sends = new List<Task>();
        for (var i = 0; i < again.Users.Length; i++)
        {
            if (again.Users[i] is { } from && again.Users[i ^ 1] is { } to)
            {
                sends.Add(from.SendMessageAsync(to.Jid, "after the storm", cancellationToken));
                sent++;
            }
        }
        await Task.WhenAll(sends);
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref delivered) < sent && clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50, cancellationToken);
        }
        result["messages_sent"] = sent;
        result["messages_lost"] = sent - Volatile.Read(ref delivered);
        return again.Users;
    }
}
