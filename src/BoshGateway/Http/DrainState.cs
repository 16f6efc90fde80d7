namespace BoshGateway.Http;

/// <summary>
/// How far stopping has got, in two steps that <c>Gateway:ShutdownGrace</c> apart: <see cref="IsDraining"/>
/// (readiness fails, so the balancer sends nobody new; everything is still served, new sessions too,
/// since a balancer that has not noticed yet still sends them here) and <see cref="Closed"/> (every session
/// is ended, nothing new opens). <see cref="ShutdownDrain"/> moves it on; readers only look.
/// </summary>
internal sealed class DrainState : IDisposable
{
    private readonly CancellationTokenSource _closed = new();
    private int _draining;

    /// <summary>True from the moment stopping begins: <c>/health</c> answers 503.</summary>
    public bool IsDraining => Volatile.Read(ref _draining) != 0;

    /// <summary>True once the grace is over: sessions are being ended and new ones are refused.</summary>
    public bool IsClosed => _closed.IsCancellationRequested;

    /// <summary>Cancelled when the grace is over; its callbacks end the sessions.</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Starts draining; false when it had already started.</summary>
    public bool BeginDraining() => Interlocked.Exchange(ref _draining, 1) == 0;

    /// <summary>Ends the grace: <see cref="IsClosed"/> is true before the <see cref="Closed"/> callbacks run.</summary>
    public void Close()
    {
        Volatile.Write(ref _draining, 1);
        _closed.Cancel();
    }

    public void Dispose() => _closed.Dispose();
}
