using System.Security.Cryptography.X509Certificates;
using BoshGateway.Configuration;

namespace BoshGateway.Backend;

/// <summary>
/// A resolved backend for one session: where to connect, for which XMPP domain, and how. <paramref name="TrustedCa"/>:
/// the roots a server certificate must chain to (<c>TrustedCaFile</c>); null: the system's.
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
    X509Certificate2Collection? TrustedCa = null);
