using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>The client side of SASL SCRAM-SHA-1 (RFC 5802), for tests.</summary>
internal sealed class ScramSha1Client(string user, string password)
{
    private readonly string _nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(18));
    private byte[] _salted = [];
    private byte[] _authMessage = [];

    private string ClientFirstBare => $"n={user},r={_nonce}";

    /// <summary>Base64 of the client-first message.</summary>
    public string First() => B64("n,," + ClientFirstBare);

    /// <summary>Base64 of the client-final message for the server's base64 challenge.</summary>
    public string Final(string challengeBase64)
    {
        var serverFirst = Encoding.UTF8.GetString(Convert.FromBase64String(challengeBase64));
        var fields = serverFirst.Split(',').ToDictionary(f => f[..1], f => f[2..]);
        Assert.StartsWith(_nonce, fields["r"], StringComparison.Ordinal);
        _salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), Convert.FromBase64String(fields["s"]), int.Parse(fields["i"], CultureInfo.InvariantCulture), HashAlgorithmName.SHA1, 20);
        var clientKey = HMACSHA1.HashData(_salted, "Client Key"u8);
        var withoutProof = $"c=biws,r={fields["r"]}";
        _authMessage = Encoding.UTF8.GetBytes($"{ClientFirstBare},{serverFirst},{withoutProof}");
        var signature = HMACSHA1.HashData(SHA1.HashData(clientKey), _authMessage);
        var proof = clientKey.Zip(signature, (a, b) => (byte)(a ^ b)).ToArray();
        return B64(withoutProof + ",p=" + Convert.ToBase64String(proof));
    }

    /// <summary>Checks the server signature in the base64 success data.</summary>
    public void Verify(string successBase64)
    {
        var serverKey = HMACSHA1.HashData(_salted, "Server Key"u8);
        Assert.Equal("v=" + Convert.ToBase64String(HMACSHA1.HashData(serverKey, _authMessage)), Encoding.UTF8.GetString(Convert.FromBase64String(successBase64)));
    }

    private static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s));
}
