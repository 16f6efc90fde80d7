using BoshGateway.Configuration;

namespace BoshGateway.Backend;

/// <summary>A resolved backend for one session: where to connect, for which XMPP domain, and how.</summary>
public sealed record BackendTarget(
    string Domain,
    string Host,
    int Port,
    BackendTlsMode Tls,
    string TlsServerName,
    bool AllowUntrustedCertificate,
    IReadOnlyList<string> TrustedCertificateThumbprints,
    TimeSpan ConnectTimeout);
