using System.Xml.Linq;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Prebind;

/// <summary>
/// Token prebind against a private ejabberd that accepts the gateway's login tokens (<c>auth_method:
/// [internal, jwt]</c>, <c>jwt_key</c>): the web application's signed request yields a logged-in BOSH
/// session a client attaches to; bad requests open nothing.
/// </summary>
public sealed class PrebindTests(PrebindTests.JwtEjabberd server) : IClassFixture<PrebindTests.JwtEjabberd>
{
    [Fact]
    public async Task APreboundSession_IsLoggedIn_AndTheClientChatsThroughIt()
    {
        await using var gateway = await server.StartGatewayAsync();
        using var ok = new HostCounter(gateway.Services, "boshgateway.prebind.requests", "boshgateway.prebind.result", "ok");
        var (status, answer, _) = await PrebindTokens.RequestAsync(gateway.BaseUrl, PrebindTokens.For($"alice@{server.Xmpp.Domain}"));
        Assert.True(status == 200, answer.ToString());
        Assert.Equal(1, ok.Total);
        var jid = answer.GetProperty("jid").GetString()!;
        Assert.StartsWith($"alice@{server.Xmpp.Domain}/", jid, StringComparison.Ordinal);

        await using var alice = new BoshTestClient(gateway.BoshUrl, server.Xmpp.Domain);
        alice.Attach(answer.GetProperty("sid").GetString()!, answer.GetProperty("rid").GetInt64(), jid);
        alice.StartPolling();
        await alice.SendAsync("<presence/>");
        await using var bob = new BoshTestClient(gateway.BoshUrl, server.Xmpp.Domain);
        await bob.LoginAsync("bob");

        await alice.SendMessageAsync(bob.Jid!, "hello from a prebound session");
        var atBob = await bob.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains("hello from a prebound session", StringComparison.Ordinal));
        Assert.StartsWith($"alice@{server.Xmpp.Domain}/", (string?)atBob.Attribute("from"), StringComparison.Ordinal);
        await bob.SendMessageAsync(jid, "hello back");
        await alice.WaitForAsync(e => e.Name.LocalName == "message" && e.Value.Contains("hello back", StringComparison.Ordinal));
        Assert.Null(alice.Terminate);
    }

    [Fact]
    public async Task TheResourceAsked_IsTheOneBound()
    {
        await using var gateway = await server.StartGatewayAsync();
        var token = PrebindTokens.Sign(new { sub = $"alice@{server.Xmpp.Domain}", exp = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(), jti = Guid.NewGuid().ToString("N"), resource = "web-7" });

        var (status, answer, _) = await PrebindTokens.RequestAsync(gateway.BaseUrl, token);

        Assert.True(status == 200, answer.ToString());
        Assert.Equal($"alice@{server.Xmpp.Domain}/web-7", answer.GetProperty("jid").GetString());
    }

    public static TheoryData<string, string> BadTokens => new()
    {
        { "expired", PrebindTokens.For("alice@localhost", validSeconds: -5) },
        { "valid for longer than MaxTokenLifetime", PrebindTokens.For("alice@localhost", validSeconds: 3600) },
        { "signed with another secret", PrebindTokens.Sign(new { sub = "alice@localhost", exp = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(), jti = "a" }, secret: "not-the-secret-the-gateway-was-given") },
        { "alg none", PrebindTokens.Sign(new { sub = "alice@localhost", exp = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(), jti = "b" }, alg: "none") },
        { "no jti", PrebindTokens.Sign(new { sub = "alice@localhost", exp = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds() }) },
        { "sub with a resource", PrebindTokens.Sign(new { sub = "alice@localhost/x", exp = DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeSeconds(), jti = "c" }) },
        { "not a JWT", "hello" },
    };

    [Theory]
    [MemberData(nameof(BadTokens))]
    public async Task ABadToken_GetsA401_AndOpensNothing(string why, string token)
    {
        var log = new LogCapture();
        await using var gateway = await server.StartGatewayAsync(log);

        var (status, answer, response) = await PrebindTokens.RequestAsync(gateway.BaseUrl, token);

        Assert.True(status == 401, $"{why}: {status} {answer}");
        Assert.Contains("invalid_token", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.StartsWith("invalid token", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, gateway.Sessions.Count);
        Assert.Contains(log.Lines, line => line.Contains("Prebind request from 127.0.0.1 refused", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATokenUsedTwice_IsRefusedTheSecondTime()
    {
        await using var gateway = await server.StartGatewayAsync();
        var token = PrebindTokens.For($"alice@{server.Xmpp.Domain}");

        var (first, _, _) = await PrebindTokens.RequestAsync(gateway.BaseUrl, token);
        var (second, answer, _) = await PrebindTokens.RequestAsync(gateway.BaseUrl, token);

        Assert.Equal(200, first);
        Assert.Equal(401, second);
        Assert.Contains("replayed", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, gateway.Sessions.Count);
    }

    [Fact]
    public async Task NoToken_GetsA401()
    {
        await using var gateway = await server.StartGatewayAsync();

        var (status, _, response) = await PrebindTokens.RequestAsync(gateway.BaseUrl, null);

        Assert.Equal(401, status);
        Assert.StartsWith("Bearer", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
    }

    /// <summary>The gateway and the server disagree on the key: the server's refusal is reported, and the half-made session ends.</summary>
    [Fact]
    public async Task AServerThatRefusesTheLoginToken_Gives502_AndTheSessionEnds()
    {
        var otherKey = PrebindTokens.NewJwkFile(RepoPaths.Scratch("prebind-keys"));
        await using var gateway = await server.StartGatewayAsync($"Gateway:Prebind:ServerJwkFile={otherKey}");
        using var failed = new HostCounter(gateway.Services, "boshgateway.prebind.requests", "boshgateway.prebind.result", "failed");

        var (status, answer, _) = await PrebindTokens.RequestAsync(gateway.BaseUrl, PrebindTokens.For($"alice@{server.Xmpp.Domain}"));

        Assert.Equal(502, status);
        Assert.Equal(1, failed.Total);
        Assert.Contains("not-authorized", answer.GetProperty("error").GetString(), StringComparison.Ordinal);
        await Eventually.TrueAsync(() => gateway.Sessions.Count == 0, () => $"the half-made session never ended: {gateway.Sessions.Count} left", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task ADomainTheGatewayDoesNotServe_Gets400()
    {
        await using var gateway = await server.StartGatewayAsync("Gateway:Backends:AllowUnlistedDomains=false", $"Gateway:Backends:Domains:{server.Xmpp.Domain}:Port={server.Xmpp.C2sPort}");

        var (status, answer, _) = await PrebindTokens.RequestAsync(gateway.BaseUrl, PrebindTokens.For("alice@elsewhere.example"));

        Assert.True(status == 400, answer.ToString());
        Assert.Equal(0, gateway.Sessions.Count);
    }

    /// <summary>
    /// Two nodes sharing Redis: a token used at one node is refused at the other (the jti is claimed in
    /// Redis), and the client attaches through the other node, which forwards to the session's owner.
    /// </summary>
    [Fact]
    public async Task InACluster_ATokenIsUsedOnce_AndThePreboundSessionIsServedFromAnyNode()
    {
        server.Xmpp.RequireRunning();
        await using var redis = await RedisServer.StartAsync();
        string[] settings = [$"Gateway:Prebind:Secret={PrebindTokens.WebAppSecret}", $"Gateway:Prebind:ServerJwkFile={server.JwkFile}"];
        await using var first = await GatewayNode.StartAsync("prebind1", server.Xmpp.C2sPort, redis.ConnectionString, settings);
        await using var second = await GatewayNode.StartAsync("prebind2", server.Xmpp.C2sPort, redis.ConnectionString, settings);
        var token = PrebindTokens.For($"alice@{server.Xmpp.Domain}");

        var (status, answer, _) = await PrebindTokens.RequestAsync(first.BaseUrl, token);
        var (replayed, refusal, _) = await PrebindTokens.RequestAsync(second.BaseUrl, token);

        Assert.True(status == 200, answer.ToString());
        Assert.Equal(401, replayed);
        Assert.Contains("replayed", refusal.GetProperty("error").GetString(), StringComparison.Ordinal);
        await using var alice = new BoshTestClient(second.BoshUrl, server.Xmpp.Domain);
        alice.Attach(answer.GetProperty("sid").GetString()!, answer.GetProperty("rid").GetInt64(), answer.GetProperty("jid").GetString()!);
        var roster = await alice.SendAsync($"<iq type='get' id='roster-1' xmlns='jabber:client'><query xmlns='jabber:iq:roster'/></iq>");
        Assert.Null(alice.Terminate);
        var result = roster.Elements().Single(e => (string?)e.Attribute("id") == "roster-1");
        Assert.Equal("result", (string?)result.Attribute("type"));
        Assert.True(await second.HealthFigureAsync("forwarded") > 0, "the request did not go through the owner node");
    }

    /// <summary>A private ejabberd that takes a JWT signed with <see cref="JwkFile"/> as a user's password.</summary>
    public sealed class JwtEjabberd : IAsyncLifetime
    {
        public XmppServer Xmpp { get; private set; } = null!;

        public string JwkFile { get; } = PrebindTokens.NewJwkFile(RepoPaths.Scratch("prebind-keys"));

        public async ValueTask InitializeAsync()
            => Xmpp = await XmppServers.StartPrivateEjabberdAsync("ejabberd-jwt", new Dictionary<string, string> { ["EJABBERD_JWT_KEY"] = JwkFile }, "alice", "bob");

        public async ValueTask DisposeAsync() => await XmppServers.StopPrivateEjabberdAsync(Xmpp);

        public Task<GatewayHost> StartGatewayAsync(params string[] settings) => StartGatewayAsync(null, settings);

        public Task<GatewayHost> StartGatewayAsync(LogCapture? log, params string[] settings)
        {
            Xmpp.RequireRunning();
            return GatewayHost.StartAsync(Xmpp.C2sPort, log, [$"Gateway:Prebind:Secret={PrebindTokens.WebAppSecret}", $"Gateway:Prebind:ServerJwkFile={JwkFile}", .. settings]);
        }
    }
}
