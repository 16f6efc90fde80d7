using System.Xml.Linq;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using static BoshGateway.Tests.Bosh.SessionHarness;

namespace BoshGateway.Tests.Bosh;

/// <summary>
/// Toward the client, a BOSH session holds at most <c>Gateway:Bosh:MaxQueuedBytes</c> of server elements
/// between two requests (issue #14): past it, it stops reading from the server until the client comes back.
/// </summary>
public class BoshOutboxBoundTests
{
    private const int Cap = 4096;
    private static readonly XNamespace Client = XmlNames.JabberClient;

    private static string Message(int id) => $"<message id='{id}'><body>{new string('x', 1000)}</body></message>";

    /// <summary>Plays a server that keeps sending for as long as the session reads; returns how many it took.</summary>
    private static int PushUntilPaused(SessionHarness h, int first, int limit = 200)
    {
        var n = 0;
        while (!h.Backend.ReadingPaused && n < limit)
        {
            h.Backend.Server(Message(first + n));
            n++;
        }
        return n;
    }

    [Fact]
    public async Task ClientNotPolling_StopsReadingFromTheServerPastTheCap_AndResumesWhenTheClientTakesTheOutbox()
    {
        var h = new SessionHarness(maxQueuedBytes: Cap);

        var pushed = PushUntilPaused(h, 1);

        Assert.True(h.Backend.ReadingPaused, "the session kept reading from the server");
        Assert.InRange(h.Session.OutboxBytes, Cap + 1, Cap + Message(0).Length);
        var body = await Answer(h.Send(1001));
        Assert.Equal(Enumerable.Range(1, pushed).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            body.Elements(Client + "message").Select(m => (string?)m.Attribute("id")));
        Assert.False(h.Backend.ReadingPaused);
        Assert.Equal(0, h.Session.OutboxBytes);

        // The next burst is bounded the same way and follows in order: nothing was dropped, only delayed.
        var again = PushUntilPaused(h, pushed + 1);
        Assert.True(h.Backend.ReadingPaused);
        var next = await Answer(h.Send(1002));
        Assert.Equal((pushed + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)next.Elements().First().Attribute("id"));
        Assert.Equal(again, next.Elements().Count());
        Assert.Equal(2, h.Backend.Pauses);
        Assert.Empty(h.EndedWith);
    }

    [Fact]
    public async Task HeldRequest_TakesTheServersElements_ReadingIsNotPaused()
    {
        var h = new SessionHarness(maxQueuedBytes: Cap);
        for (var i = 0; i < 20; i++)
        {
            var pending = h.Send(1001 + i);
            h.Backend.Server(Message(i));
            Assert.Single((await Answer(pending)).Elements());
        }
        Assert.Equal(0, h.Backend.Pauses);
    }

    [Fact]
    public void ClientThatNeverComesBack_WhileReadingIsPaused_EndsAfterInactivity()
    {
        var h = new SessionHarness(inactivity: 60, maxQueuedBytes: Cap);
        PushUntilPaused(h, 1);
        h.Advance(61);
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
        Assert.True(h.Backend.Aborted);
        Assert.False(h.IsListed);
    }

    [Fact]
    public async Task Acks_ClientThatNeverAcknowledges_KeepsOnlyTheLastRequestsAnswersBeyondTheCap()
    {
        // Each answer is at most one outbox; with acks up to 16 were kept for replay whatever their size.
        var h = new SessionHarness(acks: true, maxQueuedBytes: Cap);
        var big = $"<message id='big'><body>{new string('y', 3000)}</body></message>";
        var answers = new Dictionary<long, byte[]>();
        for (long rid = 1001; rid <= 1010; rid++)
        {
            var pending = h.Send(rid, "", "ack='1000'");
            h.Backend.Server(big);
            answers[rid] = await pending;
        }

        Assert.Equal(answers[1010], await h.Send(1010, "", "ack='1000'"));
        Assert.Equal(answers[1009], await h.Send(1009, "", "ack='1000'"));
        var gone = Xml(await h.Send(1008, "", "ack='1000'"));
        Assert.Equal("item-not-found", (string?)gone.Attribute("condition"));
    }
}
