using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>
/// Issue 11: hundreds of BOSH clients that drop their held request (TCP RST) right when the gateway answers
/// it, by the sweeper at <c>wait</c> expiry or by the backend read loop when a message arrives. An answer
/// racing the client's abort must never wedge a session's lock, the sweeper with it, and so every other
/// session's <c>wait</c>: a well-behaved canary session keeps long-polling throughout and must be answered
/// in time, every time.
/// </summary>
public class HeldRequestAbortStressTests
{
    private const int Wait = 1;
    private const int AbortingSessions = 240;
    private const int Receivers = 20;
    private const int CreationConcurrency = 16;
    private static readonly TimeSpan TimerResolution = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// A held request is answered at the first sweeper tick at or after its deadline, so at most
    /// <c>wait</c> + <c>TimerResolution</c> (1.25 s) after it arrived; the remaining 1.75 s cover a loaded
    /// 2-core machine (thread pool, GC, Prosody and 260 clients beside the gateway).
    /// </summary>
    private static readonly TimeSpan CanaryBound = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan StressTime = TimeSpan.FromSeconds(50);
    private static readonly TimeSpan SetupTime = TimeSpan.FromSeconds(60);

    /// <summary>Messages go to the receivers this often: under <c>wait</c>, so their polls are answered by the backend read loop.</summary>
    private static readonly TimeSpan BroadcastInterval = TimeSpan.FromMilliseconds(700);

    [Fact]
    public async Task ClientsDroppingHeldRequestsAsTheyAreAnswered_NeverStallOtherSessions()
    {
        // A Prosody of its own: the run's 260 sessions do not load the shared one, nor use up its accounts.
        var users = Enumerable.Range(1, Receivers + 1).Select(i => $"stress{i:00}").ToArray();
        var server = await XmppServers.StartPrivateProsodyAsync("prosody-stress", users);
        server.RequireRunning();
        try
        {
            await RunAsync(server, users);
        }
        finally
        {
            await XmppServers.StopPrivateAsync(server);
        }
    }

    private static async Task RunAsync(XmppServer server, string[] users)
    {
        var gateway = await GatewayHost.StartAsync(server.C2sPort,
            // Hundreds of unauthenticated sessions from one address for 50 s: the per-address throttles and
            // the pre-auth deadline would (rightly) refuse them; this test is about held requests.
            "Gateway:MaxSessionsPerClientAddress=1000",
            "Gateway:Throttle:SessionsPerSecond=0",
            "Gateway:Throttle:MaxUnauthenticatedPerAddress=1000",
            "Gateway:Bosh:PreAuthTimeout=00:05:00",
            $"Gateway:Bosh:TimerResolution={TimerResolution.ToString("c", CultureInfo.InvariantCulture)}",
            "Gateway:Bosh:Inactivity=00:00:30");
        var stopTried = false;
        var stalled = false;
        try
        {
            using var run = new StressRun(gateway.BoshUrl, server.Domain);
            await run.SetUpAsync(users);
            await run.RunAsync(StressTime);
            TestContext.Current.TestOutputHelper?.WriteLine(run.Summary());
            stalled = run.Stall is not null;
            Assert.True(run.Stall is null, run.Stall + "\n" + run.Summary());
            Assert.True(run.Aborted >= 1000, "too few aborted requests for a meaningful run: " + run.Summary());

            // Afterwards the aborting sessions still answer (they can be terminated) and new sessions still work.
            await run.TerminateAllAsync();
            await run.CheckFreshSessionAsync();
            stopTried = true;
            var stopped = await StopBoundedAsync(gateway, TimeSpan.FromSeconds(20));
            Assert.True(stopped, "the gateway did not stop within 20 s: some session lock is held for good");
        }
        finally
        {
            if (!stopTried)
            {
                // After a stall the gateway cannot stop (ending a session takes its lock): do not wait long for it.
                await StopBoundedAsync(gateway, TimeSpan.FromSeconds(stalled ? 3 : 20));
            }
        }
    }

    /// <summary>Stopping ends every session under its lock; with a wedged lock that would never return, so it is bounded.</summary>
    private static async Task<bool> StopBoundedAsync(GatewayHost gateway, TimeSpan bound)
    {
        try
        {
            await Task.Run(async () => await gateway.DisposeAsync()).WaitAsync(bound);
            return true;
        }
        catch (TimeoutException)
        {
            TestContext.Current.TestOutputHelper?.WriteLine($"the gateway did not stop within {bound.TotalSeconds} s (left behind)");
            return false;
        }
    }

    /// <summary>Everything one run shares: the sessions, the clock, the counters, the stop signal.</summary>
    private sealed class StressRun(Uri url, string domain) : IDisposable
    {
        private readonly List<RawBoshSession> _aborting = [];
        private readonly List<RawBoshSession> _receivers = [];
        private RawBoshSession _sender = null!;
        private RawBoshSession _canary = null!;
        private readonly CancellationTokenSource _stop = new();
        private readonly TickClock _ticks = new(TimerResolution);
        private readonly Stopwatch _clock = new();
        private TaskCompletionSource<double> _broadcast = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock _errorsLock = new();
        private readonly List<string> _errors = [];
        private readonly Tally _anonymous = new();
        private readonly Tally _received = new();
        private long _broadcasts;
        private long _canaryPolls;
        private double _canaryMaxSeconds;
        private double _canaryLastAnswer;
        private volatile string? _stall;

        public string? Stall => _stall;

        public long Aborted => Interlocked.Read(ref _anonymous.Dropped) + Interlocked.Read(ref _received.Dropped);

        private double Now => _clock.Elapsed.TotalMilliseconds;

        public async Task SetUpAsync(string[] users)
        {
            using var setup = new CancellationTokenSource(SetupTime);
            var token = setup.Token;
            _canary = new RawBoshSession(url, domain);
            await _canary.CreateAsync(Wait, 1, token);
            _sender = new RawBoshSession(url, domain);
            var logins = new List<Task> { _sender.LoginAsync(users[0], Wait, 1, token) };
            foreach (var user in users.Skip(1))
            {
                var receiver = new RawBoshSession(url, domain);
                _receivers.Add(receiver);
                logins.Add(receiver.LoginAsync(user, Wait, 1, token));
            }
            await Task.WhenAll(logins);
            using var gate = new SemaphoreSlim(CreationConcurrency);
            var creations = Enumerable.Range(0, AbortingSessions).Select(async _ =>
            {
                var session = new RawBoshSession(url, domain);
                await gate.WaitAsync(token);
                try
                {
                    await session.CreateAsync(Wait, 1, token);
                }
                finally
                {
                    gate.Release();
                }
                return session;
            });
            _aborting.AddRange(await Task.WhenAll(creations));
        }

        public async Task RunAsync(TimeSpan duration)
        {
            _clock.Start();
            _stop.CancelAfter(duration);
            var loops = new List<Task> { CanaryLoopAsync(), SenderLoopAsync() };
            loops.AddRange(_aborting.Select(AbortLoopAsync));
            loops.AddRange(_receivers.Select(ReceiverLoopAsync));
            // Every loop ends by itself once _stop fires (each step is bounded by it); the bound here is a backstop.
            await Task.WhenAll(loops).WaitAsync(duration + TimeSpan.FromSeconds(30));
        }

        /// <summary>The well-behaved client: one empty long-poll after another; each must be answered within <see cref="CanaryBound"/>.</summary>
        private async Task CanaryLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                var rid = _canary.RidForNextRequest();
                _canary.Unanswered = rid;
                var sent = Now;
                using var bound = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                bound.CancelAfter(CanaryBound);
                XElement body;
                try
                {
                    body = await _canary.ExchangeAsync(_canary.Body(rid), bound.Token);
                }
                catch (OperationCanceledException) when (!_stop.IsCancellationRequested)
                {
                    _stall = string.Create(CultureInfo.InvariantCulture,
                        $"STALL: the gateway stopped answering waits between {_canaryLastAnswer / 1000:0.0} s and {(sent / 1000) + Wait + TimerResolution.TotalSeconds:0.0} s into the run: the canary's held request (rid {rid}, wait={Wait}, sent {sent / 1000:0.0} s into the run, after {_canaryPolls} answered polls, the last at {_canaryLastAnswer / 1000:0.0} s) was not answered within {CanaryBound.TotalSeconds} s (issue 11: a session lock wedged by an answer racing a client's abort, and the sweeper stuck behind it).");
                    await _stop.CancelAsync();
                    return;
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                _canary.Unanswered = null;
                var arrived = Now;
                _canaryPolls++;
                _canaryLastAnswer = arrived;
                _canaryMaxSeconds = Math.Max(_canaryMaxSeconds, (arrived - sent) / 1000);
                if ((string?)body.Attribute("type") == "terminate")
                {
                    _stall = "the canary session was terminated: " + body;
                    await _stop.CancelAsync();
                    return;
                }
                if (arrived - sent >= Wait * 1000 - 50)
                {
                    _ticks.Observe(arrived);
                }
            }
        }

        /// <summary>
        /// An unauthenticated session whose client drops each held request (RST) around its answer: half of the
        /// time aimed at the sweeper tick that answers it (learnt from answers seen), half anywhere within
        /// ±150 ms of the wait expiry. Then the next rid, on a new connection.
        /// </summary>
        private async Task AbortLoopAsync(RawBoshSession session)
        {
            // Spread the first requests over one wait so the sessions do not move in lockstep.
            await DelayAsync(Random.Shared.NextDouble() * Wait * 1000);
            while (!_stop.IsCancellationRequested)
            {
                var deadline = Now + Wait * 1000;
                var abortAt = Random.Shared.Next(2) == 0
                    ? _ticks.NextTickAtOrAfter(deadline + 0.5) + (Random.Shared.NextDouble() * 4) - 1
                    : deadline + ((Random.Shared.NextDouble() * 300) - 150);
                await ExchangeAndDropAsync(session, abortAt, null, _anonymous);
            }
        }

        /// <summary>A logged-in session whose client drops its held request a few ms after a message for it was sent.</summary>
        private async Task ReceiverLoopAsync(RawBoshSession session)
        {
            while (!_stop.IsCancellationRequested)
            {
                var broadcast = Volatile.Read(ref _broadcast).Task;
                await ExchangeAndDropAsync(session, double.NaN, broadcast, _received);
            }
        }

        private async Task ExchangeAndDropAsync(RawBoshSession session, double abortAt, Task<double>? afterBroadcast, Tally tally)
        {
            RawBoshRequest request;
            // Until its answer is read, the rid counts as unanswered and is sent again (as Strophe.js does).
            var rid = session.RidForNextRequest();
            session.Unanswered = rid;
            try
            {
                request = await RawBoshRequest.SendAsync(session.Url, session.Body(rid), _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException ex)
            {
                Error("connect/send: " + ex.Message);
                await DelayAsync(100);
                return;
            }
            using (request)
            {
                var sent = Now;
                var read = request.ReadAnswerAsync(_stop.Token);
                if (afterBroadcast is not null)
                {
                    await Task.WhenAny(read, afterBroadcast, Task.Delay(CanaryBound, _stop.Token));
                    abortAt = afterBroadcast.IsCompletedSuccessfully ? afterBroadcast.Result + (Random.Shared.NextDouble() * 10) : Now;
                }
                var delay = abortAt - Now;
                if (delay > 0 && !read.IsCompleted)
                {
                    await Task.WhenAny(read, Task.Delay(TimeSpan.FromMilliseconds(delay), _stop.Token));
                }
                if (read.IsCompleted)
                {
                    var arrived = Now;
                    if (read.IsCompletedSuccessfully)
                    {
                        session.Unanswered = null;
                        Interlocked.Increment(ref tally.Answered);
                        var (status, text) = read.Result;
                        if (status != 200 || text.Contains("type='terminate'", StringComparison.Ordinal) || text.Contains("type=\"terminate\"", StringComparison.Ordinal))
                        {
                            Error($"HTTP {status}: {text}");
                            await DelayAsync(1000);
                        }
                        else if (afterBroadcast is null && arrived - sent >= (Wait * 1000) - 50)
                        {
                            _ticks.Observe(arrived);
                        }
                    }
                    else if (!_stop.IsCancellationRequested)
                    {
                        Error("read: " + read.Exception?.InnerException?.Message);
                    }
                    return;
                }
                request.Reset();
                Interlocked.Increment(ref tally.Dropped);
                try
                {
                    await read;
                }
                catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
                {
                    // The read ends with the connection we dropped.
                }
            }
        }

        /// <summary>Every <see cref="BroadcastInterval"/>, one request from the sender carrying a message to every receiver.</summary>
        private async Task SenderLoopAsync()
        {
            var reads = new List<Task>();
            var n = 0;
            while (!_stop.IsCancellationRequested)
            {
                await DelayAsync(BroadcastInterval.TotalMilliseconds);
                if (_stop.IsCancellationRequested)
                {
                    break;
                }
                var messages = string.Concat(_receivers.Select(r => $"<message to='{r.Jid}' type='chat' id='s{n}'><body>ping {n}</body></message>"));
                n++;
                RawBoshRequest request;
                var rid = _sender.NextRid();
                try
                {
                    request = await RawBoshRequest.SendAsync(url, _sender.Body(rid, "", messages), _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    // The gateway may have read it or not: resend it before the terminate, as a client would.
                    _sender.Unanswered = rid;
                    break;
                }
                var sentAt = Now;
                Interlocked.Increment(ref _broadcasts);
                Interlocked.Exchange(ref _broadcast, new TaskCompletionSource<double>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(sentAt);
                // The sender's request is held (hold=1) until the next one or its wait: read it on the side.
                reads.Add(ReadSenderAnswerAsync(request));
            }
            _broadcast.TrySetCanceled();
            await Task.WhenAll(reads);
        }

        private async Task ReadSenderAnswerAsync(RawBoshRequest request)
        {
            using (request)
            {
                using var bound = new CancellationTokenSource(CanaryBound + TimeSpan.FromSeconds(2));
                try
                {
                    var (status, text) = await request.ReadAnswerAsync(bound.Token);
                    if (status != 200 || text.Contains("terminate", StringComparison.Ordinal))
                    {
                        Error($"sender: HTTP {status}: {text}");
                    }
                }
                catch (OperationCanceledException)
                {
                    if (!_stop.IsCancellationRequested)
                    {
                        Error("sender: no answer in time");
                    }
                }
            }
        }

        private async Task DelayAsync(double milliseconds)
        {
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(milliseconds), _stop.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }

        private void Error(string message)
        {
            lock (_errorsLock)
            {
                _errors.Add(string.Create(CultureInfo.InvariantCulture, $"{Now / 1000:0.0} s: {message}"));
            }
        }

        /// <summary>
        /// Terminates every session the run used; each must still answer, within 10 s in all. A session whose
        /// last request was dropped first gets that rid again (answered from the replay cache, or within its
        /// 1 s wait), as a client would resend it, then the terminate on the next rid.
        /// </summary>
        public async Task TerminateAllAsync()
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var gate = new SemaphoreSlim(4 * CreationConcurrency);
            var everyone = _aborting.Concat(_receivers).Append(_sender).Append(_canary).ToList();
            var answers = await Task.WhenAll(everyone.Select(async session =>
            {
                await gate.WaitAsync(bound.Token);
                try
                {
                    await session.SettleAsync(bound.Token);
                    return await session.PostAsync("type='terminate'", "", bound.Token);
                }
                finally
                {
                    gate.Release();
                }
            }));
            var refused = answers.Where(a => a.Attribute("condition") is not null).ToList();
            Assert.True(refused.Count == 0, $"{refused.Count} of {answers.Length} sessions were already ended with an error, e.g. {refused.FirstOrDefault()}");
        }

        /// <summary>A new session can still be created, and its held request is answered at its wait.</summary>
        public async Task CheckFreshSessionAsync()
        {
            using var bound = new CancellationTokenSource(CanaryBound * 2);
            var fresh = new RawBoshSession(url, domain);
            await fresh.CreateAsync(Wait, 1, bound.Token);
            var started = Stopwatch.GetTimestamp();
            var body = await fresh.PostAsync("", "", bound.Token);
            Assert.Null(body.Attribute("type"));
            Assert.True(Stopwatch.GetElapsedTime(started) <= CanaryBound, "a new session's wait was answered late");
            await fresh.PostAsync("type='terminate'", "", bound.Token);
        }

        public void Dispose() => _stop.Dispose();

        public string Summary()
        {
            lock (_errorsLock)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"""
                    {_aborting.Count} aborting sessions, {_receivers.Count} receivers, {_clock.Elapsed.TotalSeconds:0.0} s:
                      anonymous: {Interlocked.Read(ref _anonymous.Dropped)} requests dropped with RST, {Interlocked.Read(ref _anonymous.Answered)} answered before the drop
                      receivers: {Interlocked.Read(ref _received.Dropped)} dropped, {Interlocked.Read(ref _received.Answered)} answered first; {Interlocked.Read(ref _broadcasts)} broadcasts
                      canary: {_canaryPolls} polls answered, slowest {_canaryMaxSeconds:0.000} s (bound {CanaryBound.TotalSeconds} s)
                      errors: {_errors.Count}{string.Concat(_errors.Take(10).Select(e => "\n    " + e))}
                    """);
            }
        }
    }

    /// <summary>Requests of one kind of client: dropped by the client, or answered before it dropped them.</summary>
    private sealed class Tally
    {
        public long Dropped;
        public long Answered;
    }

    /// <summary>
    /// Where the gateway's sweeper ticks are, learnt from answers that came at wait expiry: the earliest such
    /// answer of a tick is a little after the tick. Lets clients aim their drop at the tick that answers them.
    /// </summary>
    private sealed class TickClock(TimeSpan period)
    {
        private readonly Lock _sync = new();
        private readonly double _period = period.TotalMilliseconds;
        private double _lastTick = double.NaN;

        public void Observe(double arrived)
        {
            lock (_sync)
            {
                if (double.IsNaN(_lastTick) || arrived > _lastTick + (_period / 2))
                {
                    _lastTick = arrived;
                }
                else if (arrived < _lastTick)
                {
                    _lastTick = arrived;
                }
            }
        }

        /// <summary>The first tick at or after <paramref name="time"/>; <paramref name="time"/> itself before anything was seen.</summary>
        public double NextTickAtOrAfter(double time)
        {
            lock (_sync)
            {
                return double.IsNaN(_lastTick) ? time : _lastTick + (Math.Ceiling((time - _lastTick) / _period) * _period);
            }
        }
    }
}
