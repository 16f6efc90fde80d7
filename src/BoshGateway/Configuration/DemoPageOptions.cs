namespace BoshGateway.Configuration;

/// <summary>
/// The demo chat page (<c>Gateway:DemoPage</c>): Converse.js served by the gateway itself at <c>/</c>,
/// set up for this gateway's endpoints. Off by default; <c>./run.sh</c> turns it on.
/// </summary>
public sealed class DemoPageOptions
{
    /// <summary>Serve the demo page at <c>/</c> (instead of the index page). Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>XMPP domain appended to a user name typed without one (Converse.js <c>default_domain</c>). Default none.</summary>
    public string? Domain { get; set; }

    /// <summary>
    /// Folder with Converse.js's dist files; relative paths are taken from the folder of the binary.
    /// Default <c>DemoPage/converse</c>, which the build fills from <c>src/BoshGateway/DemoPage/node_modules</c>.
    /// </summary>
    public string AssetsPath { get; set; } = "DemoPage/converse";

    /// <summary>A line of text shown under the login form, e.g. the demo accounts. Default none.</summary>
    public string? Notice { get; set; }
}
