namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>The pinned JavaScript clients in tests/js.</summary>
internal static class JavaScript
{
    public static string ChatScript => Path.Combine(RepoPaths.Root, "tests", "js", "chat.mjs");

    public static void RequireNodeModules()
    {
        var stanza = Path.Combine(RepoPaths.Root, "tests", "js", "node_modules", "stanza");
        if (!Directory.Exists(stanza) || !ProcessRunner.OnPath("node"))
        {
            Requirement.Missing("node or tests/js/node_modules missing (run: npm ci --prefix tests/js)");
        }
    }
}
