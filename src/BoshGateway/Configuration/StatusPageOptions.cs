namespace BoshGateway.Configuration;

/// <summary>
/// The live status page (<c>Gateway:Status</c>): charts of the last minutes drawn from the gateway's own
/// instruments. Off by default. Without a bearer token only loopback clients may open it.
/// </summary>
public sealed class StatusPageOptions
{
    /// <summary>Serve the status page and its data. Default false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Path of the page; its data is at <c>{Path}/data</c>. Default <c>/status</c>.</summary>
    public string Path { get; set; } = "/status";

    /// <summary>
    /// When set, every request must carry <c>Authorization: Bearer {token}</c> (from any address, loopback too);
    /// when not set, only loopback clients are served. At least 16 characters. Default none.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>Time between two points of the charts. Default 5 s.</summary>
    public TimeSpan SampleInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How far back the charts go. Default 15 min.</summary>
    public TimeSpan History { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>
    /// Folder with uPlot's dist files; relative paths are taken from the folder of the binary.
    /// Default <c>StatusPage/uplot</c>, which the build fills from <c>src/BoshGateway/StatusPage/node_modules</c>.
    /// </summary>
    public string AssetsPath { get; set; } = "StatusPage/uplot";

    /// <summary>Points kept per series.</summary>
    public int Points => (int)Math.Ceiling(History / SampleInterval);
}
