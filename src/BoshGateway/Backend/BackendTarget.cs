using System.Security.Cryptography.X509Certificates;
using BoshGateway.Configuration;

namespace BoshGateway.Backend;

/// <summary>
/// A resolved backend for one session: for which XMPP domain, where to connect and how. <see cref="Host"/>
/// and <see cref="Port"/> are the first configured destination; <see cref="Destinations"/> lists them all,
/// and with <see cref="Srv"/> DNS may name others. <paramref name="TrustedCa"/>: the roots a server
/// certificate must chain to (<c>TrustedCaFile</c>); null: the system's.
/// </summary>
public sealed record BackendTarget(
    string Domain,
    string Host,
    int Port,
    BackendTlsMode Tls,
    string TlsServerName,
    bool AllowUntrustedCertificate,
    IReadOnlyList<string> TrustedCertificateThumbprints,
    TimeSpan ConnectTimeout,
    X509Certificate2Collection? TrustedCa = null)
{
    /// <summary>The configured servers of the domain (at least one).</summary>
    public IReadOnlyList<DestinationAddress> Destinations { get; init; } = [new(Host, Port, 1)];

    /// <summary>Look the domain up in DNS SRV first.</summary>
    public bool Srv { get; init; }

    /// <summary>Start each stream with a PROXY protocol v2 header naming <see cref="Client"/>.</summary>
    public bool ProxyProtocol { get; init; }

    /// <summary>The session's client (the browser's address), for <see cref="ProxyProtocol"/>; null for pooled streams and checks.</summary>
    public System.Net.IPAddress? Client { get; init; }

    /// <summary>This target aimed at one destination (direct TLS when DNS said <c>_xmpps-client</c>).</summary>
    public BackendTarget At(DestinationAddress destination) => this with
    {
        Host = destination.Host,
        Port = destination.Port,
        Tls = destination.DirectTls ? BackendTlsMode.DirectTls : Tls,
    };
}

/// <summary>
/// One server's address, from the configuration or a DNS SRV record (RFC 6120 §3.2.1; the target without its
/// trailing dot): host, port, relative weight (SRV weight 0: only a small chance among its priority), priority
/// (lower first) and whether TLS starts with the first byte (<c>_xmpps-client._tcp</c>, XEP-0368).
/// </summary>
public readonly record struct DestinationAddress(string Host, int Port, int Weight, bool DirectTls = false, int Priority = 0)
{
    public string Key => $"{Host}:{Port}";
}
