namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// One Prosody and one ejabberd for the whole test run (an assembly fixture), each with the test
/// accounts <c>user01..user160</c> (password <c>secret</c>) who all have each other as contacts.
/// </summary>
public sealed class XmppServers : IAsyncLifetime
{
    public const int UserCount = 160;

    public XmppServer Prosody { get; private set; } = null!;

    public XmppServer Ejabberd { get; private set; } = null!;

    public XmppServer this[string name] => name == "prosody" ? Prosody : Ejabberd;

    public static IEnumerable<string> Users => Enumerable.Range(1, UserCount).Select(i => $"user{i:00}");

    public async ValueTask InitializeAsync()
    {
        var prosody = StartAsync("prosody", "prosody", "prosody.sh");
        var ejabberd = StartAsync("ejabberd", "ejabberdctl", "ejabberd.sh", requiresRoot: true);
        Prosody = await prosody;
        Ejabberd = await ejabberd;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(Prosody, "prosody.sh");
        await StopAsync(Ejabberd, "ejabberd.sh");
    }

    /// <summary>Starts an extra, private Prosody (for tests that kill their server).</summary>
    public static async Task<XmppServer> StartPrivateProsodyAsync(string name, params string[] users)
        => await StartAsync(name, "prosody", "prosody.sh", users: users);

    /// <summary>Starts a private Prosody with prosody.sh's knobs (PROSODY_CERT, PROSODY_REQUIRE_TLS, ...) set.</summary>
    public static async Task<XmppServer> StartPrivateProsodyAsync(string name, IDictionary<string, string> environment, params string[] users)
        => await StartAsync(name, "prosody", "prosody.sh", users: users, environment: environment);

    public static Task StopPrivateAsync(XmppServer server) => StopAsync(server, "prosody.sh");

    /// <summary>Starts a private Prosody again on its own directory and ports (after a kill), with fresh accounts.</summary>
    public static async Task RestartPrivateProsodyAsync(XmppServer server, params string[] users)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var (exit, output) = await ProcessRunner.RunAsync("bash",
            [Path.Combine(RepoPaths.Root, "tests", "servers", "prosody.sh"), "start", server.Directory, server.C2sPort.ToString(inv), server.HttpPort.ToString(inv), .. users],
            TimeSpan.FromMinutes(1));
        Assert.True(exit == 0, $"prosody.sh start failed ({exit}): {output}");
    }

    /// <summary>Starts a private ejabberd (about 5 s; root only) with ejabberd.sh's knobs (EJABBERD_CERT, ...) set.</summary>
    public static async Task<XmppServer> StartPrivateEjabberdAsync(string name, IDictionary<string, string> environment, params string[] users)
        => await StartAsync(name, "ejabberdctl", "ejabberd.sh", requiresRoot: true, users: users, environment: environment);

    public static Task StopPrivateEjabberdAsync(XmppServer server) => StopAsync(server, "ejabberd.sh");

    private static async Task<XmppServer> StartAsync(string name, string binary, string script, bool requiresRoot = false, string[]? users = null, IDictionary<string, string>? environment = null)
    {
        var dir = RepoPaths.Scratch(name);
        var c2s = FreePort.Next();
        var http = FreePort.Next();
        if (!ProcessRunner.OnPath(binary))
        {
            return new XmppServer(name, dir, c2s, http, $"'{binary}' is not installed (apt-get install {name})");
        }
        if (requiresRoot && Environment.UserName != "root")
        {
            return new XmppServer(name, dir, c2s, http, $"{name} test instances must be started as root (ejabberdctl switches to the {name} user)");
        }
        var args = new List<string> { Path.Combine(RepoPaths.Root, "tests", "servers", script), "start", dir, c2s.ToString(System.Globalization.CultureInfo.InvariantCulture), http.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        args.AddRange(users ?? Users);
        var (exit, output) = await ProcessRunner.RunAsync("bash", args, TimeSpan.FromMinutes(3), environment);
        return new XmppServer(name, dir, c2s, http, exit == 0 ? null : $"{script} failed ({exit}): {output}");
    }

    private static async Task StopAsync(XmppServer? server, string script)
    {
        if (server is { UnavailableReason: null })
        {
            await ProcessRunner.RunAsync("bash", [Path.Combine(RepoPaths.Root, "tests", "servers", script), "stop", server.Directory], TimeSpan.FromMinutes(1));
        }
    }
}
