using System.Security.Cryptography.X509Certificates;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A self-signed certificate for <c>localhost</c>, made with openssl for one front end's run (nginx, HAProxy):
/// its PEM files for the front end to load, and clients that trust it and nothing else.
/// </summary>
public sealed class SelfSignedCertificate : IDisposable
{
    private SelfSignedCertificate(string certificateFile, string keyFile)
    {
        CertificateFile = certificateFile;
        KeyFile = keyFile;
        Certificate = X509CertificateLoader.LoadCertificateFromFile(certificateFile);
    }

    public string CertificateFile { get; }

    public string KeyFile { get; }

    public X509Certificate2 Certificate { get; }

    /// <summary>Makes <c>cert.pem</c> and <c>key.pem</c> in <paramref name="directory"/>.</summary>
    public static async Task<SelfSignedCertificate> CreateAsync(string directory)
    {
        var (cert, key) = (Path.Combine(directory, "cert.pem"), Path.Combine(directory, "key.pem"));
        var (exit, output) = await ProcessRunner.RunAsync("openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
            TimeSpan.FromSeconds(30));
        Assert.True(exit == 0, "openssl failed: " + output);
        return new SelfSignedCertificate(cert, key);
    }

    public bool IsThis(X509Certificate? certificate) =>
        certificate is not null && certificate.GetCertHashString() == Certificate.GetCertHashString();

    /// <summary>An HTTP handler that trusts this certificate and nothing else.</summary>
    public HttpClientHandler TrustingHandler() => new()
    {
        ServerCertificateCustomValidationCallback = (_, certificate, _, _) => IsThis(certificate),
    };

    /// <summary>As above, with connections that come from <paramref name="source"/> (a client address of the test's choosing).</summary>
    public SocketsHttpHandler TrustingHandler(System.Net.IPAddress source)
    {
        var handler = LoopbackHttp.Handler(source);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) => IsThis(certificate);
        return handler;
    }

    public void Dispose() => Certificate.Dispose();
}
