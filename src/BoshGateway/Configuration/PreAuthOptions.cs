namespace BoshGateway.Configuration;

/// <summary>
/// What a client may send before the server says SASL success (<c>Gateway:PreAuth</c>), over both transports.
/// Anyone can open a session, so until then it gets only what a login needs. Defaults follow ejabberd's
/// pre-authentication limits. Over either limit: BOSH terminate / WebSocket stream error <c>policy-violation</c>.
/// The time allowed is <c>Gateway:Bosh:PreAuthTimeout</c> and <c>Gateway:WebSocket:PreAuthTimeout</c>.
/// </summary>
public sealed class PreAuthOptions
{
    /// <summary>Largest element before authentication, in bytes. Default 8192.</summary>
    public int MaxElementBytes { get; set; } = 8192;

    /// <summary>Most elements before authentication (SASL exchange, in-band registration). Default 32.</summary>
    public int MaxElements { get; set; } = 32;
}
