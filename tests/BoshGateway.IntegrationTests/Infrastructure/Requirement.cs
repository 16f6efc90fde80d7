namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>A missing server or tool skips its tests with the reason on a developer's machine and fails them in CI.</summary>
internal static class Requirement
{
    /// <summary>Set by .ci/run: nothing a test needs may be missing.</summary>
    public const string Variable = "BOSHGW_REQUIRE_SERVERS";

    public static void Missing(string reason)
    {
        if (Environment.GetEnvironmentVariable(Variable) == "1")
        {
            Assert.Fail($"{reason} ({Variable}=1: required)");
        }
        Assert.Skip(reason);
    }
}
