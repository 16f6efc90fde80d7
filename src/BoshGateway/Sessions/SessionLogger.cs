using System.Collections;

namespace BoshGateway.Sessions;

/// <summary>
/// A session's logger: every line it writes carries the session's sid and transport as a scope
/// (<c>Sid</c>, <c>Transport</c>), whichever thread writes it: request threads, the backend read
/// loop and the sweeper all log for the same session. The scope is opened only for lines that are written.
/// </summary>
internal sealed class SessionLogger(ILogger inner, SessionInfo info) : ILogger
{
    private readonly Scope _scope = new(info);

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }
        using (inner.BeginScope(_scope))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
        }
    }

    private sealed class Scope(SessionInfo info) : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly string _transport = info.Transport == SessionTransport.Bosh ? "bosh" : "websocket";

        public int Count => 2;

        public KeyValuePair<string, object?> this[int index] => index switch
        {
            0 => new("Sid", info.Sid),
            1 => new("Transport", _transport),
            _ => throw new ArgumentOutOfRangeException(nameof(index)),
        };

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator()
        {
            yield return this[0];
            yield return this[1];
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        public override string ToString() => $"{_transport} session {info.Sid}";
    }
}
