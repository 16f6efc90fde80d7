using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;

namespace BoshGateway.Tests.Backend;

public class BackendRouteTests
{
    private static BackendsOptions Options()
    {
        var options = new BackendsOptions();
        options.Default.Host = "10.0.0.1";
        options.Domains["chat.example"] = new BackendOverride { Host = "xmpp.internal", Port = 5223, Tls = BackendTlsMode.DirectTls };
        options.AllowedRoutes.Add("backup.internal:5222");
        return options;
    }

    [Fact]
    public void Domain_UsesItsOverride_OtherValuesFromDefault()
    {
        var target = BackendRoute.Resolve(Options(), "Chat.Example.", null);
        Assert.Equal(("chat.example", "xmpp.internal", 5223, BackendTlsMode.DirectTls), (target.Domain, target.Host, target.Port, target.Tls));
        Assert.Equal("chat.example", target.TlsServerName);
    }

    [Fact]
    public void UnlistedDomain_GoesToDefault_UnlessForbidden()
    {
        Assert.Equal("10.0.0.1", BackendRoute.Resolve(Options(), "other.example", null).Host);
        var forbidding = Options();
        forbidding.AllowUnlistedDomains = false;
        Assert.Equal(BoshConditions.HostUnknown, Assert.Throws<BoshProtocolException>(() => BackendRoute.Resolve(forbidding, "other.example", null)).Condition);
    }

    [Fact]
    public void StreamsToOneDestination_ShareOneAimedTarget()
    {
        var options = Options();
        var destinations = new BackendDestinations(Microsoft.Extensions.Options.Options.Create(new GatewayOptions { Backends = options }));
        var target = BackendRoute.Resolve(options, "other.example", null);
        var destination = destinations.Get(new DestinationAddress("10.0.0.7", 5223, 1, DirectTls: true));

        var aimed = destination.Aim(target);
        Assert.Equal(("10.0.0.7", 5223, BackendTlsMode.DirectTls, "other.example"), (aimed.Host, aimed.Port, aimed.Tls, aimed.Domain));
        Assert.Same(aimed, destination.Aim(target));
        var other = BackendRoute.Resolve(options, "chat.example", null);
        Assert.Equal("chat.example", destination.Aim(other).Domain); // another target is aimed anew, not given the last one
    }

    [Fact]
    public void SessionsOfOneDomain_ShareOneTarget_ButARouteGetsItsOwn()
    {
        var options = Options();
        options.AllowedRoutes.Add("10.9.9.9:5222");
        var first = BackendRoute.Resolve(options, "other.example", null);

        Assert.Same(first, BackendRoute.Resolve(options, "other.example", null));
        Assert.NotSame(first, BackendRoute.Resolve(Options(), "other.example", null)); // per options instance
        var routed = BackendRoute.Resolve(options, "other.example", "xmpp:10.9.9.9:5222");
        Assert.Equal("10.9.9.9", routed.Host);
        Assert.Equal("10.0.0.1", BackendRoute.Resolve(options, "other.example", null).Host);
    }

    [Theory]
    [InlineData("bücher.example", "xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("BÜCHER.example.", "xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "bücher.example", "bücher.example")]
    [InlineData("XN--BCHER-KVA.EXAMPLE", "bücher.example", "bücher.example")]
    public void InternationalizedTo_MatchesItsDomainConfiguredInTheOtherForm(string to, string configured, string expected)
    {
        var options = Options();
        options.AllowUnlistedDomains = false;
        options.Domains[configured] = new BackendOverride { Host = "idn.internal" };
        var target = BackendRoute.Resolve(options, to, null);
        Assert.Equal((expected, "idn.internal"), (target.Domain, target.Host));
    }

    [Theory]
    [InlineData("bücher.example")]
    [InlineData("xn--bcher-kva.example")]
    [InlineData("xn--invalid-.example")]
    public void InternationalizedTo_NotConfigured_IsHostUnknown_WhenUnlistedAreRefused(string to)
    {
        var options = Options();
        options.AllowUnlistedDomains = false;
        Assert.Equal(BoshConditions.HostUnknown, Assert.Throws<BoshProtocolException>(() => BackendRoute.Resolve(options, to, null)).Condition);
    }

    [Theory]
    [InlineData("xmpp:127.0.0.1:6379")]
    [InlineData("xmpp:[::1]:22")]
    [InlineData("xmpp:169.254.169.254:80")]
    public void Route_NotAllowed_IsIgnored(string route)
    {
        var target = BackendRoute.Resolve(Options(), "other.example", route);
        Assert.Equal(("10.0.0.1", 5222), (target.Host, target.Port));
    }

    [Fact]
    public void Route_Allowed_IsDialled()
    {
        var target = BackendRoute.Resolve(Options(), "other.example", "xmpp:backup.internal:5222");
        Assert.Equal(("backup.internal", 5222), (target.Host, target.Port));
    }

    [Theory]
    [InlineData(null, BoshConditions.ImproperAddressing)]
    [InlineData("", BoshConditions.ImproperAddressing)]
    [InlineData("bad domain", BoshConditions.HostUnknown)]
    [InlineData("user@domain", BoshConditions.HostUnknown)]
    [InlineData("a..b", BoshConditions.HostUnknown)]
    public void BadTo_IsRefused(string? to, string condition)
    {
        var ex = Assert.Throws<BoshProtocolException>(() => BackendRoute.Resolve(Options(), to, null));
        Assert.Equal(condition, ex.Condition);
    }
}
