namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>A private Prosody for one test (its own directory, ports and accounts), stopped when disposed.</summary>
public sealed class PrivateProsody : IAsyncDisposable
{
    private PrivateProsody(XmppServer server) => Server = server;

    public XmppServer Server { get; }

    /// <summary>Starts it with <paramref name="users"/> (password "secret"); a test that cannot have it is skipped, or failed in CI.</summary>
    public static async Task<PrivateProsody> StartAsync(string name, params string[] users)
    {
        var server = await XmppServers.StartPrivateProsodyAsync(name, users);
        server.RequireRunning();
        return new PrivateProsody(server);
    }

    public async ValueTask DisposeAsync() => await XmppServers.StopPrivateAsync(Server);
}
