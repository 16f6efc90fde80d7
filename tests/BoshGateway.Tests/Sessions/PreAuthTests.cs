using System.Xml.Linq;
using BoshGateway.Configuration;
using BoshGateway.Sessions;
using BoshGateway.Tests.Bosh;
using BoshGateway.Tests.WebSockets;

namespace BoshGateway.Tests.Sessions;

/// <summary>Before SASL success a session gets what a login needs and no more, over both transports.</summary>
public class PreAuthTests
{
    private const string Auth = "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>";
    private const string Success = "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>";
    private static readonly string Big = $"<iq xmlns='jabber:client' type='get' id='x'><query xmlns='jabber:iq:register'>{new string('a', 9000)}</query></iq>";

    private static string Condition(byte[] body) => (string?)XElement.Parse(System.Text.Encoding.UTF8.GetString(body)).Attribute("condition") ?? "";

    [Fact]
    public async Task Bosh_NotAuthenticatedInTime_EndsWithPolicyViolation()
    {
        var h = new SessionHarness(authenticated: false);
        var held = h.Send(SessionHarness.FirstRid + 1);
        h.Advance(29);
        Assert.Empty(h.EndedWith);
        h.Advance(2);
        Assert.Equal("policy-violation", Condition(await held));
        Assert.Equal([SessionEndReason.Timeout], h.EndedWith);
        Assert.True(h.Backend.Aborted || h.Backend.Closed);
    }

    [Fact]
    public async Task Bosh_SaslSuccess_StopsThePreAuthClock()
    {
        var h = new SessionHarness(authenticated: false);
        var held = h.Send(SessionHarness.FirstRid + 1, Auth);
        h.Backend.Server(Success);
        Assert.Contains("success", System.Text.Encoding.UTF8.GetString(await held), StringComparison.Ordinal);
        Assert.True(h.Session.Info.IsAuthenticated);
        h.Advance(45);
        Assert.Empty(h.EndedWith);
    }

    [Fact]
    public async Task Bosh_LargeElementBeforeAuth_IsPolicyViolation_AndNotForwarded()
    {
        var h = new SessionHarness(authenticated: false);
        Assert.Equal("policy-violation", Condition(await h.Send(SessionHarness.FirstRid + 1, Big)));
        Assert.Empty(h.Backend.Sent);
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
    }

    [Fact]
    public async Task Bosh_LargeElementBeforeAuth_InATerminateBody_IsPolicyViolation_AndNotForwarded()
    {
        var h = new SessionHarness(authenticated: false);
        Assert.Equal("policy-violation", Condition(await h.Send(SessionHarness.FirstRid + 1, Big, "type='terminate'")));
        Assert.Empty(h.Backend.Sent);
        Assert.Equal([SessionEndReason.Error], h.EndedWith);
    }

    [Fact]
    public async Task Bosh_SameElementAfterAuth_IsForwarded()
    {
        var h = new SessionHarness();
        var held = h.Send(SessionHarness.FirstRid + 1, Big);
        Assert.Single(h.Backend.Sent);
        Assert.False(held.IsCompleted);
        h.Advance(61);
        Assert.Equal("", Condition(await held));
        Assert.Empty(h.EndedWith);
    }

    [Fact]
    public async Task Bosh_TooManyElementsBeforeAuth_IsPolicyViolation()
    {
        var options = new GatewayOptions();
        options.PreAuth.MaxElements = 4;
        var h = new SessionHarness(authenticated: false, options: options, wait: 0);
        var presences = string.Concat(Enumerable.Repeat("<presence xmlns='jabber:client'/>", 3));
        Assert.Equal("", Condition(await h.Send(SessionHarness.FirstRid + 1, presences)));
        Assert.Equal("policy-violation", Condition(await h.Send(SessionHarness.FirstRid + 2, presences)));
        Assert.Equal(3, h.Backend.Sent.Count);
    }

    [Fact]
    public async Task WebSocket_LargeElementBeforeAuth_IsPolicyViolation_AndNotForwarded()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync(Big);
        var messages = await h.ReceiveUntilClosedAsync();
        Assert.Contains("policy-violation", messages[0], StringComparison.Ordinal);
        Assert.Empty(h.Backend.Sent);
        Assert.Equal([SessionEndReason.Error], h.Logs.EndReasons);
    }

    [Fact]
    public async Task WebSocket_AfterSaslSuccess_LargeElementsPass()
    {
        await using var h = new WebSocketHarness();
        await h.OpenAsync();
        await h.SendAsync(Auth);
        h.Backend.Server(Success);
        Assert.Equal(Success.Replace('\'', '"'), (await h.ReceiveAsync())?.Replace('\'', '"'));
        await h.SendAsync(Big);
        await Eventually.TrueAsync(() => h.Backend.Sent.Count == 2);
        Assert.Empty(h.Logs.EndReasons);
    }

    [Fact]
    public void Lifecycle_UnauthenticatedSlot_IsGivenBackOnceWhetherAuthenticatedOrEnded()
    {
        var options = new GatewayOptions();
        options.Throttle.MaxUnauthenticatedPerAddress = 1;
        var lifecycle = TestLifecycle.Create(new Microsoft.Extensions.Time.Testing.FakeTimeProvider(), new RecordingLoggerFactory(), options: options);
        var first = lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "a").Info!;
        Assert.Equal(BoshGateway.Telemetry.RejectionReason.Unauthenticated, lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "b").Refused);
        lifecycle.Authenticated(first);
        var second = lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "c").Info!;
        lifecycle.Abandon(first);
        Assert.NotNull(second);
        Assert.Null(lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "d").Info);
        lifecycle.Abandon(second);
        Assert.NotNull(lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "e").Info);
    }
}
