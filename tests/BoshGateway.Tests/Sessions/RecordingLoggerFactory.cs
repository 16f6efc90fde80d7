using System.Collections.Concurrent;
using BoshGateway.Sessions;
using Microsoft.Extensions.Logging;

namespace BoshGateway.Tests.Sessions;

/// <summary>Keeps every log line written through it, with its event and structured values (scopes included), for assertions.</summary>
internal sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<LogLine> Lines { get; } = new();

    /// <summary>The reasons of the session end lines, in order.</summary>
    public List<SessionEndReason> EndReasons => [.. Lines.Where(l => l.EventName == "SessionEnded").Select(l => (SessionEndReason)l.Values["Reason"]!)];

    public ILogger CreateLogger(string categoryName) => new Recorder(this);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record LogLine(LogLevel Level, string? EventName, string Message, IReadOnlyDictionary<string, object?> Values, IReadOnlyDictionary<string, object?> Scope);

    private sealed class Recorder(RecordingLoggerFactory owner) : ILogger
    {
        private static readonly AsyncLocal<IReadOnlyList<KeyValuePair<string, object?>>?> CurrentScope = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull
        {
            var previous = CurrentScope.Value;
            CurrentScope.Value = state as IReadOnlyList<KeyValuePair<string, object?>>;
            return new Restore(previous);
        }

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var values = (state as IReadOnlyList<KeyValuePair<string, object?>> ?? []).ToDictionary(kv => kv.Key, kv => kv.Value);
            var scope = (CurrentScope.Value ?? []).ToDictionary(kv => kv.Key, kv => kv.Value);
            owner.Lines.Enqueue(new LogLine(logLevel, eventId.Name, formatter(state, exception), values, scope));
        }

        private sealed class Restore(IReadOnlyList<KeyValuePair<string, object?>>? previous) : IDisposable
        {
            public void Dispose() => CurrentScope.Value = previous;
        }
    }
}
