using BoshGateway.Sessions;
using BoshGateway.Tests.Bosh;
using BoshGateway.Tests.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.Telemetry;

/// <summary>The instruments as a BOSH session drives them: same tags on +1 and −1, one duration per end, counts per kind.</summary>
public class GatewayMetricsTests
{
    [Fact]
    public async Task Session_UpAndDownWithTheSameTags_OneDurationWithItsEndReason()
    {
        using var recorder = new MetricRecorder();
        var h = new SessionHarness(inactivity: 60, metrics: recorder.Metrics);
        var held = h.Send(1001, "<message xmlns='jabber:client' to='bob@localhost'><body>x</body></message>");
        h.Backend.Server("<message from='bob@localhost'><body>y</body></message>");
        await held;
        h.Advance(200);

        var active = recorder.Of("boshgateway.active_sessions").ToList();
        Assert.Equal([1.0, -1.0], active.Select(m => m.Value));
        Assert.All(active, m => Assert.Equal("bosh", m.Tags["boshgateway.transport"]));
        var duration = Assert.Single(recorder.Of("boshgateway.session.duration"));
        Assert.Equal("timeout", duration.Tags["boshgateway.session.end_reason"]);
        Assert.True(duration.Value >= 60);
        Assert.Equal(0, recorder.Of("boshgateway.bosh.held_requests").Sum(m => m.Value));
    }

    [Fact]
    public async Task StanzasAndBytes_AreCountedEachWay_ByTransport()
    {
        using var recorder = new MetricRecorder();
        var h = new SessionHarness(metrics: recorder.Metrics);
        var held = h.Send(1001, "<message xmlns='jabber:client' to='bob@localhost'><body>x</body></message>");
        h.Backend.Server("<message from='bob@localhost'><body>y</body></message><message from='bob@localhost'><body>z</body></message>");
        await held;
        recorder.Collect();
        double Stanzas(string direction) => recorder.Of("boshgateway.stanzas").Last(m => (string?)m.Tags["boshgateway.direction"] == direction && (string?)m.Tags["boshgateway.transport"] == "bosh").Value;
        Assert.Equal(1, Stanzas("to_server"));
        Assert.Equal(2, Stanzas("to_client"));
        Assert.True(recorder.Of("boshgateway.transferred_bytes").Last(m => (string?)m.Tags["boshgateway.direction"] == "to_client" && (string?)m.Tags["boshgateway.transport"] == "bosh").Value > 60);
    }

    [Fact]
    public async Task RidEvents_AreCountedByKind()
    {
        using var recorder = new MetricRecorder();
        var h = new SessionHarness(metrics: recorder.Metrics);
        var ahead = h.Send(1002);            // reordered: waits for 1001
        var first = h.Send(1001);
        _ = h.Send(1002);                     // resent while held
        await first;
        await h.Send(1001);                   // replayed
        await h.Send(1010);                   // out of window
        _ = ahead;
        string[] kinds = [.. recorder.Of("boshgateway.bosh.rid_events").Select(m => (string)m.Tags["boshgateway.bosh.rid_event"]!)];
        Assert.Equal(["reordered", "resent_while_held", "replayed", "out_of_window"], kinds);
    }

    [Fact]
    public void Rejections_AreCountedByReason_AndAdmittedThenAbandonedSessionsLeaveNothingActive()
    {
        using var recorder = new MetricRecorder();
        var lifecycle = TestLifecycle.Create(new FakeTimeProvider(), new RecordingLoggerFactory(), maxSessionsPerAddress: 1, metrics: recorder.Metrics);
        var info = lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "a").Info!;
        Assert.Null(lifecycle.TryAdmit(SessionTransport.WebSocket, System.Net.IPAddress.Loopback, "b").Info);
        lifecycle.Abandon(info);
        lifecycle.Reject(SessionTransport.Bosh, BoshGateway.Telemetry.RejectionReason.Origin);
        Assert.Equal(0, recorder.Of("boshgateway.active_sessions").Sum(m => m.Value));
        Assert.Empty(recorder.Of("boshgateway.session.duration"));
        Assert.Equal(["websocket/address_cap", "bosh/origin"],
            recorder.Of("boshgateway.rejected_sessions").Select(m => $"{m.Tags["boshgateway.transport"]}/{m.Tags["boshgateway.rejection.reason"]}"));
    }
}
