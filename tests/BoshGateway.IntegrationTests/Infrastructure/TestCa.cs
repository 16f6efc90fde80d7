namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>The test PKI made by tests/servers/test-ca.sh, once per test run: a root CA and server certificates it (or another CA) signed.</summary>
public sealed class TestCa
{
    private static readonly Lazy<Task<TestCa>> Made = new(MakeAsync);

    private TestCa(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>The root to trust (<c>TrustedCaFile</c>).</summary>
    public string CaFile => Path.Combine(Directory, "ca.crt");

    /// <summary>The path without extension of a server certificate (<c>localhost</c>, <c>wrongname</c>, <c>unknownca</c>), as prosody.sh and ejabberd.sh take it.</summary>
    public string Prefix(string name) => Path.Combine(Directory, name);

    public static Task<TestCa> GetAsync() => Made.Value;

    private static async Task<TestCa> MakeAsync()
    {
        var dir = RepoPaths.Scratch("test-ca");
        var (exit, output) = await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Root, "tests", "servers", "test-ca.sh"), dir], TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"test-ca.sh failed ({exit}): {output}");
        return new TestCa(dir);
    }
}
