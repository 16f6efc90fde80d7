namespace BoshGateway.Configuration;

/// <summary>How the gateway secures its own TCP link to the XMPP server.</summary>
public enum BackendTlsMode
{
    /// <summary>Use STARTTLS when the server offers it; plain otherwise.</summary>
    Auto,

    /// <summary>Require STARTTLS; fail the session if the server does not offer it.</summary>
    StartTls,

    /// <summary>TLS from the first byte (XEP-0368 direct TLS, usually port 5223).</summary>
    DirectTls,

    /// <summary>Never encrypt (loopback or a trusted private network only, XEP-0124 §19.2).</summary>
    None,
}
