namespace BoshGateway.Configuration;

/// <summary>
/// Token prebind (<c>Gateway:Prebind</c>): a web application's backend, which already knows its user, asks
/// for a logged-in BOSH session and hands <c>{jid, sid, rid}</c> to the page (Converse.js <c>prebind_url</c>,
/// Strophe.js <c>attach</c>). Off unless <see cref="Secret"/> is set.
/// </summary>
public sealed class PrebindOptions
{
    /// <summary>Where the web application POSTs its signed request. Default <c>/prebind</c>.</summary>
    public string Path { get; set; } = "/prebind";

    /// <summary>
    /// The key the web application signs its request token with (HS256 JWT, at least 32 bytes). Unset:
    /// prebind is off and <see cref="Path"/> is not served.
    /// </summary>
    public string? Secret { get; set; }

    /// <summary>Longest a request token may be valid for (its <c>exp</c> at most this far ahead). Default 5 minutes.</summary>
    public TimeSpan MaxTokenLifetime { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The JWK (<c>{"kty":"oct","k":…}</c>) the XMPP server checks login tokens with: ejabberd's
    /// <c>jwt_key</c> with <c>auth_method: [internal, jwt]</c>. Required with <see cref="Secret"/>.
    /// </summary>
    public string? ServerJwkFile { get; set; }

    /// <summary>How long the whole login (SASL, restart, bind) may take before the answer is 504. Default 10 s.</summary>
    public TimeSpan LoginTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The key read from <see cref="ServerJwkFile"/> at start-up.</summary>
    internal byte[]? ServerKey { get; set; }

    internal bool Enabled => Secret is not null;
}
