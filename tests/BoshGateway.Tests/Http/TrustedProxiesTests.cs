using System.Net;
using BoshGateway.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        TrustedProxies.Apply(options, []);
        Assert.Equal(ForwardedHeaders.None, options.ForwardedHeaders);
    }

    /// <summary>What ASP.NET Core's own middleware makes of a request from <paramref name="peer"/> naming 203.0.113.9.</summary>
    private static async Task<IPAddress?> ClientSeenAsync(string[] trusted, string peer)
    {
        var options = new ForwardedHeadersOptions();
        TrustedProxies.Apply(options, trusted);
        IPAddress? seen = null;
        var middleware = new ForwardedHeadersMiddleware(context =>
        {
            seen = context.Connection.RemoteIpAddress;
            return Task.CompletedTask;
        }, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, Microsoft.Extensions.Options.Options.Create(options));
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        context.Request.Headers["X-Forwarded-For"] = "203.0.113.9";
        await middleware.Invoke(context);
        return seen;
    }

    [Fact]
    public async Task NoEntries_TrustsNobody_NotEveryone()
    {
        // ASP.NET Core believes every peer when both of its lists are empty: an empty setting must not mean that.
        Assert.Equal(IPAddress.Loopback, await ClientSeenAsync([], "127.0.0.1"));
        Assert.Equal(IPAddress.Parse("198.51.100.1"), await ClientSeenAsync([], "198.51.100.1"));
    }

    [Fact]
    public async Task ListedProxy_IsBelieved_OtherLocalPeersAreNot()
    {
        Assert.Equal(IPAddress.Parse("203.0.113.9"), await ClientSeenAsync(["127.0.0.2"], "127.0.0.2"));
        Assert.Equal(IPAddress.Loopback, await ClientSeenAsync(["127.0.0.2"], "127.0.0.1"));
        Assert.Equal(IPAddress.Parse("203.0.113.9"), await ClientSeenAsync(["10.0.0.0/8"], "10.1.2.3"));
    }
}
