namespace BoshGateway.Tests;

/// <summary>Waits (at most 5 s, or as long as asked, polling every 10 ms) for something another thread makes true.</summary>
internal static class Eventually
{
    /// <summary>Waits at most <paramref name="within"/>; fails saying it timed out waiting until <paramref name="what"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan within) => TrueAsync(condition, what, within, state: null);

    /// <summary>As above; on timeout the message also carries <paramref name="state"/>, what the test saw last.</summary>
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan within, Func<string>? state)
    {
        var deadline = DateTime.UtcNow + within;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting until " + what + (state is null ? "" : " (" + state() + ")"));
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    public static async Task TrueAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        Assert.True(condition());
    }
}
