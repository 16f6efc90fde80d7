namespace BoshGateway.LoadGenerator;

/// <summary>
/// What one user received, in order. Chat message bodies go to the handler at once; until login is
/// done everything is also kept for <see cref="WaitForAsync"/>, then nothing is kept. Once the
/// transport says the session is over (<see cref="End"/>), a wait that finds nothing fails at once
/// rather than at its timeout: a login whose stream the server closed is a failed login.
/// </summary>
internal sealed class Inbox : IDisposable
{
    private readonly Lock _sync = new();
    private readonly List<string> _pending = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private bool _keep = true;
    private string? _ended;
    private bool _disposed;

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
            if (!_keep || _disposed)
            {
                return;
            }
            _pending.Add(xml);
            _arrived.Release();
        }
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
                if (_ended is not null)
                {
                    throw new InvalidOperationException($"the session ended before the {what} arrived: {_ended}");
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

    /// <summary>The transport ended (the WebSocket closed, a BOSH terminate or failed request): waits stop waiting.</summary>
    public void End(string why)
    {
        lock (_sync)
        {
            _ended ??= why;
            if (!_disposed)
            {
                _arrived.Release();
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

    public void Dispose()
    {
        lock (_sync)
        {
            _disposed = true;
        }
        _arrived.Dispose();
    }
}
