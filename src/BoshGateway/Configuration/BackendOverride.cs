using System.Security.Cryptography.X509Certificates;

namespace BoshGateway.Configuration;

/// <summary>Per-domain settings (<c>Gateway:Backends:Domains:&lt;domain&gt;</c>); unset values come from Default.</summary>
public sealed class BackendOverride
{
    public string? Host { get; set; }

    public int? Port { get; set; }

    public BackendTlsMode? Tls { get; set; }

    public string? TlsServerName { get; set; }

    public bool? AllowUntrustedCertificate { get; set; }

    /// <summary>This domain's servers; empty: <see cref="Host"/>:<see cref="Port"/> (or the default's).</summary>
    public IList<BackendDestinationOptions> Destinations { get; } = [];

    public bool? Srv { get; set; }

    public bool? ProxyProtocol { get; set; }

    /// <summary>This domain's own <see cref="BackendOptions.TrustedCaFile"/>.</summary>
    public string? TrustedCaFile { get; set; }

    /// <summary>The certificates of <see cref="TrustedCaFile"/>, loaded at start-up by <see cref="TrustedCaLoader"/>.</summary>
    internal X509Certificate2Collection? TrustedCa { get; set; }
}
