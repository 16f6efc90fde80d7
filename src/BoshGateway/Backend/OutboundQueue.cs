using System.Threading.Channels;

namespace BoshGateway.Backend;

/// <summary>
/// The per-connection queue of writes (toward the server, or toward a WebSocket client), limited by the
/// caller in bytes rather than items. A "bounded" channel at <see cref="int.MaxValue"/> items behaves as
/// an unbounded one but starts with an empty array and grows on demand, whereas the unbounded
/// single-reader channel allocates a 32-slot segment up front: about 1 KiB per idle connection, two
/// connections per session (measured with a heap dump at 8,000 idle sessions; docs/benchmarks.md).
/// </summary>
internal static class OutboundQueue
{
    public static Channel<ReadOnlyMemory<byte>> Create() =>
        Channel.CreateBounded<ReadOnlyMemory<byte>>(new BoundedChannelOptions(int.MaxValue)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
}
