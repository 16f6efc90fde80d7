using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using BoshGateway.Hosting;
using BoshGateway.IntegrationTests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace BoshGateway.IntegrationTests.Browser;

/// <summary>
/// The real gateway for a browser test: fixed loopback ports (so it can be stopped and started again
/// under an open page), the test pages' origin allowed, and optionally a TLS listener with a
/// self-signed certificate for <c>localhost</c> (XEP-0156 discovery is fetched over https only).
/// </summary>
internal sealed class BrowserGateway : IAsyncDisposable
{
    private readonly string[] _args;
    private readonly X509Certificate2? _certificate;
    private WebApplication? _app;

    private BrowserGateway(XmppServer server, int pagesPort, bool tls, string[] settings)
    {
        HttpPort = FreePort.Next();
        PagesPort = pagesPort;
        if (tls)
        {
            TlsPort = FreePort.Next();
            _certificate = SelfSigned();
        }
        var args = new List<string>
        {
            $"--Gateway:Backends:Default:Port={server.C2sPort.ToString(CultureInfo.InvariantCulture)}",
            "--Gateway:Backends:Default:Tls=None",
            // As the shipped nginx site is deployed: nginx connects from 127.0.0.2, the one proxy believed.
            "--Gateway:TrustedProxies:0=127.0.0.2",
            $"--Gateway:AllowedOrigins:0=http://127.0.0.1:{pagesPort.ToString(CultureInfo.InvariantCulture)}",
            "--Logging:LogLevel:Default=Warning",
            // The listeners are set in code below; Kestrel says so about the Urls from appsettings.json.
            "--Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel=Error",
            // No balancer polls it: a restart scenario ends sessions at once, as before the grace existed.
            "--Gateway:ShutdownGrace=00:00:00",
        };
        args.AddRange(settings.Select(s => "--" + s));
        _args = [.. args];
    }

    public int HttpPort { get; }

    public int? TlsPort { get; }

    /// <summary>The port of the runner's page server, whose origin the gateway allows.</summary>
    public int PagesPort { get; }

    public Uri BoshUrl => new($"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}/http-bind");

    public Uri WebSocketUrl => new($"ws://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}/xmpp-websocket");

    public Uri BaseUrl => new($"http://127.0.0.1:{HttpPort.ToString(CultureInfo.InvariantCulture)}/");

    public static async Task<BrowserGateway> StartAsync(XmppServer server, bool tls = false, params string[] settings)
    {
        var gateway = new BrowserGateway(server, FreePort.Next(), tls, settings);
        await gateway.StartAgainAsync();
        return gateway;
    }

    /// <summary>Stops the gateway as a deploy would (sessions end with <c>system-shutdown</c>); the ports stay this gateway's.</summary>
    public async Task StopAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    /// <summary>Starts a new gateway process-in-process on the same ports.</summary>
    public async Task StartAgainAsync()
    {
        Assert.Null(_app);
        var app = GatewayApplication.Build(_args, builder => builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, HttpPort);
            if (TlsPort is { } tlsPort)
            {
                kestrel.Listen(IPAddress.Loopback, tlsPort, listen => listen.UseHttps(_certificate!));
            }
        }));
        await app.StartAsync();
        _app = app;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _certificate?.Dispose();
    }

    /// <summary>A throwaway certificate for <c>localhost</c>; the browser is told to accept it.</summary>
    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
