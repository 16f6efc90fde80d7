using System.Security.Cryptography.X509Certificates;

namespace BoshGateway.Configuration;

/// <summary>Where and how to reach an XMPP server's c2s port (<c>Gateway:Backends:Default</c>).</summary>
public sealed class BackendOptions
{
    /// <summary>Host name or address. Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>c2s port. Default 5222.</summary>
    public int Port { get; set; } = 5222;

    /// <summary>TLS on the gateway's link. Default <see cref="BackendTlsMode.Auto"/>.</summary>
    public BackendTlsMode Tls { get; set; } = BackendTlsMode.Auto;

    /// <summary>TCP connect timeout. Default 10 s.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Name checked against the server certificate; default: the session's domain.</summary>
    public string? TlsServerName { get; set; }

    /// <summary>Accept any server certificate. For loopback test servers only. Default false.</summary>
    public bool AllowUntrustedCertificate { get; set; }

    /// <summary>
    /// Several servers of one cluster, tried instead of <see cref="Host"/>:<see cref="Port"/>. New sessions go
    /// to the healthy one with the fewest sessions per weight. Empty (default): <see cref="Host"/>:<see cref="Port"/>.
    /// </summary>
    public IList<BackendDestinationOptions> Destinations { get; } = [];

    /// <summary>
    /// Look the domain up in DNS (<c>_xmpp-client._tcp</c> and <c>_xmpps-client._tcp</c>, RFC 6120 §3.2 and
    /// XEP-0368) and use what it names, by priority and weight; <see cref="Destinations"/> or
    /// <see cref="Host"/>:<see cref="Port"/> when it names nothing. Default false.
    /// </summary>
    public bool Srv { get; set; }

    /// <summary>
    /// Start every stream with a PROXY protocol v2 header naming the browser's address, for servers that
    /// accept it (ejabberd's <c>use_proxy_protocol</c>), so the server sees the user rather than the
    /// gateway. Such streams are never pooled (the header names one client). Default false.
    /// </summary>
    public bool ProxyProtocol { get; set; }

    /// <summary>SHA-256 thumbprints (hex) of server certificates trusted even if the chain does not validate.</summary>
    public IList<string> TrustedCertificateThumbprints { get; } = [];

    /// <summary>
    /// PEM file with the CA certificate(s) that server certificates must chain to, instead of the system's roots
    /// (a private CA). The host name is still checked. Read once at start-up; unset (default): the system's roots.
    /// </summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>The certificates of <see cref="TrustedCaFile"/>, loaded at start-up by <see cref="TrustedCaLoader"/>.</summary>
    internal X509Certificate2Collection? TrustedCa { get; set; }
}
