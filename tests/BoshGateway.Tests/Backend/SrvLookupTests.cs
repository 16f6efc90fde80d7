using System.Net;
using BoshGateway.Backend;

namespace BoshGateway.Tests.Backend;

/// <summary><see cref="SrvLookup.ParseServers"/>: the <c>Gateway:Backends:DnsServers</c> entries.</summary>
public class SrvLookupTests
{
    [Fact]
    public void ParseServers_AddressesWithAndWithoutPort()
    {
        var servers = SrvLookup.ParseServers(["127.0.0.1:5353", " 10.0.0.2 ", "[::1]:5300", "::1"]);
        Assert.Equal(
            [new IPEndPoint(IPAddress.Loopback, 5353), new IPEndPoint(IPAddress.Parse("10.0.0.2"), 53), new IPEndPoint(IPAddress.IPv6Loopback, 5300), new IPEndPoint(IPAddress.IPv6Loopback, 53)],
            servers);
    }

    [Fact]
    public void ParseServers_Empty_MeansSystemResolvers() => Assert.Empty(SrvLookup.ParseServers([]));

    [Theory]
    [InlineData("dns.example:53")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:")]
    [InlineData("")]
    [InlineData("127.0.0.1:0")]
    [InlineData("[::1]:0")]
    public void ParseServers_BadEntry_FormatExceptionNamingIt(string entry)
    {
        var e = Assert.Throws<FormatException>(() => SrvLookup.ParseServers(["127.0.0.1:5353", entry]));
        Assert.Contains($"'{entry}'", e.Message, StringComparison.Ordinal);
    }
}
