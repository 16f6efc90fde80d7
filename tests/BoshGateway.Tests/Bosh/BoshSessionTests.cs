using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using BoshGateway.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using static BoshGateway.Tests.Bosh.SessionHarness;

namespace BoshGateway.Tests.Bosh;

public class BoshSessionTests
{
    private static readonly XNamespace Client = XmlNames.JabberClient;

    [Fact]
    public void Start_CreationResponse_CarriesSessionAttributesAndFeatures()
    {
        var h = new SessionHarness();
        var body = h.CreationResponse;

        Assert.Equal("sid1", (string?)body.Attribute("sid"));
        Assert.Equal("60", (string?)body.Attribute("wait"));
        Assert.Equal("2", (string?)body.Attribute("requests"));
        Assert.Equal("1", (string?)body.Attribute("hold"));
        Assert.Equal("60", (string?)body.Attribute("inactivity"));
        Assert.Equal("5", (string?)body.Attribute("polling"));
        Assert.Equal("120", (string?)body.Attribute("maxpause"));
        Assert.Equal("1.11", (string?)body.Attribute("ver"));
        Assert.Equal("localhost", (string?)body.Attribute("from"));
        Assert.Equal("sid-1", (string?)body.Attribute("authid"));
        Assert.Equal("1.0", (string?)body.Attribute(XName.Get("version", XmlNames.XBosh)));
        Assert.Equal("true", (string?)body.Attribute(XName.Get("restartlogic", XmlNames.XBosh)));
        Assert.Null(body.Attribute("ack"));
        Assert.NotNull(body.Element(XName.Get("features", XmlNames.Streams)));
    }

    [Fact]
    public async Task EmptyRequest_IsHeldUntilWaitExpires()
    {
        var h = new SessionHarness(wait: 30);
        var pending = h.Send(1001);
        h.Advance(29);
        Assert.False(pending.IsCompleted);
        h.Advance(1.5);
        var body = await Answer(pending);
        Assert.Empty(body.Elements());
        Assert.Null(body.Attribute("type"));
    }

    [Fact]
    public async Task ServerStanza_IsDeliveredToTheHeldRequestAtOnce()
    {
        var h = new SessionHarness();
        var pending = h.Send(1001);
        h.Backend.Server("<message from='bob@localhost' type='chat'><body>hi</body></message>");
        var body = await Answer(pending);
        var message = Assert.Single(body.Elements());
        Assert.Equal(Client + "message", message.Name);
        Assert.Equal("hi", message.Element(Client + "body")?.Value);
    }

    [Fact]
    public async Task ServerStanzas_QueuedWithoutARequest_AreDeliveredTogetherInOrder()
    {
        var h = new SessionHarness();
        h.Backend.Server("<message id='1'/><message id='2'/><message id='3'/>");
        var body = await Answer(h.Send(1001));
        Assert.Equal(["1", "2", "3"], body.Elements().Select(e => (string?)e.Attribute("id")));
    }

    [Fact]
    public async Task NewRequest_ReleasesTheOlderHeldRequest()
    {
        var h = new SessionHarness();
        var first = h.Send(1001);
        var second = h.Send(1002, "<message to='bob@localhost'><body>x</body></message>");
        Assert.Empty((await Answer(first)).Elements());
        Assert.False(second.IsCompleted);
        Assert.Equal(1, h.Session.HeldCount);
    }

    [Fact]
    public void Payload_IsForwardedWithoutTheBodyNamespace()
    {
        var h = new SessionHarness();
        _ = h.Send(1001, "<message to='bob@localhost'><body>x</body></message><iq xmlns='jabber:client' type='get' id='1'/>");
        Assert.Equal(["<message to='bob@localhost'><body>x</body></message>", "<iq xmlns='jabber:client' type='get' id='1'/>"], h.Backend.Sent);
    }

    [Fact]
    public async Task RepeatedRid_IsAnsweredByteForByte_AndNotForwardedAgain()
    {
        var h = new SessionHarness();
        var first = h.Send(1001, "<message id='m1'/>");
        h.Backend.Server("<message id='reply'/>");
        var original = await first;
        var replay = await h.Send(1001, "<message id='m1'/>");
        Assert.Equal(original, replay);
        Assert.Single(h.Backend.Sent);
    }

    [Fact]
    public async Task RepeatedRid_WhileTheFirstIsHeld_OldCopyGetsRecoverableErrorAndNewCopyIsHeld()
    {
        var h = new SessionHarness();
        var first = h.Send(1001, "<message id='m1'/>");
        var again = h.Send(1001, "<message id='m1'/>");
        Assert.Equal("error", (string?)(await Answer(first)).Attribute("type"));
        Assert.False(again.IsCompleted);
        h.Backend.Server("<message id='reply'/>");
        Assert.Equal("reply", (string?)(await Answer(again)).Elements().Single().Attribute("id"));
        Assert.Single(h.Backend.Sent);
    }

    [Fact]
    public async Task OutOfOrderRids_AreForwardedInRidOrder()
    {
        var h = new SessionHarness();
        var later = h.Send(1002, "<message id='second'/>");
        Assert.Empty(h.Backend.Sent);
        var earlier = h.Send(1001, "<message id='first'/>");
        Assert.Equal(["<message id='first'/>", "<message id='second'/>"], h.Backend.Sent);
        Assert.Empty((await Answer(earlier)).Elements());
        Assert.False(later.IsCompleted);
    }

    [Fact]
    public async Task RidGap_FilledWithinInactivity_ForwardsBothInRidOrder_AndTheSessionLives()
    {
        var h = new SessionHarness(inactivity: 60);
        var later = h.Send(1002, "<message id='second'/>");
        h.Advance(50);
        Assert.False(later.IsCompleted);
        var earlier = h.Send(1001, "<message id='first'/>");
        Assert.Equal(["<message id='first'/>", "<message id='second'/>"], h.Backend.Sent);
        Assert.Empty((await Answer(earlier)).Elements());
        h.Advance(30);
        Assert.Empty(h.EndedWith);
        Assert.True(h.IsListed);
    }

    [Fact]
    public async Task RidGap_NeverFilled_EndsWithItemNotFoundAfterInactivity_AndFreesTheSlot()
    {
        // Issue #14: rid n+2, never n+1, then the client goes away. The waiting request kept the session,
        // its backend stream and its address slot for ever.
        var h = new SessionHarness(inactivity: 60, limitPerAddress: 1);
        var waiting = h.Send(1002, "<message id='never'/>");
        h.Advance(59);
        Assert.False(waiting.IsCompleted);
        Assert.Empty(h.EndedWith);
        h.Advance(2);

        var body = await Answer(waiting);
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("item-not-found", (string?)body.Attribute("condition"));
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
        Assert.False(h.IsListed);
        Assert.True(h.Backend.Aborted);
        Assert.Empty(h.Backend.Sent); // its payload never went out of rid order
        Assert.NotNull(h.Lifecycle.TryAdmit(SessionTransport.Bosh, System.Net.IPAddress.Loopback, "sid2").Info);
    }

    [Fact]
    public async Task RidGap_ResendingTheWaitingRid_DoesNotKeepTheSessionAlive()
    {
        var h = new SessionHarness(inactivity: 60);
        var first = h.Send(1002);
        h.Advance(40);
        var again = h.Send(1002);
        Assert.Equal("error", (string?)(await Answer(first)).Attribute("type"));
        h.Advance(21);
        Assert.Equal("item-not-found", (string?)(await Answer(again)).Attribute("condition"));
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
    }

    [Fact]
    public async Task RidGap_BehindAHeldRequest_EndsOneInactivityPeriodAfterItsAnswer_WithQueuedStanzas()
    {
        var h = new SessionHarness(wait: 30, inactivity: 60);
        var held = h.Send(1001);
        var waiting = h.Send(1003); // 1002 never comes
        h.Advance(31);
        Assert.Empty((await Answer(held)).Elements());
        h.Backend.Server("<message id='queued'/>");
        h.Advance(59);
        Assert.False(waiting.IsCompleted);
        h.Advance(2);

        var body = await Answer(waiting);
        Assert.Equal("item-not-found", (string?)body.Attribute("condition"));
        Assert.Equal("queued", (string?)body.Elements().Single().Attribute("id")); // delivered before the end (XEP-0206 §6)
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
    }

    [Theory]
    [InlineData(1003)] // beyond the window (next 1001, requests 2)
    [InlineData(999)] // before the creation rid: never answered
    public async Task RidOutsideTheWindow_EndsWithItemNotFound(long rid)
    {
        var h = new SessionHarness();
        var body = Xml(await h.Send(rid));
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("item-not-found", (string?)body.Attribute("condition"));
        Assert.True(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
    }

    [Fact]
    public async Task OldRidWhoseResponseWasDropped_IsItemNotFound()
    {
        var h = new SessionHarness();
        for (var rid = 1001; rid <= 1004; rid++)
        {
            _ = h.Send(rid);
        }
        var body = Xml(await h.Send(1001));
        Assert.Equal("item-not-found", (string?)body.Attribute("condition"));
    }

    [Fact]
    public void Inactivity_EndsTheSessionAndDropsTheBackendWithoutClosingTag()
    {
        var h = new SessionHarness(inactivity: 60);
        h.Advance(59);
        Assert.Empty(h.EndedWith);
        h.Advance(2);
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
        Assert.True(h.Backend.Aborted);
        Assert.False(h.Backend.Closed);
    }

    // robustness E15: session timers run on monotonic timestamps, so setting the wall clock an hour forward or back
    // neither answers a held request early nor stretches it, and neither ends an idle session early nor keeps it longer.
    [Theory]
    [InlineData(1)]
    [InlineData(-1)]
    public async Task WallClockJumpOfAnHour_MovesNoTimer(int hours)
    {
        var h = new SessionHarness(wait: 30, inactivity: 60);
        var pending = h.Send(1001);
        h.Advance(10);
        h.Clock.Offset = TimeSpan.FromHours(hours);
        h.Advance(19);
        Assert.False(pending.IsCompleted);
        h.Advance(1.5);
        Assert.Empty((await Answer(pending)).Elements());

        // Idle from the answer on (at 30 to 30.5 s): 58 s later it lives, 61 s later it has ended.
        h.Clock.Offset = TimeSpan.FromHours(-hours);
        h.Advance(58);
        Assert.Empty(h.EndedWith);
        h.Advance(3);
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
    }

    [Fact]
    public void Inactivity_DoesNotRunWhileARequestIsHeld()
    {
        var h = new SessionHarness(wait: 60, inactivity: 30);
        _ = h.Send(1001);
        h.Advance(45);
        Assert.Empty(h.EndedWith);
    }

    [Fact]
    public async Task Terminate_ForwardsItsPayloadClosesTheStreamAndAnswersHeldRequests()
    {
        var h = new SessionHarness();
        var held = h.Send(1001);
        h.Backend.Server("<message id='x'/>");
        var second = h.Send(1002);
        var terminate = await h.Send(1003, "<presence type='unavailable'/>", "type='terminate'");
        Assert.Equal(["<presence type='unavailable'/>"], h.Backend.Sent);
        Assert.True(h.Backend.Closed);
        Assert.Null(Xml(terminate).Attribute("type"));
        Assert.Equal("x", (string?)(await Answer(held)).Elements().Single().Attribute("id"));
        var heldAnswer = await Answer(second);
        Assert.Equal("terminate", (string?)heldAnswer.Attribute("type"));
        Assert.Empty(heldAnswer.Elements());
        Assert.Equal([SessionEndReason.Normal], h.EndedWith);
    }

    [Fact]
    public async Task BackendFailure_DeliversQueuedStanzasBeforeTheTerminate()
    {
        var h = new SessionHarness();
        h.Backend.Server("<message id='last-words'/>");
        h.Backend.ServerClosed(new IOException("connection reset"));
        var body = Xml(await h.Send(1001));
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
        Assert.Equal("last-words", (string?)body.Elements().Single().Attribute("id"));
        Assert.Equal([SessionEndReason.BackendClosed], h.EndedWith);
    }

    [Fact]
    public async Task StreamError_BecomesRemoteStreamErrorCarryingTheError()
    {
        var h = new SessionHarness();
        h.Backend.Server("<message id='before'/><stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        var body = await Answer(h.Send(1001));
        Assert.Equal("remote-stream-error", (string?)body.Attribute("condition"));
        Assert.Equal(["message", "error"], body.Elements().Select(e => e.Name.LocalName));
        Assert.NotNull(body.Elements().Last().Element(XName.Get("conflict", XmlNames.StreamErrors)));
        Assert.True(h.Backend.Aborted);
    }

    [Fact]
    public async Task StreamEnd_IsAPlainTerminate()
    {
        var h = new SessionHarness();
        var pending = h.Send(1001);
        h.Backend.Server("</stream:stream>");
        var body = await Answer(pending);
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Null(body.Attribute("condition"));
    }

    [Fact]
    public async Task Restart_SendsANewStreamHeaderAndIgnoresPayload()
    {
        var h = new SessionHarness();
        var pending = h.Send(1001, "<message id='ignored'/>", "xmpp:restart='true'");
        Assert.Equal(1, h.Backend.Restarts);
        Assert.Empty(h.Backend.Sent);
        h.Backend.Server("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='sid-2' version='1.0'><stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>");
        var body = await Answer(pending);
        Assert.NotNull(body.Element(XName.Get("features", XmlNames.Streams)));
        Assert.Equal(XmlNames.Streams, body.Attribute(XNamespace.Xmlns + "stream")?.Value);
    }

    [Fact]
    public async Task KeySequencing_AcceptsTheChainAndRefusesAWrongKey()
    {
        static string Sha1(string s) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(s)));
        var k1 = "seed";
        var k2 = Sha1(k1);
        var k3 = Sha1(k2);
        var h = new SessionHarness(key: Sha1(k3));

        var ok = h.Send(1001, attributes: $"key='{k3}'");
        Assert.False(ok.IsCompleted);
        var wrong = Xml(await h.Send(1002, attributes: "key='not-it'"));
        Assert.Equal("item-not-found", (string?)wrong.Attribute("condition"));
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
    }

    [Fact]
    public async Task KeySequencing_ReplayWithAnotherKey_IsItemNotFound_NotTheStoredAnswer()
    {
        static string Sha1(string s) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(s)));
        var k2 = Sha1("seed");
        var k3 = Sha1(k2);
        var h = new SessionHarness(key: Sha1(k3));
        var first = h.Send(1001, "<message id='m1'/>", $"key='{k3}'");
        h.Backend.Server("<message id='reply'/>");
        var original = await first;

        // The client's own resend (same rid, same key) gets the stored bytes; one with another key does not.
        Assert.Equal(original, await h.Send(1001, "<message id='m1'/>", $"key='{k3}'"));
        var forged = Xml(await h.Send(1001, "<message id='m1'/>", "key='forged'"));
        Assert.Equal("item-not-found", (string?)forged.Attribute("condition"));
        Assert.Empty(forged.Elements());
        Assert.Single(h.Backend.Sent);
    }

    [Fact]
    public async Task KeySequencing_MissingKey_IsItemNotFound()
    {
        var h = new SessionHarness(key: "abcdef");
        Assert.Equal("item-not-found", (string?)Xml(await h.Send(1001)).Attribute("condition"));
    }

    [Fact]
    public async Task Pause_AnswersHeldRequestsAndStretchesInactivity()
    {
        var h = new SessionHarness(inactivity: 60);
        var held = h.Send(1001);
        var pause = await Answer(h.Send(1002, attributes: "pause='100'"));
        Assert.Empty(pause.Elements());
        Assert.True(held.IsCompleted);
        h.Advance(90);
        Assert.Empty(h.EndedWith);
        h.Advance(15);
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
    }

    [Fact]
    public async Task Pause_LongerThanMaxpause_IsPolicyViolation()
    {
        var h = new SessionHarness();
        Assert.Equal("policy-violation", (string?)Xml(await h.Send(1001, attributes: "pause='121'")).Attribute("condition"));
    }

    [Fact]
    public async Task Acks_CreationResponseAcksAndLaggingClientGetsReport()
    {
        var h = new SessionHarness(acks: true);
        Assert.Equal("1000", (string?)h.CreationResponse.Attribute("ack"));
        var r1 = h.Send(1001, attributes: "ack='1000'");
        h.Backend.Server("<message id='lost'/>");
        await r1;
        h.Time.Advance(TimeSpan.FromSeconds(3));
        var next = await Answer(h.Send(1002, attributes: "ack='1000'"));
        Assert.Equal("1001", (string?)next.Attribute("report"));
        Assert.True(int.Parse((string)next.Attribute("time")!, System.Globalization.CultureInfo.InvariantCulture) >= 3000);
        var replay = Xml(await h.Send(1001, attributes: "ack='1000'"));
        Assert.Equal("lost", (string?)replay.Elements().Single().Attribute("id"));
    }

    [Fact]
    public async Task MoreThanRequestsOutstanding_WhileTheServerIsBehind_IsPolicyViolation()
    {
        // hold 1, requests 2: 1001 is held; 1002 carries a stanza the full queue toward the server cannot take yet, so it
        // stays unanswered (and 1001 held); 1003 would be a third request out, which XEP-0124 §11 forbids.
        var h = new SessionHarness();
        var held = h.Send(1001);
        h.Backend.Full = true;
        var blocked = h.Send(1002, "<message id='m1'/>");
        Assert.False(held.IsCompleted);
        Assert.False(blocked.IsCompleted);
        var third = h.Send(1003);
        Assert.Equal("policy-violation", (string?)(await Answer(blocked)).Attribute("condition"));
        Assert.Equal("policy-violation", (string?)(await Answer(third)).Attribute("condition"));
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
        Assert.Empty(h.Backend.Sent);
    }

    [Fact]
    public async Task Polling_AnswersAtOnce_AndRefusesTooFrequentEmptyPolls()
    {
        var h = new SessionHarness(hold: 0, polling: 5);
        Assert.Equal("1", h.CreationResponse.Attribute("requests")?.Value);
        var first = await Answer(h.Send(1001));
        Assert.Null(first.Attribute("type"));
        var second = Xml(await h.Send(1002));
        Assert.Equal("policy-violation", (string?)second.Attribute("condition"));
    }

    [Fact]
    public async Task AbandonedRequest_IsAnsweredEmpty_SoLaterDataWaitsForTheNextRequest()
    {
        var h = new SessionHarness();
        using var aborted = new CancellationTokenSource();
        var held = h.Send(1001, aborted: aborted.Token);
        await aborted.CancelAsync();
        Assert.Empty((await Answer(held)).Elements());
        h.Backend.Server("<message id='kept'/>");
        var next = await Answer(h.Send(1002));
        Assert.Equal("kept", (string?)next.Elements().Single().Attribute("id"));
    }

    [Fact]
    public async Task Shutdown_AnswersHeldRequestWithSystemShutdown()
    {
        var h = new SessionHarness();
        var held = h.Send(1001);
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        Assert.Equal("system-shutdown", (string?)(await Answer(held)).Attribute("condition"));
        Assert.True(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Shutdown], h.EndedWith);
    }

    [Fact]
    public async Task AfterTheEnd_FurtherRequestsGetItemNotFound()
    {
        var h = new SessionHarness();
        await h.Send(1001, attributes: "type='terminate'");
        var body = Xml(await h.Send(1002));
        Assert.Equal("item-not-found", (string?)body.Attribute("condition"));
    }

    private const string BindResult = "<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@localhost/web</jid></bind></iq>";

    [Fact]
    public async Task Answers_AreReleasedForWritingInRidOrder()
    {
        var h = new SessionHarness();
        await AnswerWith(h, 1001, BindResult);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        var first = h.Send(1002);
        h.Backend.Server("<message id='1'/>");
        var second = h.Send(1003);
        h.Backend.Server("<message id='2'/>");
        var a1 = await first.Answer;
        var a2 = await second.Answer;

        Assert.True(a1.SpacesNext);
        var turn2 = a2.WaitForTurnAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), h.Time).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(turn2.IsCompleted);
        await a1.WaitForTurnAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), h.Time);
        a1.MarkWritten(h.Time);
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(turn2.IsCompleted); // the spacing after an answer with payload
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await turn2.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    private static async Task<BoshAnswer> AnswerWith(SessionHarness h, long rid, string serverElement)
    {
        var pending = h.Send(rid);
        h.Backend.Server(serverElement);
        var answer = await pending.Answer;
        answer.MarkWritten(h.Time);
        return answer;
    }

    [Fact]
    public async Task LoginAnswers_DoNotSpaceTheNext_UntilTheClientIsBound()
    {
        var h = new SessionHarness();
        Assert.False((await AnswerWith(h, 1001, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>")).SpacesNext);
        Assert.False((await AnswerWith(h, 1002, "<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>")).SpacesNext);
        Assert.False((await AnswerWith(h, 1003, "<iq type='result' id='roster-early'/>")).SpacesNext);
        Assert.True((await AnswerWith(h, 1004, BindResult)).SpacesNext);
        Assert.True((await AnswerWith(h, 1005, "<iq type='result' id='after-bind'/>")).SpacesNext);
        var empty = h.Send(1006);
        h.Advance(60); // the wait is over: answered empty, nothing to keep apart
        Assert.False((await empty.Answer).SpacesNext);
    }

    [Theory]
    [InlineData(1002, true)]
    [InlineData(1001, false)]
    public async Task AnAcknowledgedAnswer_IsNotWaitedFor(long ack, bool goesAtOnce)
    {
        var h = new SessionHarness(acks: true);
        await AnswerWith(h, 1001, BindResult);
        var previous = h.Send(1002);
        h.Backend.Server("<iq type='result' id='ping1'/>");
        var a1 = await previous.Answer; // answered, its write not yet done
        var next = h.Send(1003, attributes: $"ack='{ack}'");
        h.Backend.Server("<iq type='result' id='ping2'/>");
        var a2 = await next.Answer;

        var turn = a2.WaitForTurnAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), h.Time).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.Equal(goesAtOnce, turn.IsCompleted);
        a1.MarkWritten(h.Time);
        h.Time.Advance(TimeSpan.FromSeconds(1));
        await turn.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("<resumed xmlns='urn:xmpp:sm:3' h='4' previd='old'/>")]
    [InlineData("<success xmlns='urn:xmpp:sasl:2'><authorization-identifier>alice@localhost/web</authorization-identifier></success>")]
    public async Task ResumedOrSasl2Success_SpacesWhatFollows(string live)
    {
        var h = new SessionHarness();
        Assert.True((await AnswerWith(h, 1001, live)).SpacesNext);
        Assert.True((await AnswerWith(h, 1002, "<message id='resent'/>")).SpacesNext);
    }

    [Fact]
    public void Tick_AsksTheBackendForAKeepAlive()
    {
        var h = new SessionHarness();
        h.Advance(1);
        Assert.True(h.Backend.KeepAlives > 0);
    }

    [Fact]
    public void Inactivity_BouncesUndeliveredMessagesAndIqRequests_DropsPresence()
    {
        var h = new SessionHarness(inactivity: 60);
        h.Backend.Server("<message from='bob@localhost/web' id='m1' type='chat'><body>lost?</body></message>"
            + "<iq from='bob@localhost/web' id='q1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>"
            + "<presence from='bob@localhost/web'/>");
        h.Advance(61);

        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
        Assert.True(h.Backend.Aborted);
        Assert.Equal(
        [
            "<message type='error' to='bob@localhost/web' id='m1'><error type='wait'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
            "<iq type='error' to='bob@localhost/web' id='q1'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
        ], h.Backend.Sent);
    }

    [Fact]
    public async Task Inactivity_DoesNotBounceWhatWasDelivered_NorAnythingUnderStreamManagement()
    {
        var delivered = new SessionHarness(inactivity: 60);
        var held = delivered.Send(1001);
        delivered.Backend.Server("<message from='bob@localhost/web' id='m1' type='chat'/>");
        await held;
        delivered.Advance(61);
        Assert.Empty(delivered.Backend.Sent);

        var managed = new SessionHarness(inactivity: 60);
        managed.Backend.Server("<enabled xmlns='urn:xmpp:sm:3' id='x' resume='true'/><message from='bob@localhost/web' id='m2' type='chat'/>");
        managed.Advance(61);
        Assert.Empty(managed.Backend.Sent);
        Assert.True(managed.Backend.Aborted);
    }

    [Fact]
    public void Shutdown_WithNobodyWaiting_BouncesQueuedMessages()
    {
        var h = new SessionHarness();
        h.Backend.Server("<message from='bob@localhost/web' id='m3' type='chat'/>");
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        Assert.Contains(h.Backend.Sent, s => s.Contains("recipient-unavailable", StringComparison.Ordinal) && s.Contains("id='m3'", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartTls_IsAnsweredWithFailureInATerminate_AndNeverForwarded()
    {
        var h = new SessionHarness();
        var body = await Answer(h.Send(1001, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        // RFC 6120 §5.4.2.2: failure, then the stream is closed — no stream error, so no condition.
        Assert.Null(body.Attribute("condition"));
        Assert.NotNull(body.Element(XName.Get("failure", XmlNames.Tls)));
        Assert.Empty(h.Backend.Sent);
        Assert.True(h.Backend.Aborted);
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
        Assert.False(h.IsListed);
    }

    [Theory]
    [InlineData("<message xmlns='jabber:server' from='admin@localhost' to='bob@localhost'><body>x</body></message>")]
    [InlineData("<iq xmlns='jabber:component:accept' type='get' id='1'/>")]
    [InlineData("<db:result xmlns:db='jabber:server:dialback' from='evil.example' to='localhost'>k</db:result>")]
    [InlineData("<compress xmlns='http://jabber.org/protocol/compress'><method>zlib</method></compress>")]
    public async Task ElementNoClientMaySend_IsBadRequest_AndNothingInTheBodyIsForwarded(string refused)
    {
        var h = new SessionHarness();
        var body = await Answer(h.Send(1001, "<message xmlns='jabber:client' to='bob@localhost'><body>before</body></message>" + refused));
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("bad-request", (string?)body.Attribute("condition"));
        Assert.Empty(h.Backend.Sent);
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
    }

    [Fact]
    public void StreamLevelElements_AClientSends_AreForwarded()
    {
        var h = new SessionHarness();
        _ = h.Send(1001, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AA==</auth>");
        _ = h.Send(1002, "<enable xmlns='urn:xmpp:sm:3'/><inactive xmlns='urn:xmpp:csi:0'/>");
        Assert.Equal(3, h.Backend.Sent.Count);
    }
}
