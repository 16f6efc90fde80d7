using System.Globalization;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// The browser suite in tests/browser: Playwright (playwright-core) driving Debian's Chromium, with the
/// client libraries pinned by tests/browser/package-lock.json.
/// </summary>
internal static class BrowserSuite
{
    /// <summary>Set by test.sh: where this run's screenshots go (it prints the folder).</summary>
    public const string ScreenshotsVariable = "BOSHGW_SCREENSHOTS";

    private static readonly Lazy<string> ScreenshotFolder = new(() =>
    {
        var folder = Environment.GetEnvironmentVariable(ScreenshotsVariable) is { Length: > 0 } set
            ? Path.GetFullPath(set)
            : Path.Combine(RepoPaths.Root, ".tmp", "browser-screenshots", DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture));
        Directory.CreateDirectory(folder);
        return folder;
    });

    public static string Folder => Path.Combine(RepoPaths.Root, "tests", "browser");

    public static string Script => Path.Combine(Folder, "run.mjs");

    public static string ChromiumPath => Environment.GetEnvironmentVariable("BOSHGW_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    /// <summary>This run's screenshot folder (under .tmp/, not committed).</summary>
    public static string Screenshots => ScreenshotFolder.Value;

    /// <summary>Skips (or, with BOSHGW_REQUIRE_SERVERS=1 as in CI, fails) when the browser or the pinned libraries are missing.</summary>
    public static void Require()
    {
        if (!File.Exists(ChromiumPath))
        {
            Requirement.Missing($"Chromium not found at {ChromiumPath} (apt-get install chromium)");
        }
        if (!ProcessRunner.OnPath("node"))
        {
            Requirement.Missing("node is not installed (apt-get install nodejs npm)");
        }
        foreach (var package in new[] { "playwright-core", "converse.js", "strophe.js", "stanza", "@xmpp/client", "esbuild" })
        {
            if (!Directory.Exists(Path.Combine(Folder, "node_modules", package)))
            {
                Requirement.Missing($"tests/browser/node_modules/{package} missing (run: npm ci --prefix tests/browser)");
            }
        }
    }
}
