using System.Diagnostics.Metrics;
using System.Globalization;
using BoshGateway.Configuration;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.StatusPage;

/// <summary>
/// Feeds the status page from the gateway's own instruments: a <see cref="MeterListener"/> on this
/// host's <c>BoshGateway</c> meter (the one made by this host's <see cref="IMeterFactory"/>, so other
/// gateways in the same process are not mixed in) keeps running totals, and a timer turns them into
/// one point per <c>Gateway:Status:SampleInterval</c> in a <see cref="StatusHistory"/>. The stanza
/// counters are observable: the timer asks for them (<see cref="MeterListener.RecordObservableInstruments"/>).
/// The measurement callbacks run on the threads that record (relay, sessions, backend connects): they
/// only look up a total and add to it, and never throw.
/// </summary>
internal sealed partial class StatusRecorder : BackgroundService
{
    private readonly MeterListener _listener;
    private readonly IMeterFactory _meterFactory;
    private readonly StatusPageOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<StatusRecorder> _logger;
    private readonly StatusHistory _history;
    private readonly Lock _sampleSync = new();
    private readonly StatusTally _sessions = new(4);
    private readonly StatusTally _started = new(4);
    private readonly StatusTally _rejected = new(16);
    private readonly StatusTally _backendConnects = new(16);
    private readonly StatusTally _backendFailures = new(16);
    private readonly StatusTally _forwarded = new(8);
    private readonly StatusTally _ended = new(16);
    private long _stanzasToServer;
    private long _stanzasToClient;
    private long _callbackFailures;
    private DateTimeOffset? _lastSample;

    public StatusRecorder(IMeterFactory meterFactory, IOptions<GatewayOptions> options, TimeProvider time, ILogger<StatusRecorder> logger)
    {
        _meterFactory = meterFactory;
        _options = options.Value.Status;
        _time = time;
        _logger = logger;
        _history = new StatusHistory(_options.Points);
        _history.AddFamily("sessions", StatusSeriesKind.Gauge, "sessions", "bosh", "websocket");
        _history.AddFamily("stanzas", StatusSeriesKind.Rate, "stanzas/s", "to_server", "to_client");
        _history.AddFamily("started", StatusSeriesKind.Count, "sessions", "bosh", "websocket");
        _history.AddFamily("rejected", StatusSeriesKind.Count, "sessions");
        _history.AddFamily("ended", StatusSeriesKind.Count, "sessions");
        _history.AddFamily("backendConnects", StatusSeriesKind.Count, "connects");
        _history.AddFamily("backendFailures", StatusSeriesKind.Count, "connects");
        _history.AddFamily("forwarded", StatusSeriesKind.Count, "requests");
        // Listening starts here, when the host resolves its hosted services: before it serves a request.
        _listener = new MeterListener { InstrumentPublished = Publish };
        _listener.SetMeasurementEventCallback<long>(OnMeasurement);
        // The two histograms (durations) are counted, one per record; their values are not used.
        _listener.SetMeasurementEventCallback<double>((instrument, _, tags, state) => OnMeasurement(instrument, 1, tags, state));
        _listener.Start();
    }

    /// <summary>Measurements the listener could not count (a bug if ever non-zero).</summary>
    public long CallbackFailures => Interlocked.Read(ref _callbackFailures);

    /// <summary>Takes one point of every series now (the timer's work; tests call it directly).</summary>
    public void Sample()
    {
        lock (_sampleSync)
        {
            // Observable callbacks run here, on this thread, into these two fields.
            Volatile.Write(ref _stanzasToServer, 0);
            Volatile.Write(ref _stanzasToClient, 0);
            _listener.RecordObservableInstruments();
            var now = _time.GetUtcNow();
            var elapsed = _lastSample is { } last ? (now - last).TotalSeconds : _options.SampleInterval.TotalSeconds;
            _lastSample = now;
            var totals = new Dictionary<string, Dictionary<string, long>>(StringComparer.Ordinal)
            {
                ["sessions"] = _sessions.Read(),
                ["stanzas"] = new(StringComparer.Ordinal) { ["to_server"] = Volatile.Read(ref _stanzasToServer), ["to_client"] = Volatile.Read(ref _stanzasToClient) },
                ["started"] = _started.Read(),
                ["rejected"] = _rejected.Read(),
                ["ended"] = _ended.Read(),
                ["backendConnects"] = _backendConnects.Read(),
                ["backendFailures"] = _backendFailures.Read(),
                ["forwarded"] = _forwarded.Read(),
            };
            _history.Add(now.ToUnixTimeSeconds(), elapsed, totals);
        }
    }

    /// <summary>The last <c>Gateway:Status:History</c> of every series.</summary>
    public StatusData Snapshot() => _history.Snapshot(_options.SampleInterval.TotalSeconds, _options.History.TotalSeconds);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.SampleInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    Sample();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.SampleFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _listener.Dispose();
        base.Dispose();
    }

    private void Publish(Instrument instrument, MeterListener listener)
    {
        if (instrument.Meter.Name != GatewayMetrics.MeterName || !ReferenceEquals(instrument.Meter.Scope, _meterFactory))
        {
            return;
        }
        Watched? watched = instrument.Name switch
        {
            "boshgateway.active_sessions" => Watched.ActiveSessions,
            "boshgateway.rejected_sessions" => Watched.RejectedSessions,
            "boshgateway.session.duration" => Watched.SessionDuration,
            "boshgateway.stanzas" => Watched.Stanzas,
            "boshgateway.backend.connect.duration" => Watched.BackendConnect,
            "boshgateway.cluster.forwarded_requests" => Watched.Forwarded,
            _ => null,
        };
        if (watched is { } kind)
        {
            listener.EnableMeasurementEvents(instrument, kind);
        }
    }

    private void OnMeasurement(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        try
        {
            switch (state)
            {
                case Watched.ActiveSessions:
                    var transport = Tag(tags, "boshgateway.transport") ?? StatusTally.Other;
                    _sessions.Add(transport, value);
                    if (value > 0)
                    {
                        _started.Add(transport, value);
                    }
                    break;
                case Watched.RejectedSessions:
                    _rejected.Add(Tag(tags, "boshgateway.rejection.reason") ?? StatusTally.Other, value);
                    break;
                case Watched.SessionDuration:
                    _ended.Add(Tag(tags, "boshgateway.session.end_reason") ?? StatusTally.Other, 1);
                    break;
                case Watched.Stanzas:
                    if (Tag(tags, "boshgateway.direction") == "to_client")
                    {
                        Interlocked.Add(ref _stanzasToClient, value);
                    }
                    else
                    {
                        Interlocked.Add(ref _stanzasToServer, value);
                    }
                    break;
                case Watched.BackendConnect:
                    var destination = $"{Tag(tags, "server.address")}:{Tag(tags, "server.port")}";
                    (Tag(tags, "error.type") is null ? _backendConnects : _backendFailures).Add(destination, 1);
                    break;
                case Watched.Forwarded:
                    _forwarded.Add(Tag(tags, "boshgateway.forward.outcome") ?? StatusTally.Other, value);
                    break;
            }
        }
#pragma warning disable CA1031 // A listener callback runs inside the code that records: it must never throw into it.
        catch (Exception)
#pragma warning restore CA1031
        {
            Interlocked.Increment(ref _callbackFailures);
        }
    }

    private static string? Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string ?? Convert.ToString(tag.Value, CultureInfo.InvariantCulture);
            }
        }
        return null;
    }

    private enum Watched
    {
        ActiveSessions,
        RejectedSessions,
        SessionDuration,
        Stanzas,
        BackendConnect,
        Forwarded,
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.StatusSampleFailed, EventName = nameof(EventIds.StatusSampleFailed), Level = LogLevel.Warning, Message = "Status page sample failed")]
        public static partial void SampleFailed(ILogger logger, Exception exception);
    }
}
