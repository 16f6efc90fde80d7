using System.Net;
using BoshGateway.Configuration;
using BoshGateway.StatusPage;
using Microsoft.AspNetCore.Http;

namespace BoshGateway.Tests.StatusPage;

/// <summary>Who may see the status page: loopback only without a token; with one, whoever sends it, and nobody else.</summary>
public class StatusAccessTests
{
    private const string Token = "0123456789abcdef-status";

    [Theory]
    [InlineData("127.0.0.1", 200)]
    [InlineData("127.0.0.2", 200)]
    [InlineData("::1", 200)]
    [InlineData("::ffff:127.0.0.1", 200)]
    [InlineData("203.0.113.5", 403)]
    [InlineData("192.168.1.10", 403)]
    [InlineData("::ffff:203.0.113.5", 403)]
    [InlineData(null, 403)]
    public void WithoutAToken_OnlyLoopbackIsServed(string? address, int expected)
    {
        var access = new StatusAccess(new StatusPageOptions());

        Assert.Equal(expected, access.Check(Request(address, authorization: null)));
    }

    [Theory]
    [InlineData("127.0.0.1", null, 401)]
    [InlineData("127.0.0.1", "Bearer wrong-token-of-some-length", 401)]
    [InlineData("127.0.0.1", "Bearer " + Token + "x", 401)]
    [InlineData("127.0.0.1", "Basic " + Token, 401)]
    [InlineData("127.0.0.1", Token, 401)]
    [InlineData("127.0.0.1", "Bearer ", 401)]
    [InlineData("127.0.0.1", "Bearer " + Token, 200)]
    [InlineData("203.0.113.5", "Bearer " + Token, 200)]
    [InlineData("203.0.113.5", "bearer " + Token, 200)]
    [InlineData("203.0.113.5", null, 401)]
    public void WithAToken_EveryRequestMustCarryIt(string address, string? authorization, int expected)
    {
        var access = new StatusAccess(new StatusPageOptions { BearerToken = Token });

        Assert.Equal(expected, access.Check(Request(address, authorization)));
    }

    [Fact]
    public void TwoAuthorizationHeaders_AreRefused()
    {
        var access = new StatusAccess(new StatusPageOptions { BearerToken = Token });
        var context = Request("127.0.0.1", null);
        context.Request.Headers.Authorization = new(["Bearer " + Token, "Bearer " + Token]);

        Assert.Equal(401, access.Check(context));
    }

    private static DefaultHttpContext Request(string? address, string? authorization)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = address is null ? null : IPAddress.Parse(address);
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        return context;
    }
}
