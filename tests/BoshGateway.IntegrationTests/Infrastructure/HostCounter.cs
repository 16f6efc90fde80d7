using System.Diagnostics.Metrics;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// Sums one counter of one in-process gateway host, by one tag value, from now on. The host's /metrics
/// cannot tell: OpenTelemetry listens to every meter named BoshGateway in the process, so test hosts
/// running beside it would add theirs. Here only the meters made by this host's IMeterFactory count.
/// </summary>
internal sealed class HostCounter : IDisposable
{
    private readonly MeterListener _listener = new();
    private long _total;

    public HostCounter(IServiceProvider host, string instrument, string tag, string value)
    {
        var factory = host.GetService(typeof(IMeterFactory));
        _listener.InstrumentPublished = (published, listener) =>
        {
            if (published.Name == instrument && ReferenceEquals(published.Meter.Scope, factory))
            {
                listener.EnableMeasurementEvents(published);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, measurement, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == tag && Equals(t.Value, value))
                {
                    Interlocked.Add(ref _total, measurement);
                }
            }
        });
        _listener.Start();
    }

    public long Total => Interlocked.Read(ref _total);

    public void Dispose() => _listener.Dispose();
}
