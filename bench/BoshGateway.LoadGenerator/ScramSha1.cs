using System.Security.Cryptography;
using System.Text;

namespace BoshGateway.LoadGenerator;

/// <summary>The client side of SASL SCRAM-SHA-1 (RFC 5802) without channel binding, as browser libraries do it.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "SCRAM-SHA-1 is defined over SHA-1; it is the mechanism servers offer and browsers use.")]
internal sealed class ScramSha1(string user, string password)
{
    private readonly string _clientNonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private string _clientFirstBare = "";
    private byte[] _serverSignature = [];

    /// <summary>The <c>&lt;auth/&gt;</c> element with the client-first message.</summary>
    public string Auth()
    {
        _clientFirstBare = $"n={user.Replace("=", "=3D", StringComparison.Ordinal).Replace(",", "=2C", StringComparison.Ordinal)},r={_clientNonce}";
        return "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" + Base64("n,," + _clientFirstBare) + "</auth>";
    }

    /// <summary>The <c>&lt;response/&gt;</c> to the server's challenge (base64 server-first message).</summary>
    public string Respond(string challengeBase64)
    {
        var serverFirst = Encoding.UTF8.GetString(Convert.FromBase64String(challengeBase64));
        var fields = serverFirst.Split(',').Where(f => f.Length > 2 && f[1] == '=').ToDictionary(f => f[0], f => f[2..]);
        var nonce = fields['r'];
        if (!nonce.StartsWith(_clientNonce, StringComparison.Ordinal))
        {
            throw new InvalidOperationException("SCRAM: server nonce does not extend ours");
        }
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(fields['s']), int.Parse(fields['i'], System.Globalization.CultureInfo.InvariantCulture), HashAlgorithmName.SHA1, 20);
        var clientKey = HMACSHA1.HashData(salted, "Client Key"u8);
        var storedKey = SHA1.HashData(clientKey);
        var withoutProof = "c=biws,r=" + nonce;
        var authMessage = Encoding.UTF8.GetBytes(_clientFirstBare + "," + serverFirst + "," + withoutProof);
        var signature = HMACSHA1.HashData(storedKey, authMessage);
        for (var i = 0; i < clientKey.Length; i++)
        {
            clientKey[i] ^= signature[i];
        }
        _serverSignature = HMACSHA1.HashData(HMACSHA1.HashData(salted, "Server Key"u8), authMessage);
        return "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + Base64(withoutProof + ",p=" + Convert.ToBase64String(clientKey)) + "</response>";
    }

    /// <summary>Checks the server's signature in the <c>&lt;success/&gt;</c> payload (base64 <c>v=…</c>).</summary>
    public bool VerifyServer(string successBase64)
    {
        var text = Encoding.UTF8.GetString(Convert.FromBase64String(successBase64));
        return text.StartsWith("v=", StringComparison.Ordinal) && Convert.FromBase64String(text[2..]).AsSpan().SequenceEqual(_serverSignature);
    }

    private static string Base64(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text));
}
