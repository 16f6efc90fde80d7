using System.Diagnostics;
using System.Globalization;

namespace BoshGateway.LoadGenerator;

/// <summary>What logging in a batch of users took: the users (null where login failed), failures, per-login times.</summary>
internal sealed record LoginBatch(IXmppUser?[] Users, int Failures, List<double> LoginMs, TimeSpan Elapsed, Dictionary<string, int> FailureReasons)
{
    public double PerSecond => Math.Round((Users.Length - Failures) / Math.Max(Elapsed.TotalSeconds, 0.001), 1);

    /// <summary>The failures by reason, e.g. <c>resource-constraint: 12, HTTP 503: 3</c> (empty when none).</summary>
    public string FailureReasonsText => string.Join(", ", FailureReasons.OrderByDescending(r => r.Value).Select(r => $"{r.Key}: {r.Value}"));
}

/// <summary>Logs in users <c>prefix1…prefixN</c>, either with a bounded number at once or arriving at a fixed rate.</summary>
internal sealed class LoginRamp(LoadOptions options, Func<int, IXmppUser> newUser)
{
    private int _reported;

    /// <summary>Logs in <paramref name="count"/> users, at most <paramref name="concurrency"/> at a time.</summary>
    public Task<LoginBatch> WithConcurrencyAsync(int count, int concurrency, CancellationToken cancellationToken) =>
        WithConcurrencyAsync(count, Enumerable.Range(0, count), concurrency, cancellationToken);

    /// <summary>Logs in the users at <paramref name="indices"/> (of <paramref name="count"/>), at most <paramref name="concurrency"/> at a time.</summary>
    public async Task<LoginBatch> WithConcurrencyAsync(int count, IEnumerable<int> indices, int concurrency, CancellationToken cancellationToken)
    {
        var batch = new Batch(count);
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(indices, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken },
            async (i, ct) => await LoginOneAsync(batch, i, ct));
        return batch.Done(clock.Elapsed);
    }

    /// <summary>Starts <paramref name="count"/> logins at <paramref name="perSecond"/> (open loop: arrivals do not wait for earlier logins).</summary>
    public async Task<LoginBatch> AtRateAsync(int count, double perSecond, CancellationToken cancellationToken)
    {
        var batch = new Batch(count);
        var started = new Task[count];
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / perSecond) - clock.Elapsed;
            if (due > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(due, cancellationToken);
            }
            started[i] = LoginOneAsync(batch, i, cancellationToken);
        }
        await Task.WhenAll(started);
        return batch.Done(clock.Elapsed);
    }

    private async Task LoginOneAsync(Batch batch, int i, CancellationToken cancellationToken)
    {
        var user = newUser(i);
        var started = Stopwatch.GetTimestamp();
        try
        {
            var name = options.UserPrefix + (i + 1).ToString(CultureInfo.InvariantCulture);
            await user.LoginAsync(new Credentials(name, options.Password, options.Mechanism), cancellationToken);
            batch.Users[i] = user;
            lock (batch)
            {
                batch.LoginMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref batch.Failures);
            var reason = FailureReason(ex);
            lock (batch)
            {
                batch.FailureReasons[reason] = batch.FailureReasons.GetValueOrDefault(reason) + 1;
            }
            if (Interlocked.Increment(ref _reported) <= 3)
            {
                Console.Error.WriteLine($"login {i + 1}: {ex.GetType().Name}: {ex.Message}");
            }
            user.Abort();
            await user.DisposeAsync();
        }
    }

    /// <summary>
    /// A short name for why a login failed: the stream error's condition (<c>resource-constraint</c>), a BOSH
    /// terminate's condition (<c>terminate remote-connection-failed</c>), the HTTP status, or the exception type.
    /// </summary>
    public static string FailureReason(Exception ex)
    {
        var text = ex.Message;
        var at = text.IndexOf(" xmlns='urn:ietf:params:xml:ns:xmpp-streams'", StringComparison.Ordinal);
        if (at > 0 && text.LastIndexOf('<', at) is var open and >= 0)
        {
            return text[(open + 1)..at];
        }
        if (text.IndexOf("condition='", StringComparison.Ordinal) is var c and >= 0 && Stanzas.IsTerminate(text))
        {
            return "terminate " + text[(c + 11)..text.IndexOf('\'', c + 11)];
        }
        return ex is HttpRequestException { StatusCode: { } status } ? $"HTTP {(int)status}" : ex.GetType().Name;
    }

    /// <summary>Logs out (or, after <see cref="IXmppUser.Abort"/>, just releases) every user of a batch.</summary>
    public async Task DisposeAsync(IEnumerable<IXmppUser?> users)
    {
        await Parallel.ForEachAsync(users, new ParallelOptions { MaxDegreeOfParallelism = options.Concurrency }, async (u, _) =>
        {
            if (u is not null)
            {
                await u.DisposeAsync();
            }
        });
    }

    private sealed class Batch(int count)
    {
        public readonly IXmppUser?[] Users = new IXmppUser?[count];
        public readonly List<double> LoginMs = [];
        public readonly Dictionary<string, int> FailureReasons = [];
        public int Failures;

        public LoginBatch Done(TimeSpan elapsed)
        {
            LoginMs.Sort();
            return new LoginBatch(Users, Failures, LoginMs, elapsed, FailureReasons);
        }
    }
}
