using BoshGateway.Configuration;

namespace BoshGateway.Backend;

/// <summary>What every backend stream is told at start (from <c>Gateway:Backends</c>).</summary>
internal sealed record BackendStreamSettings(TimeSpan KeepAliveInterval, long MaxQueuedBytes, TimeSpan PingInterval, TimeSpan PingTimeout)
{
    public static BackendStreamSettings From(BackendsOptions options) =>
        new(options.KeepAliveInterval, options.MaxQueuedBytes, options.PingInterval, options.PingTimeout);
}
