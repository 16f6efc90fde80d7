using System.Reflection;
using BoshGateway.Sessions;
using Microsoft.Extensions.Logging;

namespace BoshGateway.Tests.Diagnostics;

public class EventIdsTests
{
    private static readonly List<LoggerMessageAttribute> Messages = [.. typeof(SessionLifecycle).Assembly.GetTypes()
        .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
        .Select(m => m.GetCustomAttribute<LoggerMessageAttribute>())
        .OfType<LoggerMessageAttribute>()];

    [Fact]
    public void EveryLogMessage_HasItsOwnEventId()
    {
        Assert.True(Messages.Count > 30, $"found only {Messages.Count} log messages");
        var shared = Messages.GroupBy(m => m.EventId).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.EventName))}").ToList();
        Assert.Empty(shared);
    }

    [Fact]
    public void EveryLogMessage_HasItsOwnEventName()
    {
        Assert.All(Messages, m => Assert.False(string.IsNullOrEmpty(m.EventName)));
        var shared = Messages.GroupBy(m => m.EventName).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.Empty(shared);
    }
}
