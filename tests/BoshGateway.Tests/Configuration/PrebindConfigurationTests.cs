using BoshGateway.Configuration;
using BoshGateway.Hosting;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Configuration;

public sealed class PrebindConfigurationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("boshgw-jwk-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static GatewayOptions Prebind(string? secret, string? jwk)
    {
        var options = new GatewayOptions();
        options.Prebind.Secret = secret;
        options.Prebind.ServerJwkFile = jwk;
        return options;
    }

    [Fact]
    public void AGoodJwk_IsReadAtStartUp()
    {
        var options = Prebind("s", File("good.jwk", """{"kty":"oct","k":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"}"""));

        new PrebindKeyLoader().PostConfigure(null, options);

        Assert.Equal(Enumerable.Range(0, 32).Select(i => (byte)i), options.Prebind.ServerKey!);
    }

    [Theory]
    [InlineData("""{"kty":"RSA","n":"x","e":"AQAB"}""", "is not a symmetric JWK")]
    [InlineData("""{"kty":"oct","k":"AAEC"}""", "holds a key of 3 bytes")]
    [InlineData("""{"kty":"oct","k":"!!"}""", "cannot be read")]
    [InlineData("not json", "cannot be read")]
    public void ABadJwk_StopsStartUp_WithOneLineNamingTheKey(string text, string why)
    {
        var options = Prebind("s", File("bad.jwk", text));

        var error = Assert.Throws<OptionsValidationException>(() => new PrebindKeyLoader().PostConfigure(null, options));

        var line = Assert.Single(StartupErrors.Describe(error));
        Assert.StartsWith("BoshGateway: invalid configuration: Gateway:Prebind:ServerJwkFile '", line, StringComparison.Ordinal);
        Assert.Contains(why, line, StringComparison.Ordinal);
    }

    [Fact]
    public void AMissingJwkFile_StopsStartUp()
    {
        var options = Prebind("s", Path.Combine(_dir, "absent.jwk"));

        var error = Assert.Throws<OptionsValidationException>(() => new PrebindKeyLoader().PostConfigure(null, options));

        Assert.Contains("absent.jwk' cannot be read", Assert.Single(StartupErrors.Describe(error)), StringComparison.Ordinal);
    }

    [Fact]
    public void Off_ByDefault_AndValid() => Assert.True(new GatewayOptionsValidator().Validate(null, new GatewayOptions()).Succeeded);

    [Theory]
    [InlineData("short", "/x.jwk", "Gateway:Prebind:Secret must be at least 32 bytes.")]
    [InlineData("a-secret-long-enough-for-hmac-sha256", null, "Gateway:Prebind:ServerJwkFile must be set with Gateway:Prebind:Secret")]
    [InlineData(null, "/x.jwk", "Gateway:Prebind:ServerJwkFile is set but Gateway:Prebind:Secret is not")]
    public void BadCombinations_AreNamedByKey(string? secret, string? jwk, string message)
    {
        var result = new GatewayOptionsValidator().Validate(null, Prebind(secret, jwk));

        Assert.StartsWith(message, Assert.Single(result.Failures!), StringComparison.Ordinal);
    }

    [Fact]
    public void APathSharedWithBosh_AndOutOfRangeTimes_AreNamedByKey()
    {
        var options = Prebind("a-secret-long-enough-for-hmac-sha256", "/x.jwk");
        options.Prebind.Path = "/http-bind";
        options.Prebind.MaxTokenLifetime = TimeSpan.FromDays(1);
        options.Prebind.LoginTimeout = TimeSpan.Zero;

        var result = new GatewayOptionsValidator().Validate(null, options);

        Assert.Equal(3, result.Failures!.Count());
        foreach (var key in new[] { "Gateway:Prebind:Path", "Gateway:Prebind:MaxTokenLifetime", "Gateway:Prebind:LoginTimeout" })
        {
            Assert.Contains(result.Failures!, f => f.StartsWith(key, StringComparison.Ordinal));
        }
    }
}
