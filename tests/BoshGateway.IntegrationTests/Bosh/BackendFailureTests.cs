using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>Backends that are down or refuse the gateway's TLS.</summary>
public class BackendFailureTests(XmppServers servers)
{
    [Fact]
    public async Task BackendDown_SessionCreationGetsRemoteConnectionFailed()
    {
        var closedPort = FreePort.Next();
        await using var gateway = await GatewayHost.StartAsync(closedPort);
        await using var client = new BoshTestClient(gateway.BoshUrl, "localhost");
        var body = await client.CreateAsync();
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
        Assert.Equal(0, gateway.Sessions.Count);
    }

    [Fact]
    public async Task StartTls_WithTrustedTestCertificate_LogsInOverTls()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Backends:Default:Tls=StartTls", "Gateway:Backends:Default:AllowUntrustedCertificate=true");
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await client.LoginAsync(TestUsers.Take(server));
        Assert.Equal("true", (string?)client.CreationResponse!.Attribute("secure"));
        Assert.DoesNotContain("starttls", client.CreationResponse.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartTls_WithUntrustedCertificate_IsRefusedByDefault()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Backends:Default:Tls=StartTls");
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var body = await client.CreateAsync();
        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
    }

    [Fact]
    public async Task StartTlsRequired_ButServerOffersNone_IsRefused()
    {
        var server = servers.Ejabberd;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, "Gateway:Backends:Default:Tls=StartTls");
        await using var client = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var body = await client.CreateAsync();
        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
    }

    [Fact]
    public async Task ServerRejectsTheDomain_ClientGetsRemoteStreamErrorWithTheServersCondition()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort);
        await using var client = new BoshTestClient(gateway.BoshUrl, "not-served.example");
        var body = await client.CreateAsync();
        Assert.Equal("remote-stream-error", (string?)body.Attribute("condition"));
        Assert.Contains("host-unknown", body.ToString(), StringComparison.Ordinal);
    }
}
