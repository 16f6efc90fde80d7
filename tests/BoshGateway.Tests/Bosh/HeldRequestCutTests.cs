using Microsoft.Extensions.Logging;
using BoshGateway.Tests.Telemetry;

namespace BoshGateway.Tests.Bosh;

/// <summary>
/// robustness.md E13: a proxy in front that gives up held requests before the session's wait (nginx's
/// proxy_read_timeout under Bosh:MaxWait) is told apart from a client that merely went away, by the
/// resend of the same rid: counted each time, and warned at most every 10 minutes per node.
/// </summary>
public sealed class HeldRequestCutTests
{
    private static int CutsCounted(MetricRecorder recorder) =>
        recorder.Of("boshgateway.bosh.rid_events").Count(m => (string?)m.Tags["boshgateway.bosh.rid_event"] == "cut_and_resent");

    private static List<Sessions.RecordingLoggerFactory.LogLine> Warnings(SessionHarness h) =>
        [.. h.Logs.Lines.Where(l => l.EventName == "BoshHeldRequestCut")];

    /// <summary>Holds <paramref name="rid"/> for <paramref name="after"/> seconds, then its connection goes (the request is answered empty).</summary>
    private static async Task HeldThenGoneAsync(SessionHarness h, long rid, double after)
    {
        using var gone = new CancellationTokenSource();
        var held = h.Send(rid, aborted: gone.Token);
        h.Advance(after);
        Assert.False(held.IsCompleted);
        await gone.CancelAsync();
        Assert.True(held.IsCompleted);
        await held;
    }

    [Fact]
    public async Task HeldRequestCutEarly_ThenResent_IsCounted_AndWarnedOnceInTenMinutes()
    {
        using var recorder = new MetricRecorder();
        var h = new SessionHarness(wait: 60, inactivity: 3600, metrics: recorder.Metrics);

        // Cut after 30 s (the proxy closed the connection), then the client resends the rid: the stored answer.
        await HeldThenGoneAsync(h, 1001, after: 30);
        await h.Send(1001);
        Assert.Equal(1, CutsCounted(recorder));
        var warning = Assert.Single(Warnings(h));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(30.0, (double)warning.Values["HeldSeconds"]!, 3);
        Assert.Equal(60L, warning.Values["WaitSeconds"]);
        Assert.Contains("proxy_read_timeout", warning.Message, StringComparison.Ordinal);

        // The resend arrives while the gateway still holds the first copy (it has not seen the connection go).
        var first = h.Send(1002);
        h.Advance(30);
        var second = h.Send(1002);
        Assert.True(first.IsCompleted);
        Assert.Equal(2, CutsCounted(recorder));
        Assert.Single(Warnings(h));

        // Ten minutes later the next cut is worth another line.
        h.Advance(31);
        Assert.True(second.IsCompleted);
        await second;
        h.Advance(600);
        await HeldThenGoneAsync(h, 1003, after: 20);
        await h.Send(1003);
        Assert.Equal(3, CutsCounted(recorder));
        Assert.Equal(2, Warnings(h).Count);
    }

    [Fact]
    public async Task ClientGoneAtOnce_AnswerAtTheWait_OrNoResend_AreNotCuts()
    {
        using var recorder = new MetricRecorder();
        var h = new SessionHarness(wait: 60, metrics: recorder.Metrics);

        // Gone within a second (a page unload, a client retrying at once) and resent: not a timeout in front.
        await HeldThenGoneAsync(h, 1001, after: 0.5);
        await h.Send(1001);

        // Answered at its wait, then repeated (the answer was lost on the way): a replay, not a cut.
        var waited = h.Send(1002);
        h.Advance(61);
        Assert.True(waited.IsCompleted);
        await waited;
        await h.Send(1002);

        // Cut early but never resent: a client that went away.
        await HeldThenGoneAsync(h, 1003, after: 30);
        Assert.False(h.Send(1004).IsCompleted);

        Assert.Equal(2, recorder.Of("boshgateway.bosh.rid_events").Count(m => (string?)m.Tags["boshgateway.bosh.rid_event"] == "replayed"));
        Assert.Equal(0, CutsCounted(recorder));
        Assert.Empty(Warnings(h));
    }
}
