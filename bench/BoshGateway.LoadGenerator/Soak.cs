using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>
/// A long run with churn: every user logs in, pairs (1↔2, 3↔4, …) chat at a fixed total rate among
/// the users that are online, and every second a fraction of the online users does one of three
/// things: logs out cleanly (BOSH terminate / WebSocket <c>&lt;close/&gt;</c>) and logs in again; reloads
/// the page (the session is dropped without a word — socket aborted, long-poll abandoned — and a new
/// one logged in at once); or drops and comes back 2–5 s later. At the end every user logs out.
/// <para>
/// The loss oracle is honest about what XMPP promises. Without XEP-0198 (these users do not enable
/// it) a stanza on its way to or from a session that goes away may be lost: the server may still route
/// it to the dead session, a page that reloads discards what it had not sent. So a message counts
/// toward loss only when its sender and its receiver both stayed in the session they had when it was
/// sent for its whole flight; when either leaves (by any of the three ways, or because the session
/// ended unexpectedly, which is an error of its own) while a message is in flight, that message is
/// "excused" — and if it still arrives (offline storage, the same resource bound again) it is
/// counted as delivered after churn. A message still in flight after 30 s while both stayed is lost;
/// if it arrives later it is reported as late instead. A message arriving twice, or at the wrong
/// user, is an error.
/// </para>
/// </summary>
internal sealed class Soak
{
    private static readonly TimeSpan OverdueAfter = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan DrainAtMost = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ForgetExcusedAfter = TimeSpan.FromMinutes(10);
    private const int MaxLoginAttempts = 6;
    private const int ReportedAtMost = 10;

    private readonly LoadOptions _options;
    private readonly Func<int, IXmppUser> _newUser;
    private readonly Slot[] _slots;
    private readonly Lock _sync = new();
    private readonly Dictionary<long, Flight> _inFlight = [];
    private readonly HashSet<long>[] _flightsOf;
    private readonly Dictionary<long, long> _excused = [];
    private readonly HashSet<long> _overdue = [];
    private readonly List<double> _latencies = [];
    private readonly List<Task> _churns = [];
    private long _sent, _delivered, _deliveredAfterChurn, _excusedCount, _lost, _late, _duplicated, _misdelivered, _skipped;
    private int _logins, _loginFailures, _neverBack, _logouts, _reloads, _drops, _unexpectedEnds, _sendErrors, _reported;

    private Soak(LoadOptions options, Func<int, IXmppUser> newUser)
    {
        _options = options;
        _newUser = newUser;
        _slots = Enumerable.Range(0, options.Users).Select(i => new Slot(i)).ToArray();
        _flightsOf = Enumerable.Range(0, options.Users).Select(_ => new HashSet<long>()).ToArray();
    }

    /// <summary>Runs the soak; true when nothing was lost and nothing went wrong.</summary>
    public static async Task<bool> RunAsync(LoadOptions options, Func<int, IXmppUser> newUser, Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        var soak = new Soak(options, newUser);
        return await soak.RunAsync(result, cancellationToken);
    }

    private async Task<bool> RunAsync(Dictionary<string, object> result, CancellationToken cancellationToken)
    {
        var n = _slots.Length;
        var ramp = Stopwatch.StartNew();
        await Parallel.ForEachAsync(_slots, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency, CancellationToken = cancellationToken },
            async (slot, ct) => await LogInAsync(slot, ct));
        result["ramp_seconds"] = Math.Round(ramp.Elapsed.TotalSeconds, 2);
        Console.WriteLine($"  {Online()}/{n} users online after {ramp.Elapsed.TotalSeconds:0.0} s; soak for {_options.Duration.TotalSeconds:0} s, {_options.Rate:0.#} msg/s, churn {_options.Churn:0.####}/s");

        var clock = Stopwatch.StartNew();
        var progressEvery = _options.Duration > TimeSpan.FromMinutes(10) ? 60 : 10;
        var nextProgress = progressEvery;
        var nextSecond = 1;
        var churnDue = 0.0;
        var pair = 0L;
        using (var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(5)))
        {
            while (clock.Elapsed < _options.Duration && await timer.WaitForNextTickAsync(cancellationToken))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * _options.Rate);
                while (Interlocked.Read(ref _sent) + Interlocked.Read(ref _skipped) < due)
                {
                    SendOne(pair++, cancellationToken);
                }
                if (clock.Elapsed.TotalSeconds >= nextSecond)
                {
                    nextSecond++;
                    churnDue += _options.Churn * n;
                    for (; churnDue >= 1; churnDue--)
                    {
                        ChurnOne(cancellationToken);
                    }
                    CheckSessions(cancellationToken);
                    FlagOverdue(OverdueAfter);
                    if (nextSecond > nextProgress)
                    {
                        nextProgress += progressEvery;
                        Progress(clock.Elapsed);
                    }
                }
            }
        }

        var chatSeconds = clock.Elapsed.TotalSeconds;

        // Stop chatting and churning; let every churn finish (users come back), every send go out, and
        // what is in flight arrive; what has not after DrainAtMost is lost.
        Task[] pending;
        lock (_sync)
        {
            pending = [.. _churns, .. _slots.Select(s => s.Chain)];
        }
        await Task.WhenAll(pending);
        var drain = Stopwatch.StartNew();
        while (InFlight() > 0 && drain.Elapsed < DrainAtMost)
        {
            await Task.Delay(100, cancellationToken);
        }
        FlagOverdue(TimeSpan.Zero);
        var seconds = clock.Elapsed.TotalSeconds;
        Progress(clock.Elapsed);

        // Everyone leaves cleanly, so the gateway should go back to where it was before.
        var leftAtEnd = Online();
        await Parallel.ForEachAsync(_slots, new ParallelOptions { MaxDegreeOfParallelism = _options.Concurrency }, async (slot, _) =>
        {
            IXmppUser? user;
            lock (_sync)
            {
                user = slot.User;
                slot.User = null;
                slot.Online = false;
            }
            if (user is not null)
            {
                await user.DisposeAsync();
            }
        });

        lock (_sync)
        {
            _latencies.Sort();
            result["soak_seconds"] = Math.Round(seconds, 1);
            result["bosh_users"] = Enumerable.Range(0, n).Count(i => _options.TransportOf(i) == "bosh");
            result["websocket_users"] = Enumerable.Range(0, n).Count(i => _options.TransportOf(i) == "websocket");
            result["churn_per_second"] = _options.Churn;
            result["logins"] = _logins;
            result["login_failures"] = _loginFailures;
            result["users_never_back"] = _neverBack;
            result["logouts"] = _logouts;
            result["reloads"] = _reloads;
            result["drops"] = _drops;
            result["unexpected_session_ends"] = _unexpectedEnds;
            result["final_logouts"] = leftAtEnd;
            result["messages_sent"] = _sent;
            result["messages_delivered"] = _delivered;
            result["messages_excused_by_churn"] = _excusedCount;
            result["messages_delivered_after_churn"] = _deliveredAfterChurn;
            result["messages_lost"] = _lost;
            result["messages_late"] = _late;
            result["messages_duplicated"] = _duplicated;
            result["messages_misdelivered"] = _misdelivered;
            result["messages_not_sent_partner_away"] = _skipped;
            result["send_errors"] = _sendErrors;
            result["rate_per_second"] = Math.Round(_delivered / chatSeconds, 1);
            result["latency_ms_p50"] = Percentiles.Of(_latencies, 0.50);
            result["latency_ms_p99"] = Percentiles.Of(_latencies, 0.99);
            result["latency_ms_p999"] = Percentiles.Of(_latencies, 0.999);
            var errors = _loginFailures + _unexpectedEnds + _sendErrors + _duplicated + _misdelivered;
            result["errors"] = errors;
            return errors == 0 && _lost == 0 && _neverBack == 0;
        }
    }

    /// <summary>
    /// The next message in the round: pairs in turn, each pair's direction alternating. A pair with a
    /// user away (churning) is passed over for the next one; when every pair has one, the slot is skipped.
    /// </summary>
    private void SendOne(long pair, CancellationToken cancellationToken)
    {
        var pairs = _slots.Length / 2;
        lock (_sync)
        {
            for (var tried = 0; tried < pairs; tried++)
            {
                var p = (int)((pair + tried) % pairs);
                var from = _slots[2 * p + (int)(pair / pairs % 2)];
                var to = _slots[from.Index ^ 1];
                if (!from.Online || !to.Online || from.User is not { } sender || to.User is not { } receiver)
                {
                    continue;
                }
                var seq = from.Seq++;
                var key = Key(from.Index, seq);
                var body = string.Create(CultureInfo.InvariantCulture, $"{from.Index} {seq} {Stopwatch.GetTimestamp()}");
                _inFlight[key] = new Flight(from.Index, to.Index, Stopwatch.GetTimestamp());
                _flightsOf[from.Index].Add(key);
                _flightsOf[to.Index].Add(key);
                _sent++;
                from.Chain = SendAfterAsync(from.Chain, from, sender, receiver.Jid, body, cancellationToken);
                return;
            }
            _skipped++;
        }
    }

    private async Task SendAfterAsync(Task previous, Slot slot, IXmppUser user, string to, string body, CancellationToken cancellationToken)
    {
        await previous;
        try
        {
            await user.SendMessageAsync(to, body, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            lock (_sync)
            {
                // A send on a session this user already left (aborted socket, disposed) is expected.
                if (slot.User != user || !slot.Online)
                {
                    return;
                }
                _sendErrors++;
            }
            Report($"send from {user.Jid}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private void Received(int receiver, string body)
    {
        var parts = body.Split(' ');
        if (parts.Length != 3 || !int.TryParse(parts[0], CultureInfo.InvariantCulture, out var sender) || !long.TryParse(parts[1], CultureInfo.InvariantCulture, out var seq)
            || !long.TryParse(parts[2], CultureInfo.InvariantCulture, out var sentAt))
        {
            return;
        }
        var key = Key(sender, seq);
        var ms = Stopwatch.GetElapsedTime(sentAt).TotalMilliseconds;
        lock (_sync)
        {
            if (_inFlight.Remove(key, out var flight))
            {
                _flightsOf[flight.Sender].Remove(key);
                _flightsOf[flight.Receiver].Remove(key);
                if (flight.Receiver != receiver)
                {
                    _misdelivered++;
                }
                else
                {
                    _delivered++;
                    _latencies.Add(ms);
                }
            }
            else if (_overdue.Remove(key))
            {
                _lost--;
                _late++;
            }
            else if (_excused.Remove(key))
            {
                _deliveredAfterChurn++;
            }
            else
            {
                _duplicated++;
            }
        }
    }

    /// <summary>Picks an online user at random and starts one of the three churns.</summary>
    private void ChurnOne(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            for (var tries = 0; tries < 20; tries++)
            {
                var slot = _slots[Random.Shared.Next(_slots.Length)];
                if (slot.Online && slot.User is { } user)
                {
                    var kind = (ChurnKind)Random.Shared.Next(3);
                    Leave(slot);
                    _churns.RemoveAll(t => t.IsCompleted);
                    _churns.Add(ChurnAsync(slot, user, kind, cancellationToken));
                    return;
                }
            }
        }
    }

    private async Task ChurnAsync(Slot slot, IXmppUser old, ChurnKind kind, CancellationToken cancellationToken)
    {
        await Task.Yield();
        switch (kind)
        {
            case ChurnKind.Logout:
                await old.DisposeAsync();
                Interlocked.Increment(ref _logouts);
                break;
            case ChurnKind.Reload:
                old.Abort();
                _ = old.DisposeAsync().AsTask();
                Interlocked.Increment(ref _reloads);
                break;
            case ChurnKind.Drop:
                old.Abort();
                _ = old.DisposeAsync().AsTask();
                Interlocked.Increment(ref _drops);
                await Task.Delay(TimeSpan.FromMilliseconds(2000 + Random.Shared.Next(3000)), cancellationToken);
                break;
            default:
                // The session ended on its own (counted as an error already): come back as a client would.
                old.Abort();
                _ = old.DisposeAsync().AsTask();
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
                break;
        }
        await LogInAsync(slot, cancellationToken);
    }

    /// <summary>Logs the slot's user in (retrying with backoff, as client libraries do); counts failures.</summary>
    private async Task LogInAsync(Slot slot, CancellationToken cancellationToken)
    {
        var name = _options.UserPrefix + (slot.Index + 1).ToString(CultureInfo.InvariantCulture);
        for (var attempt = 1; ; attempt++)
        {
            var user = _newUser(slot.Index);
            var receiver = slot.Index;
            user.OnMessage = body => Received(receiver, body);
            try
            {
                await user.LoginAsync(new Credentials(name, _options.Password, _options.Mechanism), cancellationToken);
                lock (_sync)
                {
                    slot.User = user;
                    slot.Online = true;
                    _logins++;
                }
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _loginFailures);
                Report($"login {name} (attempt {attempt}): {ex.GetType().Name}: {ex.Message}");
                user.Abort();
                await user.DisposeAsync();
                if (attempt == MaxLoginAttempts)
                {
                    Interlocked.Increment(ref _neverBack);
                    return;
                }
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(8, 1 << (attempt - 1))) + TimeSpan.FromMilliseconds(Random.Shared.Next(1000)), cancellationToken);
            }
        }
    }

    /// <summary>A session that ended without the user ending it is an error; the user comes back.</summary>
    private void CheckSessions(CancellationToken cancellationToken)
    {
        lock (_sync)
        {
            foreach (var slot in _slots)
            {
                if (slot.Online && slot.User is { Ended: true } user)
                {
                    _unexpectedEnds++;
                    Report($"session of {user.Jid} ended unexpectedly");
                    Leave(slot);
                    _churns.Add(ChurnAsync(slot, user, ChurnKind.Reconnect, cancellationToken));
                }
            }
        }
    }

    /// <summary>The user leaves its session (caller holds the lock): what is in flight to or from it is excused.</summary>
    private void Leave(Slot slot)
    {
        slot.Online = false;
        slot.User = null;
        var now = Stopwatch.GetTimestamp();
        foreach (var key in _flightsOf[slot.Index])
        {
            if (_inFlight.Remove(key, out var flight))
            {
                _excused[key] = now;
                _excusedCount++;
                _flightsOf[flight.Sender == slot.Index ? flight.Receiver : flight.Sender].Remove(key);
            }
        }
        _flightsOf[slot.Index].Clear();
    }

    /// <summary>Messages in flight longer than <paramref name="after"/> while both users stayed are lost; long-excused ones are forgotten.</summary>
    private void FlagOverdue(TimeSpan after)
    {
        lock (_sync)
        {
            foreach (var (key, flight) in _inFlight.Where(f => Stopwatch.GetElapsedTime(f.Value.SentAt) >= after).ToList())
            {
                _inFlight.Remove(key);
                _flightsOf[flight.Sender].Remove(key);
                _flightsOf[flight.Receiver].Remove(key);
                _overdue.Add(key);
                _lost++;
                Report($"message {flight.Sender + 1}→{flight.Receiver + 1} #{key & 0xFFFFFFFF} not delivered after {Stopwatch.GetElapsedTime(flight.SentAt).TotalSeconds:0.0} s");
            }
            foreach (var key in _excused.Where(e => Stopwatch.GetElapsedTime(e.Value) > ForgetExcusedAfter).Select(e => e.Key).ToList())
            {
                _excused.Remove(key);
            }
        }
    }

    private void Progress(TimeSpan elapsed)
    {
        lock (_sync)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {elapsed.TotalSeconds,6:0}s  online {_slots.Count(s => s.Online),6}  logins {_logins,7}  logouts {_logouts,6}  reloads {_reloads,6}  drops {_drops,6}  sent {_sent,9}  delivered {_delivered,9}  excused {_excusedCount,6}  lost {_lost}  errors {_loginFailures + _unexpectedEnds + _sendErrors + _duplicated + _misdelivered}"));
        }
    }

    private void Report(string line)
    {
        if (Interlocked.Increment(ref _reported) <= ReportedAtMost)
        {
            Console.Error.WriteLine("  " + line);
        }
    }

    private int Online()
    {
        lock (_sync)
        {
            return _slots.Count(s => s.Online);
        }
    }

    private int InFlight()
    {
        lock (_sync)
        {
            return _inFlight.Count;
        }
    }

    private static long Key(int sender, long seq) => ((long)sender << 32) | (seq & 0xFFFFFFFF);

    private enum ChurnKind
    {
        Logout,
        Reload,
        Drop,
        Reconnect,
    }

    private sealed record Flight(int Sender, int Receiver, long SentAt);

    /// <summary>One account: its current session (null while away), whether it may chat, its send chain.</summary>
    private sealed class Slot(int index)
    {
        public int Index { get; } = index;

        public IXmppUser? User { get; set; }

        public bool Online { get; set; }

        public Task Chain { get; set; } = Task.CompletedTask;

        public long Seq { get; set; }
    }
}
