using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Hosting;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Configuration;

public sealed class TrustedCaLoaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("boshgw-ca-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string CaFile(string name, string subject)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, ca.ExportCertificatePem());
        return path;
    }

    private static OptionsValidationException Fails(GatewayOptions options) =>
        Assert.Throws<OptionsValidationException>(() => new TrustedCaLoader().PostConfigure(null, options));

    [Fact]
    public void MissingFile_StopsStartUp_WithOneLineNamingTheKey()
    {
        var options = new GatewayOptions();
        options.Backends.Default.TrustedCaFile = Path.Combine(_dir, "absent.pem");

        var error = Fails(options);

        var line = Assert.Single(StartupErrors.Describe(error));
        Assert.StartsWith("BoshGateway: invalid configuration: Gateway:Backends:Default:TrustedCaFile '", line, StringComparison.Ordinal);
        Assert.Contains("absent.pem", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void FileWithoutCertificate_AndBrokenPem_AreNamedByTheirKeys()
    {
        var notPem = Path.Combine(_dir, "key.pem");
        File.WriteAllText(notPem, "just some text\n");
        var broken = Path.Combine(_dir, "broken.pem");
        File.WriteAllText(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        var options = new GatewayOptions();
        options.Backends.Default.TrustedCaFile = notPem;
        options.Backends.Domains["chat.example"] = new BackendOverride { TrustedCaFile = broken };

        var error = Fails(options);

        Assert.Collection(error.Failures,
            f => Assert.Equal($"Gateway:Backends:Default:TrustedCaFile '{notPem}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).", f),
            f => Assert.StartsWith($"Gateway:Backends:Domains:chat.example:TrustedCaFile '{broken}' cannot be read: ", f, StringComparison.Ordinal));
    }

    [Fact]
    public void GoodFiles_AreLoadedOnce_AndResolvedPerDomain()
    {
        var options = new GatewayOptions();
        options.Backends.Default.TrustedCaFile = CaFile("default.pem", "CN=default CA");
        options.Backends.Domains["chat.example"] = new BackendOverride { TrustedCaFile = CaFile("chat.pem", "CN=chat CA") };
        options.Backends.Domains["plain.example"] = new BackendOverride { Host = "10.0.0.2" };

        new TrustedCaLoader().PostConfigure(null, options);

        Assert.Equal("CN=default CA", Assert.Single(BackendRoute.Resolve(options.Backends, "other.example", null).TrustedCa!).Subject);
        Assert.Equal("CN=default CA", Assert.Single(BackendRoute.Resolve(options.Backends, "plain.example", null).TrustedCa!).Subject);
        var chat = BackendRoute.Resolve(options.Backends, "chat.example", null).TrustedCa;
        Assert.Equal("CN=chat CA", Assert.Single(chat!).Subject);
        // The same loaded collection for every session: nothing is read per connect.
        Assert.Same(chat, BackendRoute.Resolve(options.Backends, "chat.example", null).TrustedCa);
    }

    [Fact]
    public void NoFile_MeansSystemRoots()
    {
        var options = new GatewayOptions();
        new TrustedCaLoader().PostConfigure(null, options);
        Assert.Null(BackendRoute.Resolve(options.Backends, "example.org", null).TrustedCa);
    }
}
