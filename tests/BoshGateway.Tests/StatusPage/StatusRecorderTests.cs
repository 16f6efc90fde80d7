using System.Diagnostics.Metrics;
using BoshGateway.Configuration;
using BoshGateway.Sessions;
using BoshGateway.StatusPage;
using BoshGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.StatusPage;

/// <summary>
/// The status page's aggregation: measurements go through the real <see cref="GatewayMetrics"/> (the
/// <c>BoshGateway</c> meter and its instrument names) to a <see cref="StatusRecorder"/> listening to
/// the same meter factory, and come out as series of points.
/// </summary>
public sealed class StatusRecorderTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2025-01-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
    private readonly GatewayMetrics _metrics;
    private readonly StatusRecorder _recorder;

    public StatusRecorderTests()
    {
        var factory = _services.GetRequiredService<IMeterFactory>();
        _metrics = new GatewayMetrics(factory);
        _recorder = Recorder(factory, new StatusPageOptions());
    }

    public void Dispose()
    {
        _recorder.Dispose();
        _services.Dispose();
    }

    [Fact]
    public void Sessions_AreCountedOpenStartedAndEnded_ByTransportAndReason()
    {
        _metrics.SessionStarted(SessionTransport.Bosh);
        _metrics.SessionStarted(SessionTransport.Bosh);
        _metrics.SessionStarted(SessionTransport.WebSocket);
        _metrics.SessionEnded(SessionTransport.Bosh, SessionEndReason.Normal, 3);
        Next();
        _metrics.SessionEnded(SessionTransport.WebSocket, SessionEndReason.Timeout, 30);
        Next();

        var data = _recorder.Snapshot();

        Assert.Equal([1, 1], Series(data, "sessions", "bosh"));
        Assert.Equal([1, 0], Series(data, "sessions", "websocket"));
        Assert.Equal([2, 0], Series(data, "started", "bosh"));
        Assert.Equal([1, 0], Series(data, "started", "websocket"));
        Assert.Equal([1, 0], Series(data, "ended", "normal"));
        Assert.Equal([0, 1], Series(data, "ended", "timeout"));
        Assert.Equal(0, _recorder.CallbackFailures);
    }

    [Fact]
    public void Stanzas_ArePerSecond_EachWay_FromTheObservableCounters()
    {
        Next();
        for (var i = 0; i < 10; i++)
        {
            _metrics.Traffic(SessionTransport.Bosh).AddToServer(100, stanza: true);
        }
        for (var i = 0; i < 20; i++)
        {
            _metrics.Traffic(SessionTransport.WebSocket).AddToClient(100, stanza: true);
        }
        _metrics.Traffic(SessionTransport.WebSocket).AddToServer(100, stanza: false);
        Next();
        Next();

        var data = _recorder.Snapshot();

        // 10 and 20 stanzas in a 5 s sample; then nothing.
        Assert.Equal([0, 2, 0], Series(data, "stanzas", "to_server"));
        Assert.Equal([0, 4, 0], Series(data, "stanzas", "to_client"));
        Assert.Equal("stanzas/s", data.Families["stanzas"].Unit);
    }

    [Fact]
    public void Rejections_BackendConnects_AndForwarding_AreCountedByTheirTags()
    {
        _metrics.SessionRejected(SessionTransport.Bosh, RejectionReason.AddressCap);
        _metrics.SessionRejected(SessionTransport.WebSocket, RejectionReason.AddressCap);
        _metrics.SessionRejected(SessionTransport.WebSocket, RejectionReason.Origin);
        _metrics.BackendConnect("xmpp.example", 5222, TimeSpan.FromMilliseconds(20), null);
        _metrics.BackendConnect("xmpp.example", 5222, TimeSpan.FromMilliseconds(30), null);
        _metrics.BackendConnect("other.example", 5223, TimeSpan.FromSeconds(5), "timeout");
        _metrics.Forwarded(ForwardingOutcome.Forwarded);
        _metrics.Forwarded(ForwardingOutcome.OwnerGone);
        Next();

        var data = _recorder.Snapshot();

        Assert.Equal([2], Series(data, "rejected", "address_cap"));
        Assert.Equal([1], Series(data, "rejected", "origin"));
        Assert.Equal([2], Series(data, "backendConnects", "xmpp.example:5222"));
        Assert.Equal([1], Series(data, "backendFailures", "other.example:5223"));
        Assert.False(data.Families["backendConnects"].Series.ContainsKey("other.example:5223"));
        Assert.Equal([1], Series(data, "forwarded", "forwarded"));
        Assert.Equal([1], Series(data, "forwarded", "owner_gone"));
    }

    [Fact]
    public void History_KeepsTheLastPointsOnly_OldestFirst()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var metrics = new GatewayMetrics(factory);
        using var recorder = Recorder(factory, new StatusPageOptions { SampleInterval = TimeSpan.FromSeconds(1), History = TimeSpan.FromMinutes(1) });

        for (var i = 0; i < 100; i++)
        {
            metrics.SessionStarted(SessionTransport.WebSocket);
            _time.Advance(TimeSpan.FromSeconds(1));
            recorder.Sample();
        }

        var data = recorder.Snapshot();
        Assert.Equal(60, data.Time.Length);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds() - 59, data.Time[0]);
        Assert.Equal(_time.GetUtcNow().ToUnixTimeSeconds(), data.Time[^1]);
        Assert.Equal(Enumerable.Range(41, 60).Select(i => (double)i), Series(data, "sessions", "websocket"));
        Assert.All(Series(data, "started", "websocket"), p => Assert.Equal(1, p));
        Assert.Equal(1, data.IntervalSeconds);
        Assert.Equal(60, data.HistorySeconds);
    }

    [Fact]
    public void AnotherGatewaysMeter_InTheSameProcess_IsNotCounted()
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var other = new GatewayMetrics(services.GetRequiredService<IMeterFactory>());

        other.SessionStarted(SessionTransport.Bosh);
        other.Traffic(SessionTransport.Bosh).AddToServer(10, stanza: true);
        Next();

        var data = _recorder.Snapshot();
        Assert.Equal([0], Series(data, "sessions", "bosh"));
        Assert.Equal([0], Series(data, "stanzas", "to_server"));
    }

    [Fact]
    public void ATagWithManyValues_IsCappedUnderOther()
    {
        var tally = new StatusTally(4);
        for (var i = 0; i < 10; i++)
        {
            tally.Add($"host{i}:5222", 1);
        }
        tally.Add("host0:5222", 1);

        var totals = tally.Read();

        Assert.Equal(5, totals.Count);
        Assert.Equal(2, totals["host0:5222"]);
        Assert.Equal(6, totals[StatusTally.Other]);
    }

    private StatusRecorder Recorder(IMeterFactory factory, StatusPageOptions status) =>
        new(factory, Options.Create(new GatewayOptions { Status = status }), _time, NullLogger<StatusRecorder>.Instance);

    private void Next()
    {
        _time.Advance(TimeSpan.FromSeconds(5));
        _recorder.Sample();
    }

    private static double[] Series(StatusData data, string family, string key)
    {
        Assert.True(data.Families[family].Series.TryGetValue(key, out var points), $"no series {family}/{key}: {string.Join(", ", data.Families[family].Series.Keys)}");
        return points;
    }
}
