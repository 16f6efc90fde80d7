namespace BoshGateway.Tests;

/// <summary>Waits (at most 5 s, polling every 10 ms) for something another thread makes true.</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
        Assert.True(condition());
    }
}
