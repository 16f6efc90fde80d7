namespace BoshGateway.IntegrationTests.Infrastructure;

internal static class RepoPaths
{
    /// <summary>The checkout's top folder (the one holding BoshGateway.sln).</summary>
    public static string Root { get; } = FindRoot();

    public static string Scratch(string name)
    {
        var dir = Path.Combine(Root, ".tmp", "tests", name + "-" + Environment.ProcessId);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "BoshGateway.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("BoshGateway.sln not found above " + AppContext.BaseDirectory);
    }
}
