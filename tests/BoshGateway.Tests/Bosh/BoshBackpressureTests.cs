using static BoshGateway.Tests.Bosh.SessionHarness;

namespace BoshGateway.Tests.Bosh;

/// <summary>A request whose payload does not fit in the queue toward the server waits, in rid order, within a deadline.</summary>
public class BoshBackpressureTests
{
    private const string Message = "<message to='bob@localhost'><body>x</body></message>";

    [Fact]
    public async Task PayloadWaitsUntilTheServerCatchesUp_ThenIsForwardedAndHeld()
    {
        var h = new SessionHarness();
        h.Backend.Full = true;
        var first = h.Send(1001, Message);
        Assert.Empty(h.Backend.Sent);
        Assert.False(first.IsCompleted);
        h.Backend.Drain();
        // The room callback runs on the thread pool: wait for its last step (the request is held), not an earlier one.
        await Eventually.TrueAsync(() => h.Session.HeldCount == 1);
        Assert.Single(h.Backend.Sent);
        Assert.False(first.IsCompleted); // held like any request
    }

    [Fact]
    public async Task LaterRequests_WaitBehindTheBlockedOne_InRidOrder()
    {
        var h = new SessionHarness();
        h.Backend.Full = true;
        var first = h.Send(1001, "<message id='1'/>");
        var second = h.Send(1002, "<message id='2'/>");
        Assert.Empty(h.Backend.Sent);
        h.Backend.Drain();
        // The first is answered (released by the second, hold=1) only after both were forwarded.
        await Eventually.TrueAsync(() => first.IsCompleted);
        Assert.Equal(2, h.Backend.Sent.Count);
        Assert.Contains("id='1'", h.Backend.Sent[0]);
        Assert.Contains("id='2'", h.Backend.Sent[1]);
        Assert.Empty((await Answer(first)).Elements()); // released by the newer request (hold=1)
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task ServerBehindPastTheDeadline_EndsWithPolicyViolation()
    {
        var h = new SessionHarness();
        h.Backend.Full = true;
        var blocked = h.Send(1001, Message);
        h.Advance(29);
        Assert.False(blocked.IsCompleted);
        h.Advance(2);
        var body = await Answer(blocked);
        Assert.Equal("policy-violation", (string?)body.Attribute("condition"));
        Assert.Empty(h.Backend.Sent);
        Assert.True(h.Backend.Aborted);
        Assert.Equal([BoshGateway.Sessions.SessionEndReason.Error], h.EndedWith);
    }

    [Fact]
    public async Task SameRidResentWhileBlocked_AnswersTheOldCopyAndKeepsWaiting()
    {
        var h = new SessionHarness();
        h.Backend.Full = true;
        var first = h.Send(1001, Message);
        var again = h.Send(1001, Message);
        Assert.Equal("error", (string?)(await Answer(first)).Attribute("type"));
        h.Backend.Drain();
        await Eventually.TrueAsync(() => h.Session.HeldCount == 1);
        Assert.Single(h.Backend.Sent); // forwarded once
        Assert.False(again.IsCompleted);
    }

    [Fact]
    public void EmptyPolls_AreNeverBlocked()
    {
        var h = new SessionHarness();
        h.Backend.Full = true;
        _ = h.Send(1001);
        Assert.Equal(1, h.Session.HeldCount);
    }

    [Fact]
    public void BadNumbers_AreRefusedOnArrival_NotWhenTheRequestsTurnComes()
    {
        var h = new SessionHarness();
        h.Backend.Full = true;
        var blocked = h.Send(1001, Message);
        Assert.Throws<BoshGateway.Protocol.Bosh.BoshProtocolException>(() => h.Send(1002, Message, "pause='soon'"));
        Assert.False(blocked.IsCompleted); // the endpoint ends the session on that exception; nothing was queued behind
    }
}
