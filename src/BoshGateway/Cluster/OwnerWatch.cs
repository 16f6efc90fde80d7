namespace BoshGateway.Cluster;

/// <summary>
/// The requests this node has forwarded to one owner node and is still waiting on, and the signal
/// that ends them: <see cref="NodeRegistry"/> cancels <see cref="OwnerGone"/> when a heartbeat finds
/// the owner out of the registry (its lease ran out: killed without a word, or stalled), so a
/// long-poll held at a frozen owner is answered <c>item-not-found</c> within about a lease instead
/// of waiting out the forwarding timeout. The registry's lock guards <see cref="InFlight"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification =
    "The source has no timer and its WaitHandle is never asked for, so disposing frees nothing; forwards may still read a cancelled token after the registry lets go of it.")]
internal sealed class OwnerWatch(string node)
{
    private readonly CancellationTokenSource _gone = new();

    public string Node { get; } = node;

    public int InFlight { get; set; }

    public CancellationToken OwnerGone => _gone.Token;

    /// <summary>Runs the forwards' cancellation callbacks on the thread pool, not on the heartbeat.</summary>
    public Task CancelAsync() => _gone.CancelAsync();
}

/// <summary>One forward's hold on an <see cref="OwnerWatch"/>; disposing it lets the registry stop watching.</summary>
internal readonly struct OwnerWatchLease(NodeRegistry registry, OwnerWatch watch) : IDisposable
{
    public CancellationToken OwnerGone => watch.OwnerGone;

    public void Dispose() => registry.Release(watch);
}
