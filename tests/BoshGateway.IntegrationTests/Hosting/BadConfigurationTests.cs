using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Hosting;

/// <summary>
/// The built gateway started with a bad setting, as an operator would: it must say which key is wrong
/// in one line on stderr and exit non-zero, not crash with a stack trace.
/// </summary>
public class BadConfigurationTests
{
    [Theory]
    [InlineData("Gateway:Bosh:MaxWait=00:00:00", "BoshGateway: invalid configuration: Gateway:Bosh:MaxWait must be between 1 s and 10 min.")]
    [InlineData("Gateway:Bosh:MaxHold=99", "BoshGateway: invalid configuration: Gateway:Bosh:MaxHold must be between 1 and 16.")]
    [InlineData("Gateway:Bosh:MaxWait=abc", "BoshGateway: invalid configuration: Failed to convert configuration value 'abc' at 'Gateway:Bosh:MaxWait' to type 'System.TimeSpan'.")]
    public async Task BadSetting_PrintsOneLineNamingTheKey_AndExitsNonZero(string setting, string expected)
    {
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "BoshGateway.dll"),
            "--urls=http://127.0.0.1:0",
            "--" + setting,
        ];

        var (exitCode, stdout, stderr) = await ProcessRunner.RunSeparatelyAsync("dotnet", args, TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Equal(expected, stderr.TrimEnd('\n'));
        Assert.DoesNotContain("   at ", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SeveralBadSettings_GiveOneLineEach()
    {
        string[] args =
        [
            Path.Combine(AppContext.BaseDirectory, "BoshGateway.dll"),
            "--urls=http://127.0.0.1:0",
            "--Gateway:Bosh:Path=http-bind",
            "--Gateway:Backends:Default:Port=0",
        ];

        var (exitCode, _, stderr) = await ProcessRunner.RunSeparatelyAsync("dotnet", args, TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Equal(
            [
                "BoshGateway: invalid configuration: Gateway:Bosh:Path must start with '/'.",
                "BoshGateway: invalid configuration: Gateway:Backends:Default:Port must be between 1 and 65535.",
            ],
            stderr.TrimEnd('\n').Split('\n'));
    }
}
