using System.Buffers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Xml.Linq;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Xml;
using BoshGateway.Telemetry;

namespace BoshGateway.Backend;

// Stream opening and STARTTLS, done by the gateway before the session sees anything.
internal sealed partial class BackendConnection
{
    private string? _certificateRejection; // why ValidateCertificate said no, for the failure message

    /// <summary>
    /// Opens the stream; after it, the handshake events hold the header and features the client should see.
    /// No token reaches the socket: the caller's deadline disposes the socket instead. A socket keeps the
    /// cancellation registration of its last pending read in a cached operation for as long as it lives, which
    /// would keep the deadline's token sources (and their parents) alive for the whole session.
    /// </summary>
    internal async Task HandshakeAsync(string? language)
    {
        if (_target.Tls == BackendTlsMode.DirectTls)
        {
            await UpgradeToTlsAsync();
        }
        var features = await OpenStreamAsync(language);
        var starttls = features.Element(XName.Get("starttls", XmlNames.Tls));
        if (starttls is null)
        {
            if (_target.Tls == BackendTlsMode.StartTls)
            {
                throw new BackendConnectException("the server does not offer STARTTLS but Tls is StartTls");
            }
            return;
        }
        if (_target.Tls == BackendTlsMode.None)
        {
            if (starttls.Element(XName.Get("required", XmlNames.Tls)) is not null)
            {
                throw new BackendConnectException("the server requires STARTTLS but Tls is None");
            }
            return;
        }
        if (_target.Tls == BackendTlsMode.DirectTls)
        {
            return;
        }
        _handshakeEvents.Clear();
        await _stream.WriteAsync("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"u8.ToArray());
        var answer = await ReadElementAsync();
        if (!answer.Is("proceed", XmlNames.Tls))
        {
            throw new BackendConnectException("the server refused STARTTLS");
        }
        _handshakeEvents.Clear();
        await UpgradeToTlsAsync();
        _reader.Reset();
        await OpenStreamAsync(language);
    }

    private async Task<XElement> OpenStreamAsync(string? language)
    {
        using var activity = GatewayActivitySource.StartBackendStep("backend.stream_open", _target.Host, _target.Port);
        try
        {
            await _stream.WriteAsync(StreamHeader(_target.Domain, language));
            while (true)
            {
                var element = await ReadElementAsync();
                if (element.Is("features", XmlNames.Streams))
                {
                    var selfContained = ElementWriter.ToSelfContained(element, _header!.Namespaces, includeDefault: true);
                    return XElement.Parse(System.Text.Encoding.UTF8.GetString(selfContained.Span));
                }
            }
        }
        catch (Exception ex)
        {
            GatewayActivitySource.Fail(activity, ex);
            throw;
        }
    }

    /// <summary>Reads until the next top-level element; a stream error or end fails the handshake.</summary>
    private async Task<XmlElement> ReadElementAsync()
    {
        var seen = _handshakeEvents.Count;
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        try
        {
            while (true)
            {
                for (; seen < _handshakeEvents.Count; seen++)
                {
                    if (_handshakeEvents[seen] is XmlElement element)
                    {
                        if (element.Is("error", XmlNames.Streams))
                        {
                            throw new BackendConnectException("the server sent a stream error", ServerElementFilter.ToClient(element, _header!.Namespaces));
                        }
                        return element;
                    }
                }
                if (_reader.RootClosed)
                {
                    throw new BackendConnectException("the server closed the stream during the handshake");
                }
                var read = await _stream.ReadAsync(buffer);
                if (read == 0)
                {
                    throw new BackendConnectException("the server closed the connection during the handshake");
                }
                try
                {
                    _reader.Feed(buffer.AsSpan(0, read));
                }
                catch (XmlStreamException ex)
                {
                    throw new BackendConnectException("the server sent invalid XML: " + ex.Message, ex);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task UpgradeToTlsAsync()
    {
        using var activity = GatewayActivitySource.StartBackendStep("backend.tls", _target.Host, _target.Port);
        var ssl = new SslStream(_stream, leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = _target.TlsServerName,
            RemoteCertificateValidationCallback = ValidateCertificate,
            CertificateChainPolicy = TrustedCaPolicy(_target.TrustedCa),
        };
        try
        {
            await ssl.AuthenticateAsClientAsync(options);
        }
        catch (Exception ex)
        {
            GatewayActivitySource.Fail(activity, ex);
            await ssl.DisposeAsync();
            throw new BackendConnectException("TLS with the server failed: " + (_certificateRejection is { } rejected ? "certificate rejected: " + rejected : ex.Message), ex);
        }
        _stream = ssl;
        IsTls = true;
    }

    private bool ValidateCertificate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None || _target.AllowUntrustedCertificate)
        {
            return true;
        }
        if (certificate is not null)
        {
            var thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
            foreach (var trusted in _target.TrustedCertificateThumbprints)
            {
                if (string.Equals(trusted.Replace(":", "", StringComparison.Ordinal), thumbprint, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
        }
        _certificateRejection = RejectionReason(errors, chain);
        Log.CertificateRejected(_logger, _target.Host, _target.Port, _target.Domain, _certificateRejection);
        return false;
    }

    /// <summary>
    /// With <c>TrustedCaFile</c>: chains must end at one of its certificates (and only those); revocation is not
    /// checked, as without it. SslStream still checks the host name. Null: the system's roots.
    /// </summary>
    private static X509ChainPolicy? TrustedCaPolicy(X509Certificate2Collection? trustedCa)
    {
        if (trustedCa is null)
        {
            return null;
        }
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(trustedCa);
        return policy;
    }

    /// <summary>What an operator reads: "name mismatch (expected localhost)", "unknown CA: UntrustedRoot", chain statuses.</summary>
    private string RejectionReason(SslPolicyErrors errors, X509Chain? chain)
    {
        var reasons = new List<string>();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            reasons.Add("no certificate");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            reasons.Add($"name mismatch (expected {_target.TlsServerName})");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = (chain?.ChainStatus ?? []).Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct().ToList();
            var unknownCa = statuses.Contains(X509ChainStatusFlags.UntrustedRoot) || statuses.Contains(X509ChainStatusFlags.PartialChain);
            reasons.Add((unknownCa ? "unknown CA: " : "chain invalid: ") + (statuses.Count == 0 ? "no status" : string.Join(", ", statuses)));
        }
        return string.Join("; ", reasons);
    }
}
