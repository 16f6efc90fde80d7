using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BoshGateway.Prebind;

/// <summary>
/// Compact JWTs signed with HMAC-SHA256 (RFC 7519, RFC 7515 <c>HS256</c>), the one algorithm both ends of
/// prebind use: the web application signs its request with the shared secret, the gateway signs the
/// server's login token with the server's key. Any other <c>alg</c> (<c>none</c> above all) is refused.
/// </summary>
internal static class HmacJwt
{
    private const int MaxTokenLength = 4096;
    private static readonly byte[] Header = Encoding.UTF8.GetBytes(Base64Url.EncodeToString("""{"alg":"HS256","typ":"JWT"}"""u8));

    /// <summary>A signed token carrying <paramref name="claims"/> (a JSON object).</summary>
    public static string Sign(ReadOnlySpan<byte> key, ReadOnlySpan<byte> claims)
    {
        var payload = Base64Url.EncodeToString(claims);
        var signingInput = new byte[Header.Length + 1 + payload.Length];
        Header.CopyTo(signingInput, 0);
        signingInput[Header.Length] = (byte)'.';
        Encoding.ASCII.GetBytes(payload, signingInput.AsSpan(Header.Length + 1));
        var signature = HMACSHA256.HashData(key, signingInput);
        return $"{Encoding.ASCII.GetString(signingInput)}.{Base64Url.EncodeToString(signature)}";
    }

    /// <summary>
    /// The claims of <paramref name="token"/> when it is a well-formed HS256 JWT whose signature matches
    /// <paramref name="key"/> (compared in constant time); otherwise null and why.
    /// </summary>
    public static JsonElement? Verify(string token, ReadOnlySpan<byte> key, out string? error)
    {
        error = null;
        if (token.Length > MaxTokenLength)
        {
            error = "token too long";
            return null;
        }
        var firstDot = token.IndexOf('.', StringComparison.Ordinal);
        var lastDot = token.LastIndexOf('.');
        if (firstDot <= 0 || lastDot == firstDot || token.IndexOf('.', firstDot + 1) != lastDot)
        {
            error = "not a compact JWT";
            return null;
        }
        try
        {
            using (var header = JsonDocument.Parse(Base64Url.DecodeFromChars(token.AsSpan(0, firstDot))))
            {
                if (header.RootElement.ValueKind != JsonValueKind.Object
                    || !header.RootElement.TryGetProperty("alg", out var alg) || alg.ValueKind != JsonValueKind.String || alg.GetString() != "HS256")
                {
                    error = "alg is not HS256";
                    return null;
                }
            }
            var signingInput = Encoding.ASCII.GetBytes(token, 0, lastDot);
            var expected = HMACSHA256.HashData(key, signingInput);
            var given = Base64Url.DecodeFromChars(token.AsSpan(lastDot + 1));
            if (!CryptographicOperations.FixedTimeEquals(expected, given))
            {
                error = "bad signature";
                return null;
            }
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(token.AsSpan(firstDot + 1, lastDot - firstDot - 1)));
            if (claims.RootElement.ValueKind != JsonValueKind.Object)
            {
                error = "claims are not a JSON object";
                return null;
            }
            return claims.RootElement.Clone();
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            error = "not a compact JWT";
            return null;
        }
    }
}
