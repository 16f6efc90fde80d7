namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>A real XMPP server started on loopback by tests/servers/*.sh.</summary>
public sealed class XmppServer
{
    internal XmppServer(string name, string directory, int c2sPort, int httpPort, string? unavailableReason, string domain = "localhost")
    {
        Name = name;
        Domain = domain;
        Directory = directory;
        C2sPort = c2sPort;
        HttpPort = httpPort;
        UnavailableReason = unavailableReason;
    }

    public string Name { get; }

    public string Domain { get; }

    public string Directory { get; }

    public int C2sPort { get; }

    public int HttpPort { get; }

    /// <summary>Why the server could not be started, or null when it runs.</summary>
    public string? UnavailableReason { get; }

    /// <summary>Kills a private server outright (SIGKILL), as a crash would.</summary>
    public Task KillAsync()
    {
        System.Diagnostics.Process.GetProcessById(Pid).Kill();
        return Task.CompletedTask;
    }

    /// <summary>A private server's process id, from the pid file its start script writes.</summary>
    private int Pid => int.Parse(File.ReadAllText(Path.Combine(Directory, "server.pid")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A private server's resident set size, from /proc.</summary>
    public long ResidentBytes => ProcStatus.ResidentBytes(Pid);

    /// <summary>Stops (SIGSTOP) or resumes (SIGCONT) a private server: it keeps its sockets but reads nothing.</summary>
    public async Task SignalAsync(string signal)
    {
        var pid = Pid.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var (exit, output) = await ProcessRunner.RunAsync("kill", ["-" + signal, pid], TimeSpan.FromSeconds(5));
        Assert.True(exit == 0, $"kill -{signal} {pid}: {output}");
    }

    /// <summary>Skips the test (or fails it when BOSHGW_REQUIRE_SERVERS=1, as in CI) when the server is not running.</summary>
    public void RequireRunning()
    {
        if (UnavailableReason is not null)
        {
            Requirement.Missing($"{Name} not available: {UnavailableReason}");
        }
    }

    public override string ToString() => Name;
}
