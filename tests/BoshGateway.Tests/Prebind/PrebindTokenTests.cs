using System.Text.Json;
using BoshGateway.Prebind;

namespace BoshGateway.Tests.Prebind;

public class PrebindTokenTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);

    private static PrebindToken? Read(object claims, out string? error)
    {
        using var json = JsonDocument.Parse(JsonSerializer.Serialize(claims));
        return PrebindToken.Read(json.RootElement, Now, Lifetime, out error);
    }

    private static long In(int seconds) => Now.AddSeconds(seconds).ToUnixTimeSeconds();

    [Fact]
    public void AGoodRequest_NamesUserDomainAndResource()
    {
        var token = Read(new { sub = "Alice@Example.ORG", exp = In(60), jti = "1", resource = "web" }, out var error);

        Assert.Null(error);
        Assert.Equal(("Alice", "example.org", "web", "1"), (token!.User, token.Domain, token.Resource, token.Id));
        Assert.Equal(Now.AddSeconds(60), token.Expires);
        Assert.Equal("AGFsaWNlAHNlY3JldA==", new PrebindToken("alice", "x", null, "1", Now).PlainResponse("secret"));
    }

    public static TheoryData<object, string> Refused => new()
    {
        { new { sub = "a@b", jti = "1" }, "no exp" },
        { new { sub = "a@b", exp = "soon", jti = "1" }, "no exp" },
        { new { sub = "a@b", exp = In(0), jti = "1" }, "expired" },
        { new { sub = "a@b", exp = In(-1), jti = "1" }, "expired" },
        { new { sub = "a@b", exp = In(301), jti = "1" }, "exp further ahead than Gateway:Prebind:MaxTokenLifetime" },
        { new { sub = "a@b", exp = In(60) }, "no jti" },
        { new { sub = "a@b", exp = In(60), jti = "" }, "no jti" },
        { new { sub = "a@b", exp = In(60), jti = new string('x', 129) }, "no jti" },
        { new { exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "example.org", exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "a@b/res", exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "a b@c", exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "a'<x/>@c", exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "a@", exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "@b", exp = In(60), jti = "1" }, "sub is not a bare JID" },
        { new { sub = "a@b", exp = In(60), jti = "1", resource = "" }, "bad resource" },
        { new { sub = "a@b", exp = In(60), jti = "1", resource = "x\ny" }, "bad resource" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void ABadRequest_SaysWhy(object claims, string why)
    {
        Assert.Null(Read(claims, out var error));
        Assert.Equal(why, error);
    }
}
