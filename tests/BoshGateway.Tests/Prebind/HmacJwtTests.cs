using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using BoshGateway.Prebind;

namespace BoshGateway.Tests.Prebind;

public class HmacJwtTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("0123456789abcdef0123456789abcdef");

    [Fact]
    public void ASignedToken_VerifiesWithTheSameKey()
    {
        var token = HmacJwt.Sign(Key, """{"sub":"alice@example.org","exp":42}"""u8);

        var claims = HmacJwt.Verify(token, Key, out var error);

        Assert.Null(error);
        Assert.Equal("alice@example.org", claims!.Value.GetProperty("sub").GetString());
        Assert.Equal(3, token.Split('.').Length);
    }

    [Fact]
    public void AnotherKey_IsABadSignature()
    {
        var token = HmacJwt.Sign(Key, """{"sub":"a@b"}"""u8);

        Assert.Null(HmacJwt.Verify(token, Encoding.UTF8.GetBytes("another key of the same length 32"), out var error));
        Assert.Equal("bad signature", error);
    }

    [Fact]
    public void ChangedClaims_AreABadSignature()
    {
        var token = HmacJwt.Sign(Key, """{"sub":"alice@example.org"}"""u8);
        var parts = token.Split('.');
        var forged = Base64Url.EncodeToString("""{"sub":"admin@example.org"}"""u8);

        Assert.Null(HmacJwt.Verify($"{parts[0]}.{forged}.{parts[2]}", Key, out var error));
        Assert.Equal("bad signature", error);
    }

    [Theory]
    [InlineData("""{"alg":"none"}""")]
    [InlineData("""{"alg":"HS512"}""")]
    [InlineData("""{"alg":"RS256"}""")]
    [InlineData("""{"typ":"JWT"}""")]
    [InlineData("""[1]""")]
    public void AnyAlgorithmButHS256_IsRefusedBeforeTheSignature(string header)
    {
        var part = (string s) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(s));
        var token = $"{part(header)}.{part("""{"sub":"a@b"}""")}.";

        Assert.Null(HmacJwt.Verify(token, Key, out var error));
        Assert.Equal("alg is not HS256", error);
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("a.b")]
    [InlineData("a.b.c.d")]
    [InlineData("!!.??.**")]
    [InlineData(".x.y")]
    public void Garbage_IsNotACompactJwt(string token)
    {
        Assert.Null(HmacJwt.Verify(token, Key, out var error));
        Assert.Equal("not a compact JWT", error);
    }

    [Fact]
    public void AHugeToken_IsRefusedUnread()
    {
        Assert.Null(HmacJwt.Verify(new string('a', 100_000), Key, out var error));
        Assert.Equal("token too long", error);
    }

    [Fact]
    public void ClaimsThatAreNotAnObject_AreRefused()
    {
        var token = HmacJwt.Sign(Key, "[1,2]"u8);

        Assert.Null(HmacJwt.Verify(token, Key, out var error));
        Assert.Equal("claims are not a JSON object", error);
    }

    [Fact]
    public void ATokenSignedElsewhere_Verifies()
    {
        // RFC 7515 appendix-style check against an independent HMAC: the signing input is header.payload as sent.
        var header = "eyJhbGciOiJIUzI1NiJ9";
        var payload = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { sub = "bob@example.org" }));
        var signature = Base64Url.EncodeToString(System.Security.Cryptography.HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes($"{header}.{payload}")));

        Assert.Equal("bob@example.org", HmacJwt.Verify($"{header}.{payload}.{signature}", Key, out _)!.Value.GetProperty("sub").GetString());
    }
}
