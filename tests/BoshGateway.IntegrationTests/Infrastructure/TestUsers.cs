using System.Collections.Concurrent;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>Hands each test its own accounts, so tests running in parallel never share a user.</summary>
internal static class TestUsers
{
    private static readonly ConcurrentDictionary<string, int> Next = new();

    public static string Take(XmppServer server)
    {
        var n = Next.AddOrUpdate(server.Name, 1, (_, i) => i + 1);
        Assert.True(n <= XmppServers.UserCount, "out of test accounts: raise XmppServers.UserCount");
        return $"user{n:00}";
    }
}
