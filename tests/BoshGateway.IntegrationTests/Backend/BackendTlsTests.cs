using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Backend;

/// <summary>
/// Private servers for <see cref="BackendTlsTests"/>, one per certificate, all requiring STARTTLS: Prosody with the
/// test CA's localhost certificate (and a direct-TLS port), Prosody with a certificate for another name, Prosody
/// with a certificate from a CA the gateway does not trust, and ejabberd with the localhost certificate.
/// </summary>
public sealed class BackendTlsServers : IAsyncLifetime
{
    public const string User = "alice";

    public TestCa Ca { get; private set; } = null!;

    public XmppServer Prosody { get; private set; } = null!;

    public int ProsodyDirectTlsPort { get; } = FreePort.Next();

    public XmppServer WrongName { get; private set; } = null!;

    public XmppServer UnknownCa { get; private set; } = null!;

    public XmppServer Ejabberd { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        Ca = await TestCa.GetAsync();
        var prosody = XmppServers.StartPrivateProsodyAsync("prosody-tls", ProsodyKnobs("localhost", ("PROSODY_DIRECT_TLS_PORT", ProsodyDirectTlsPort.ToString(CultureInfo.InvariantCulture))), User);
        var wrongName = XmppServers.StartPrivateProsodyAsync("prosody-wrongname", ProsodyKnobs("wrongname"), User);
        var unknownCa = XmppServers.StartPrivateProsodyAsync("prosody-unknownca", ProsodyKnobs("unknownca"), User);
        var ejabberd = XmppServers.StartPrivateEjabberdAsync("ejabberd-tls", new Dictionary<string, string> { ["EJABBERD_CERT"] = Ca.Prefix("localhost"), ["EJABBERD_REQUIRE_TLS"] = "1" }, User);
        (Prosody, WrongName, UnknownCa, Ejabberd) = (await prosody, await wrongName, await unknownCa, await ejabberd);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in new[] { Prosody, WrongName, UnknownCa })
        {
            await XmppServers.StopPrivateAsync(server);
        }
        await XmppServers.StopPrivateEjabberdAsync(Ejabberd);
    }

    private Dictionary<string, string> ProsodyKnobs(string certificate, params (string Key, string Value)[] more)
    {
        var knobs = new Dictionary<string, string> { ["PROSODY_CERT"] = Ca.Prefix(certificate), ["PROSODY_REQUIRE_TLS"] = "1" };
        foreach (var (key, value) in more)
        {
            knobs[key] = value;
        }
        return knobs;
    }
}

/// <summary>
/// The gateway's TLS to real servers with verification on (issue #13): the shipped <c>Tls=Auto</c> and a
/// <c>TrustedCaFile</c> log in over STARTTLS to Prosody and ejabberd that require it (and a plain gateway is
/// refused by both, so those logins were encrypted); a wrong name or an unknown CA ends session creation with
/// <c>remote-connection-failed</c> and a warning naming the server and why; a pinned thumbprint still works;
/// <c>Tls=DirectTls</c> works against Prosody's direct-TLS port.
/// </summary>
public sealed class BackendTlsTests(BackendTlsServers servers) : IClassFixture<BackendTlsServers>
{
    private static readonly XNamespace Streams = "http://etherx.jabber.org/streams";

    private string TrustCa => $"Gateway:Backends:Default:TrustedCaFile={servers.Ca.CaFile}";

    [Fact]
    public async Task StartTls_ToProsodyRequiringIt_WithTheTestCa_LogsInThroughBoshAndWebSocket()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var encryptedBefore = EncryptedStreams(server);
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartWithShippedTlsAsync(server.C2sPort, log, TrustCa);

        await LogInOverBothTransportsAsync(gateway, server);
        // Prosody's own word that both streams were encrypted (it logs one line per c2s TLS handshake).
        await EventuallyAsync(() => EncryptedStreams(server) >= encryptedBefore + 2, () => $"Prosody logged {EncryptedStreams(server) - encryptedBefore} encrypted streams, not 2");
        Assert.DoesNotContain(log.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartTls_ToEjabberdRequiringIt_WithTheTestCa_LogsInThroughBoshAndWebSocket()
    {
        var server = servers.Ejabberd;
        server.RequireRunning();
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartWithShippedTlsAsync(server.C2sPort, log, TrustCa);

        await LogInOverBothTransportsAsync(gateway, server);
        Assert.DoesNotContain(log.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
    }

    /// <summary>The control for the two logins above: without TLS these servers let nobody in.</summary>
    [Theory]
    [InlineData("prosody")]
    [InlineData("ejabberd")]
    public async Task ServersRequiringTls_RefuseAPlainGateway(string name)
    {
        var server = name == "prosody" ? servers.Prosody : servers.Ejabberd;
        server.RequireRunning();
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, log, "Gateway:Backends:Default:Tls=None");
        await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain);

        var body = await bosh.CreateAsync();

        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
        Assert.Contains(log.Lines, l => l.Contains("requires STARTTLS but Tls is None", StringComparison.Ordinal));
    }

    [Fact]
    public async Task NameMismatch_EndsSessionCreation_WithRemoteConnectionFailed_AndAWarningNamingServerAndReason()
        => await RefusedAsync(servers.WrongName, $"name mismatch (expected {servers.WrongName.Domain})");

    [Fact]
    public async Task UnknownCa_EndsSessionCreation_WithRemoteConnectionFailed_AndAWarningNamingServerAndReason()
        => await RefusedAsync(servers.UnknownCa, "unknown CA: ");

    [Fact]
    public async Task UnknownCa_PinnedByThumbprint_LogsIn()
    {
        var server = servers.UnknownCa;
        server.RequireRunning();
        using var certificate = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(servers.Ca.Prefix("unknownca") + ".crt", TestContext.Current.CancellationToken));
        var thumbprint = certificate.GetCertHashString(HashAlgorithmName.SHA256);
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartWithShippedTlsAsync(server.C2sPort, log, TrustCa, $"Gateway:Backends:Default:TrustedCertificateThumbprints:0={thumbprint}");

        await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await bosh.LoginAsync(BackendTlsServers.User, resource: "pinned");

        Assert.Equal($"{BackendTlsServers.User}@{server.Domain}/pinned", bosh.Jid);
        Assert.DoesNotContain(log.Lines, l => l.Contains("rejected", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DirectTls_ToProsodysDirectTlsPort_LogsIn()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        var encryptedBefore = EncryptedStreams(server);
        await using var gateway = await GatewayHost.StartWithShippedTlsAsync(servers.ProsodyDirectTlsPort, null, TrustCa, "Gateway:Backends:Default:Tls=DirectTls");

        await using var ws = new WebSocketTestClient();
        await ws.LoginAsync(gateway.WebSocketUrl, server.Domain, BackendTlsServers.User, resource: "direct");

        Assert.Equal($"{BackendTlsServers.User}@{server.Domain}/direct", ws.Jid);
        await EventuallyAsync(() => EncryptedStreams(server) > encryptedBefore, () => "Prosody logged no encrypted stream");
    }

    /// <summary>Logs the test user in over BOSH and over WebSocket, each to a bound resource of its own.</summary>
    private static async Task LogInOverBothTransportsAsync(GatewayHost gateway, XmppServer server)
    {
        await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await bosh.LoginAsync(BackendTlsServers.User, resource: "bosh");
        await using var ws = new WebSocketTestClient();
        await ws.LoginAsync(gateway.WebSocketUrl, server.Domain, BackendTlsServers.User, resource: "ws");

        Assert.Equal($"{BackendTlsServers.User}@{server.Domain}/bosh", bosh.Jid);
        Assert.Equal($"{BackendTlsServers.User}@{server.Domain}/ws", ws.Jid);
    }

    private async Task RefusedAsync(XmppServer server, string reason)
    {
        server.RequireRunning();
        var log = new LogCapture();
        await using var gateway = await GatewayHost.StartWithShippedTlsAsync(server.C2sPort, log, TrustCa);

        await using var bosh = new BoshTestClient(gateway.BoshUrl, server.Domain);
        var body = await bosh.CreateAsync();
        Assert.Equal("terminate", (string?)body.Attribute("type"));
        Assert.Equal("remote-connection-failed", (string?)body.Attribute("condition"));
        Assert.Equal(0, gateway.Sessions.Count);

        await using var ws = new WebSocketTestClient();
        await ws.ConnectAsync(gateway.WebSocketUrl);
        await ws.OpenStreamAsync(server.Domain);
        var error = await ws.WaitForAsync(e => e.Name == Streams + "error");
        Assert.Equal("remote-connection-failed", error.Elements().First(e => e.Name.NamespaceName == "urn:ietf:params:xml:ns:xmpp-streams").Name.LocalName);

        // The first session's handshake is refused with a warning naming the server and the reason, and the server
        // is taken out of service; the second is then refused at once, without another handshake, and its own
        // refusal line still names the server.
        var warnings = log.Lines.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains($"Certificate of 127.0.0.1:{server.C2sPort} for {server.Domain} rejected: {reason}", StringComparison.Ordinal)).ToList();
        Assert.True(warnings.Count == 1, "expected one certificate warning, got:\n" + string.Join("\n", log.Lines));
        var refusals = log.Lines.Where(l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains($"session refused with remote-connection-failed: no stream to 127.0.0.1:{server.C2sPort}", StringComparison.Ordinal)).ToList();
        Assert.True(refusals.Count == 2, "expected one refusal per session, got:\n" + string.Join("\n", log.Lines));
        Assert.Contains(log.Lines, l => l.StartsWith("Warning ", StringComparison.Ordinal) && l.Contains($"Backend 127.0.0.1:{server.C2sPort} taken out of service", StringComparison.Ordinal) && l.Contains("TLS", StringComparison.Ordinal));
        // The WebSocket session leaves the table once its socket is closed behind the stream error.
        await EventuallyAsync(() => gateway.Sessions.Count == 0, () => $"{gateway.Sessions.Count} sessions left");
    }

    /// <summary>How many c2s streams Prosody has logged as encrypted ("Stream encrypted (TLSv1.3 with ...)").</summary>
    private static int EncryptedStreams(XmppServer server)
    {
        var path = Path.Combine(server.Directory, "prosody.log");
        if (!File.Exists(path))
        {
            return 0;
        }
        using var reader = new StreamReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete));
        return reader.ReadToEnd().Split('\n').Count(l => l.Contains("Stream encrypted", StringComparison.Ordinal));
    }

    private static Task EventuallyAsync(Func<bool> condition, Func<string> failure) => Eventually.TrueAsync(condition, failure, TimeSpan.FromSeconds(5));
}
