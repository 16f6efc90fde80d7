using BoshGateway.Sessions;
using BoshGateway.Tests.Bosh;
using BoshGateway.Tests.WebSockets;

namespace BoshGateway.Tests.Sessions;

/// <summary>
/// Every end reason of both transports is recorded exactly once (one end line), however many other
/// paths try to end the session afterwards, and the session's address slot and table entry are given back.
/// </summary>
public class SessionEndTests
{
    public static TheoryData<SessionEndReason> BoshReasons => [SessionEndReason.Normal, SessionEndReason.Timeout, SessionEndReason.BackendClosed, SessionEndReason.Error, SessionEndReason.Shutdown, SessionEndReason.OwnershipLost];

    public static TheoryData<SessionEndReason> WebSocketReasons => [SessionEndReason.Normal, SessionEndReason.Timeout, SessionEndReason.BackendClosed, SessionEndReason.Error, SessionEndReason.Shutdown, SessionEndReason.ClientGone];

    [Theory]
    [MemberData(nameof(BoshReasons))]
    public async Task Bosh_EachReason_OneEndLine(SessionEndReason reason)
    {
        var h = new SessionHarness(inactivity: 60);
        var held = h.Send(1001, "<message xmlns='jabber:client' to='bob@localhost'><body>x</body></message>");
        h.Backend.Server("<message from='bob@localhost'><body>y</body></message>");
        await held; // one stanza each way
        switch (reason)
        {
            case SessionEndReason.Normal:
                await h.Send(1002, "", "type='terminate'");
                break;
            case SessionEndReason.Timeout:
                h.Advance(61);
                break;
            case SessionEndReason.BackendClosed:
                h.Backend.ServerClosed(new IOException("reset"));
                break;
            case SessionEndReason.Error:
                await h.Send(1009);
                break;
            default:
                h.Session.EndUnplanned(reason);
                break;
        }
        // Every other way to end it afterwards changes nothing.
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        h.Backend.ServerClosed(null);
        _ = h.Session.End("bad-request", SessionEndReason.Error);
        h.Advance(200);

        Assert.Equal([reason], h.EndedWith);
        var line = Assert.Single(h.Logs.Lines, l => l.EventName == "SessionEnded");
        Assert.Equal("sid1", line.Values["Sid"]);
        Assert.Equal(SessionTransport.Bosh, line.Values["Transport"]);
        Assert.Equal(1L, line.Values["StanzasToServer"]);
        Assert.Equal(1L, line.Values["StanzasToClient"]);
        Assert.True((long)line.Values["BytesToClient"]! > 20);
        Assert.False(h.IsListed);
        Assert.NotNull(h.Lifecycle.TryAdmit(SessionTransport.Bosh, System.Net.IPAddress.Loopback, "again").Info);
    }

    [Fact]
    public void Bosh_AddressSlot_IsHeldUntilTheEnd()
    {
        var h = new SessionHarness(limitPerAddress: 1);
        Assert.Null(h.Lifecycle.TryAdmit(SessionTransport.Bosh, System.Net.IPAddress.Loopback, "second").Info);
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        Assert.NotNull(h.Lifecycle.TryAdmit(SessionTransport.Bosh, System.Net.IPAddress.Loopback, "second").Info);
    }

    [Theory]
    [MemberData(nameof(WebSocketReasons))]
    public async Task WebSocket_EachReason_OneEndLine(SessionEndReason reason)
    {
        var h = new WebSocketHarness();
        await h.OpenAsync();
        switch (reason)
        {
            case SessionEndReason.Normal:
                await h.SendAsync("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
                break;
            case SessionEndReason.Timeout:
                h.Time.Advance(h.Options.WebSocket.PreAuthTimeout + TimeSpan.FromSeconds(1));
                h.Session.OnTick();
                break;
            case SessionEndReason.BackendClosed:
                h.Backend.ServerClosed(null);
                break;
            case SessionEndReason.Error:
                await h.SendAsync("<message>");
                break;
            case SessionEndReason.Shutdown:
                h.Session.EndUnplanned(reason);
                break;
        }
        if (reason == SessionEndReason.ClientGone)
        {
            await h.DisposeAsync();
        }
        else
        {
            await h.ReceiveUntilClosedAsync();
        }
        h.Session.EndUnplanned(SessionEndReason.Shutdown);
        h.Backend.ServerClosed(new IOException("late"));
        h.Session.OnTick();

        Assert.Equal([reason], h.Logs.EndReasons);
        Assert.Equal(0, h.Lifecycle.Table.Count);
        Assert.NotNull(h.Lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "again").Info);
        if (reason != SessionEndReason.ClientGone)
        {
            await h.DisposeAsync();
        }
    }
}
