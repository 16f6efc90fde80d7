namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>Waits, bounded, for something another process or thread makes true.</summary>
internal static class Eventually
{
    /// <summary>Polls every 50 ms for at most <paramref name="within"/>; then fails with <paramref name="explain"/>'s text.</summary>
    public static async Task TrueAsync(Func<bool> condition, Func<string> explain, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition() && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }
        Assert.True(condition(), explain());
    }
}
