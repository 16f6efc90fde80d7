using System.Diagnostics;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// Every session is dropped at once (no logout, as when a network or a gateway in front goes away) and
/// every user logs in again at once; a user whose login fails tries again after a backoff (1, 2, 4, 8 s,
/// as client libraries do) until all are back or 3 minutes have passed. Then each pair exchanges one
/// message to show the new sessions work. Reports how long until all were back, first-attempt
/// failures, retries, users never back, login times and messages lost after it.
/// </summary>
internal static class ReconnectStorm
{
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromMinutes(3);

    public static async Task<IXmppUser?[]> RunAsync(LoginRamp ramp, IXmppUser?[] users, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
        foreach (var user in users)
        {
            user?.Abort();
        }
        var clock = Stopwatch.StartNew();
        var again = await ramp.WithConcurrencyAsync(users.Length, users.Length, cancellationToken);
        var back = again.Users.ToArray();
        var firstFailures = again.Failures;
        var retries = 0;
        var backoff = TimeSpan.FromSeconds(1);
        while (clock.Elapsed < GiveUpAfter)
        {
            var missing = Enumerable.Range(0, back.Length).Where(i => back[i] is null).ToList();
            if (missing.Count == 0)
            {
                break;
            }
            retries += missing.Count;
            await Task.Delay(backoff + TimeSpan.FromMilliseconds(Random.Shared.Next(1000)), cancellationToken);
            backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 8));
            var retry = await ramp.WithConcurrencyAsync(back.Length, missing, missing.Count, cancellationToken);
            foreach (var i in missing)
            {
                back[i] = retry.Users[i];
            }
        }
        var seconds = clock.Elapsed.TotalSeconds;
        await ramp.DisposeAsync(users);
        var neverBack = back.Count(u => u is null);
        result["reconnect_failures"] = neverBack;
        result["reconnect_first_attempt_failures"] = firstFailures;
        result["reconnect_first_attempt_failure_reasons"] = again.FailureReasonsText;
        result["reconnect_retries"] = retries;
        result["reconnect_seconds"] = Math.Round(seconds, 2);
        result["reconnects_per_second"] = Math.Round((back.Length - neverBack) / seconds, 1);
        result["reconnect_ms_p50"] = Percentiles.Of(again.LoginMs, 0.5);
        result["reconnect_ms_p99"] = Percentiles.Of(again.LoginMs, 0.99);

        var delivered = 0;
        var sent = 0;
        foreach (var user in back)
        {
            if (user is not null)
            {
                user.OnMessage = _ => Interlocked.Increment(ref delivered);
            }
        }
        var sends = new List<Task>();
        for (var i = 0; i < back.Length; i++)
        {
            if (back[i] is { } from && back[i ^ 1] is { } to)
            {
                sends.Add(from.SendMessageAsync(to.Jid, "after the storm", cancellationToken));
                sent++;
            }
        }
        await Task.WhenAll(sends);
        var drain = Stopwatch.StartNew();
        while (Volatile.Read(ref delivered) < sent && drain.Elapsed < TimeSpan.FromSeconds(15))
        {
            await Task.Delay(50, cancellationToken);
        }
        result["messages_sent"] = sent;
        result["messages_lost"] = sent - Volatile.Read(ref delivered);
        return back;
    }
}
