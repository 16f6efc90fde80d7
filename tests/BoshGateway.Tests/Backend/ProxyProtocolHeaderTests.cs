using System.Net;
using BoshGateway.Backend;

namespace BoshGateway.Tests.Backend;

/// <summary>The PROXY protocol v2 header, byte for byte against the layout of HAProxy's proxy-protocol.txt §2.2.</summary>
public class ProxyProtocolHeaderTests
{
    private static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    [Fact]
    public void IPv4Client_IPv4Server()
    {
        var header = ProxyProtocolHeader.Create(IPAddress.Parse("198.51.100.7"), 40000, new IPEndPoint(IPAddress.Parse("10.0.0.2"), 5222));
        Assert.Equal(Signature, header[..12]);
        Assert.Equal(0x21, header[12]);
        Assert.Equal(0x11, header[13]);
        Assert.Equal([0, 12], header[14..16]);
        Assert.Equal([198, 51, 100, 7, 10, 0, 0, 2, 0x9C, 0x40, 0x14, 0x66], header[16..]);
    }

    [Fact]
    public void IPv4MappedClient_IsWrittenAsIPv4()
    {
        var header = ProxyProtocolHeader.Create(IPAddress.Parse("::ffff:198.51.100.7"), 0, new IPEndPoint(IPAddress.Loopback, 5222));
        Assert.Equal(0x11, header[13]);
        Assert.Equal(28, header.Length);
        Assert.Equal([198, 51, 100, 7], header[16..20]);
    }

    [Fact]
    public void IPv6Client_IPv4Server_BothAsIPv6()
    {
        var header = ProxyProtocolHeader.Create(IPAddress.Parse("2001:db8::1"), 1, new IPEndPoint(IPAddress.Loopback, 5222));
        Assert.Equal(0x21, header[13]);
        Assert.Equal([0, 36], header[14..16]);
        Assert.Equal(IPAddress.Parse("2001:db8::1").GetAddressBytes(), header[16..32]);
        Assert.Equal(IPAddress.Loopback.MapToIPv6().GetAddressBytes(), header[32..48]);
        Assert.Equal(52, header.Length);
    }

    [Fact]
    public void NoClient_IsTheLocalCommand()
    {
        var header = ProxyProtocolHeader.Create(null, 0, new IPEndPoint(IPAddress.Loopback, 5222));
        Assert.Equal(16, header.Length);
        Assert.Equal(0x20, header[12]);
        Assert.Equal([0, 0, 0], header[13..]);
    }
}
