using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// "Nothing lost", counted. Pairs of users (1↔2, 3↔4, …) send each other numbered messages at a fixed
/// total rate for the run's duration while something outside (bench/ledger.sh) breaks a gateway node,
/// the server, Redis or nginx. Every user notices a lost session by itself and comes back as its kind
/// of client does: with XEP-0198 (even pairs: enable, ack, resume through any node, resend what the
/// server did not acknowledge) or without it (odd pairs: log in again; the server's offline storage
/// delivers what arrived while the user was away). At the end every recipient's ledger is compared with
/// what was sent to it: missing, duplicated, reordered, and bounced back to the sender (an error the
/// sender saw: not silent). With <c>--fault-file</c> (the time of the fault, Unix ms, written by the
/// script) it also reports how long after the fault each client noticed and was back.
/// </summary>
internal sealed class Ledger
{
    private readonly LoadOptions _options;
    private readonly ResumableUser[] _users;
    private readonly string[] _names;
    private readonly ConcurrentDictionary<(int From, int To), List<long>> _arrivals = new();
    private readonly ConcurrentDictionary<(int From, int To), ConcurrentBag<long>> _bounced = new();
    private readonly ConcurrentDictionary<(int From, int To), ConcurrentBag<long>> _archived = new();
    private readonly ConcurrentDictionary<(int From, int To), long> _sent = new();
    private readonly ConcurrentQueue<(bool Sm, long NoticedAtMs, double BackAfterMs)> _recoveries = new();
    private readonly ConcurrentDictionary<int, Task> _recovering = new();
    private int _misdelivered, _notBack;

    private Ledger(LoadOptions options, Func<int, IXmppUser> newUser)
    {
        _options = options;
        _names = [.. Enumerable.Range(1, options.Users).Select(i => options.UserPrefix + i.ToString(CultureInfo.InvariantCulture))];
        _users = [.. Enumerable.Range(0, options.Users).Select(i =>
            new ResumableUser(() => newUser(i), new Credentials(_names[i], options.Password, options.Mechanism), WithStreamManagement(options, i)))];
    }

    /// <summary>Which users speak XEP-0198: <c>--sm on|off|both</c> (both: even pairs do, odd pairs do not).</summary>
    private static bool WithStreamManagement(LoadOptions options, int index) => options.StreamManagement switch
    {
        "on" => true,
        "off" => false,
        _ => index / 2 % 2 == 0,
    };

    public static async Task<bool> RunAsync(LoadOptions options, Func<int, IXmppUser> newUser, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        var ledger = new Ledger(options, newUser);
        return await ledger.RunAsync(result, cancellationToken);
    }

    private async Task<bool> RunAsync(Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        for (var i = 0; i < _users.Length; i++)
        {
            var me = i;
            _users[i].OnMessage = (body, how) => Received(me, body, how);
        }
        using (var logins = new SemaphoreSlim(_options.Concurrency))
        {
            await Task.WhenAll(_users.Select(async user =>
            {
                await logins.WaitAsync(cancellationToken);
                try
                {
                    await user.LoginAsync(cancellationToken);
                }
                finally
                {
                    logins.Release();
                }
            }));
        }
        // bench/ledger.sh waits for this line before it breaks something.
        Console.Error.WriteLine($"ledger: {_users.Length} users online; chatting for {_options.Duration.TotalSeconds} s");
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watching = WatchAsync(stopWatching.Token);
        await ChatAsync(cancellationToken);
        Console.Error.WriteLine("ledger: chat over; settling");
        await SettleAsync(cancellationToken);
        await stopWatching.CancelAsync();
        await watching;
        await ReadArchivesAsync(cancellationToken);
        Report(result);
        foreach (var user in _users)
        {
            await user.DisposeAsync();
        }
        // Duplicates and reordering are XEP-0198's honest limit only when a resumption failed (the server lost
        // the session: everything unacknowledged is sent again on a new one); otherwise they are bugs.
        var resumeFailed = (int)result["sm_resume_failed"] > 0;
        return (long)result["sm_missing"] == 0 && (resumeFailed || ((long)result["sm_duplicated"] == 0 && (long)result["sm_reordered"] == 0))
            && _notBack == 0 && _misdelivered == 0 && PlainUsersToldInTime(result);
    }

    /// <summary>A user without XEP-0198 has nothing to resume: how soon it is told is what the deployment promises.</summary>
    private bool PlainUsersToldInTime(Dictionary<string, object> result)
    {
        if (_options.NoticedWithin is not { } bound || !result.TryGetValue("plain_noticed_after_fault_ms_max", out var value))
        {
            return true;
        }
        var noticed = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        if (noticed <= bound.TotalMilliseconds)
        {
            return true;
        }
        Console.Error.WriteLine($"ledger: a user without XEP-0198 noticed the fault after {noticed} ms, past the bound of {bound.TotalMilliseconds} ms");
        return false;
    }

    /// <summary>The whole run's messages, evenly spread: user a sends "L a b n" to its partner b.</summary>
    private async Task ChatAsync(CancellationToken cancellationToken)
    {
        var interval = TimeSpan.FromSeconds(1 / _options.Rate);
        var started = Stopwatch.GetTimestamp();
        for (long n = 0; Stopwatch.GetElapsedTime(started) < _options.Duration; n++)
        {
            var due = interval * n - Stopwatch.GetElapsedTime(started);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }
            var from = (int)(n % _users.Length);
            var to = from ^ 1;
            var seq = _sent.AddOrUpdate((from, to), 1, (_, s) => s + 1);
            await _users[from].SendMessageAsync($"{_names[to]}@{_options.Domain}", $"L {from} {to} {seq}", cancellationToken);
        }
    }

    /// <summary>Every user notices a lost session on its own (its transport says so) and comes back.</summary>
    private async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                for (var i = 0; i < _users.Length; i++)
                {
                    if (_users[i].Ended && !_recovering.ContainsKey(i))
                    {
                        var index = i;
                        _recovering[i] = Task.Run(() => RecoverAsync(index, cancellationToken), CancellationToken.None);
                    }
                }
                await Task.Delay(50, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(_recovering.Values);
    }

    private async Task RecoverAsync(int index, CancellationToken cancellationToken)
    {
        var user = _users[index];
        var noticedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        try
        {
            var took = await user.RecoverAsync(Stopwatch.GetTimestamp(), cancellationToken);
            _recoveries.Enqueue((user.StreamManagement, noticedAt, took.TotalMilliseconds));
        }
        catch (Exception ex) when (ex is InvalidOperationException or OperationCanceledException)
        {
            Interlocked.Increment(ref _notBack);
            Console.Error.WriteLine($"ledger: {_names[index]} not back: {ex.Message}");
        }
        finally
        {
            _recovering.TryRemove(index, out _);
        }
    }

    /// <summary>Waits until every user is back and every XEP-0198 user's stanzas are acknowledged, then a few quiet seconds for deliveries.</summary>
    private async Task SettleAsync(CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60;
        while (Stopwatch.GetTimestamp() < deadline && (!_recovering.IsEmpty || _users.Any(u => u.Ended || u.Unacked > 0)))
        {
            foreach (var user in _users)
            {
                await user.RequestAckAsync(cancellationToken);
            }
            await Task.Delay(500, cancellationToken);
        }
        await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
    }

    /// <summary>
    /// The last resort for what a user never received live (robustness.md, L2): each recipient with
    /// messages missing looks them up in its archive (XEP-0313), as a client without XEP-0198 does after
    /// logging in again. Only works when the server archives (bench/ledger.sh turns Prosody's mod_mam on).
    /// </summary>
    private async Task ReadArchivesAsync(CancellationToken cancellationToken)
    {
        foreach (var ((from, to), count) in _sent)
        {
            var arrived = _arrivals.TryGetValue((from, to), out var list) ? list : [];
            int distinct;
            lock (arrived)
            {
                distinct = arrived.Distinct().Count();
            }
            if (distinct < count && !_users[to].Ended)
            {
                try
                {
                    await _users[to].ReadArchiveAsync($"{_names[from]}@{_options.Domain}", (int)Math.Min(count * 2, 5000), cancellationToken);
                }
                catch (TimeoutException)
                {
                    Console.Error.WriteLine($"ledger: {_names[to]}'s archive did not answer (is mod_mam on?); no more archive lookups");
                    return;
                }
            }
        }
    }

    private void Received(int me, string body, Stanzas.Arrival how)
    {
        var parts = body.Split(' ');
        if (parts is not ["L", var fromText, var toText, var seqText])
        {
            return;
        }
        var (from, to, seq) = (int.Parse(fromText, CultureInfo.InvariantCulture), int.Parse(toText, CultureInfo.InvariantCulture), long.Parse(seqText, CultureInfo.InvariantCulture));
        if (how == Stanzas.Arrival.Bounced)
        {
            _bounced.GetOrAdd((from, to), _ => []).Add(seq);
            return;
        }
        if (how == Stanzas.Arrival.Archived)
        {
            _archived.GetOrAdd((from, to), _ => []).Add(seq);
            return;
        }
        if (to != me)
        {
            Interlocked.Increment(ref _misdelivered);
            return;
        }
        var list = _arrivals.GetOrAdd((from, to), _ => []);
        lock (list)
        {
            list.Add(seq);
        }
    }

    private void Report(Dictionary<string, object> result)
    {
        var faultAt = _options.FaultFile is { } file && File.Exists(file) && long.TryParse(File.ReadAllText(file).Trim(), out var ms) ? ms : (long?)null;
        foreach (var sm in new[] { true, false })
        {
            var kind = sm ? "sm" : "plain";
            long sent = 0, delivered = 0, missing = 0, duplicated = 0, reordered = 0, bounced = 0, archived = 0;
            foreach (var ((from, to), count) in _sent)
            {
                if (_users[from].StreamManagement != sm)
                {
                    continue;
                }
                sent += count;
                var arrivals = _arrivals.TryGetValue((from, to), out var list) ? list : [];
                var bounces = _bounced.TryGetValue((from, to), out var bag) ? bag.ToHashSet() : [];
                var inArchive = _archived.TryGetValue((from, to), out var kept) ? kept.ToHashSet() : [];
                var seen = new HashSet<long>();
                long highest = 0;
                lock (arrivals)
                {
                    foreach (var seq in arrivals)
                    {
                        if (!seen.Add(seq))
                        {
                            duplicated++;
                            continue;
                        }
                        if (seq < highest)
                        {
                            reordered++;
                        }
                        highest = Math.Max(highest, seq);
                    }
                }
                delivered += seen.Count;
                for (long seq = 1; seq <= count; seq++)
                {
                    if (!seen.Contains(seq))
                    {
                        if (bounces.Contains(seq))
                        {
                            bounced++;
                        }
                        else
                        {
                            missing++;
                            if (inArchive.Contains(seq))
                            {
                                archived++;
                            }
                        }
                    }
                }
            }
            var users = _users.Where(u => u.StreamManagement == sm).ToList();
            var recoveries = _recoveries.Where(r => r.Sm == sm).ToList();
            result[$"{kind}_users"] = users.Count;
            result[$"{kind}_sent"] = sent;
            result[$"{kind}_delivered"] = delivered;
            result[$"{kind}_missing"] = missing;
            result[$"{kind}_missing_found_in_archive"] = archived;
            result[$"{kind}_bounced"] = bounced;
            result[$"{kind}_duplicated"] = duplicated;
            result[$"{kind}_reordered"] = reordered;
            result[$"{kind}_sessions_lost"] = recoveries.Count;
            if (recoveries.Count > 0)
            {
                var back = recoveries.Select(r => r.BackAfterMs).Order().ToList();
                result[$"{kind}_back_ms_p50"] = Percentiles.Of(back, 0.5);
                result[$"{kind}_back_ms_max"] = Math.Round(back[^1], 1);
                if (faultAt is { } fault)
                {
                    var noticed = recoveries.Select(r => (double)(r.NoticedAtMs - fault)).Order().ToList();
                    result[$"{kind}_noticed_after_fault_ms_p50"] = Percentiles.Of(noticed, 0.5);
                    result[$"{kind}_noticed_after_fault_ms_max"] = noticed[^1];
                }
            }
            if (sm)
            {
                result["sm_resumed"] = users.Sum(u => u.Resumed);
                result["sm_resume_failed"] = users.Sum(u => u.ResumeFailed);
                result["sm_resent"] = users.Sum(u => u.Resent);
            }
            else
            {
                result["plain_relogins"] = users.Sum(u => u.Relogins);
            }
        }
        // Everything the archives returned (delivered messages included): 0 with messages missing means no archive answered.
        result["archive_results"] = _archived.Values.Sum(bag => bag.Count);
        result["misdelivered"] = _misdelivered;
        result["users_not_back"] = _notBack;
    }
}
