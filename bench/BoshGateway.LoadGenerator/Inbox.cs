namespace BoshGateway.LoadGenerator;

/// <summary>
/// What one user received, in order. Chat message bodies go to the handler at once; until login is
/// done everything is also kept for <see cref="WaitForAsync"/>, then nothing is kept.
/// </summary>
internal sealed class Inbox : IDisposable
{
    private readonly Lock _sync = new();
    private readonly List<string> _pending = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private bool _keep = true;

    public Action<string>? OnMessage { get; set; }

    public Action<string>? OnXml { get; set; }

    public void Add(string xml)
    {
        OnXml?.Invoke(xml);
        if (OnMessage is { } handler)
        {
            foreach (var body in Stanzas.MessageBodies(xml))
            {
                handler(body);
            }
        }
        lock (_sync)
        {
            if (!_keep)
            {
                return;
            }
            _pending.Add(xml);
        }
        _arrived.Release();
    }

    /// <summary>Waits for (and removes) the first received XML that matches.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, string what, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (true)
        {
            lock (_sync)
            {
                var index = _pending.FindIndex(x => match(x));
                if (index >= 0)
                {
                    var found = _pending[index];
                    _pending.RemoveRange(0, index + 1);
                    return found;
                }
            }
            try
            {
                await _arrived.WaitAsync(timeout.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("no " + what + " within 30 s");
            }
        }
    }

    /// <summary>Login is over: stop keeping what arrives.</summary>
    public void StopKeeping()
    {
        lock (_sync)
        {
            _keep = false;
            _pending.Clear();
        }
    }

    public void Dispose() => _arrived.Dispose();
}
