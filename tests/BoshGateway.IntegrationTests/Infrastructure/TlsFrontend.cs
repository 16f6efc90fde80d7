using System.Globalization;
using System.Security.Cryptography.X509Certificates;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A balancer started for one test (nginx, HAProxy) on a free loopback port, over TLS with a self-signed
/// certificate made for the run, in front of gateway nodes; or, when it is not installed, why not.
/// </summary>
public abstract class TlsFrontend : IAsyncDisposable
{
    private readonly SelfSignedCertificate? _tls;

    protected TlsFrontend(string directory, int port, SelfSignedCertificate? tls, string? unavailable)
    {
        Directory = directory;
        Port = port;
        _tls = tls;
        UnavailableReason = unavailable;
    }

    public string Directory { get; }

    public int Port { get; }

    public string? UnavailableReason { get; }

    public X509Certificate2 Certificate => _tls!.Certificate;

    public Uri BaseUrl => new($"https://localhost:{Port.ToString(CultureInfo.InvariantCulture)}/");

    public Uri BoshUrl => new(BaseUrl, "/http-bind");

    public Uri WebSocketUrl => new($"wss://localhost:{Port.ToString(CultureInfo.InvariantCulture)}/xmpp-websocket");

    /// <summary>An HTTP handler that trusts this run's certificate and nothing else.</summary>
    public HttpClientHandler TrustingHandler() => _tls!.TrustingHandler();

    /// <summary>As above, with connections from <paramref name="source"/>: the client address the balancer passes on.</summary>
    public SocketsHttpHandler TrustingHandler(System.Net.IPAddress source) => _tls!.TrustingHandler(source);

    /// <summary>True for this run's certificate (for a TLS connection a test opens itself).</summary>
    protected bool IsThisRunsCertificate(X509Certificate? certificate) => _tls!.IsThis(certificate);

    public void RequireRunning()
    {
        if (UnavailableReason is not null)
        {
            Requirement.Missing(UnavailableReason);
        }
    }

    /// <summary>Stops the balancer's process (only called when it was started).</summary>
    protected abstract Task StopAsync();

    public async ValueTask DisposeAsync()
    {
        if (UnavailableReason is null)
        {
            await StopAsync();
        }
        _tls?.Dispose();
        GC.SuppressFinalize(this);
    }
}
