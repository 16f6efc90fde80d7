using System.Net;
using BoshGateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;

namespace BoshGateway.Tests.Http;

public class TrustedProxiesTests
{
    [Theory]
    [InlineData("127.0.0.2", true)]
    [InlineData("10.0.0.0/8", true)]
    [InlineData("fd00::/8", true)]
    [InlineData("::1", true)]
    [InlineData("nginx", false)]
    [InlineData("10.0.0.0/33", false)]
    public void Entries_AreAddressesOrNetworks(string entry, bool valid) => Assert.Equal(valid, TrustedProxies.TryParse(entry, out _));

    [Fact]
    public void Apply_ReplacesTheLoopbackDefault()
    {
        var options = new ForwardedHeadersOptions();
        TrustedProxies.Apply(options, ["127.0.0.2", "10.0.0.0/8"]);
        Assert.Empty(options.KnownProxies);
        Assert.Equal(2, options.KnownIPNetworks.Count);
        Assert.Contains(options.KnownIPNetworks, n => n.Contains(IPAddress.Parse("127.0.0.2")));
        Assert.DoesNotContain(options.KnownIPNetworks, n => n.Contains(IPAddress.Loopback));
        Assert.Equal(ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto, options.ForwardedHeaders);
    }

    [Fact]
    public void Apply_WithNoEntries_TrustsNobody()
    {
        var options = new ForwardedHeadersOptions();
        TrustedProxies.Apply(options, []);
        Assert.Empty(options.KnownProxies);
        Assert.Empty(options.KnownIPNetworks);
    }
}
