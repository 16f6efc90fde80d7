using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BoshGateway.IntegrationTests.Prebind;

/// <summary>What a web application's backend does: signs a request token and asks the gateway for a session.</summary>
internal static class PrebindTokens
{
    public const string WebAppSecret = "the-web-application-and-the-gateway-share-this";

    /// <summary>A JWT over <paramref name="claims"/> with header <paramref name="alg"/>, signed HS256 with <paramref name="secret"/>.</summary>
    public static string Sign(object claims, string secret = WebAppSecret, string alg = "HS256")
    {
        var input = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(new { alg, typ = "JWT" })) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(secret));
        return input + "." + Base64Url.EncodeToString(hmac.ComputeHash(Encoding.ASCII.GetBytes(input)));
    }

    /// <summary>The usual request: user <paramref name="jid"/>, valid for a minute, a fresh jti.</summary>
    public static string For(string jid, int validSeconds = 60)
        => Sign(new { sub = jid, exp = DateTimeOffset.UtcNow.AddSeconds(validSeconds).ToUnixTimeSeconds(), jti = Guid.NewGuid().ToString("N") });

    public static async Task<(int Status, JsonElement Answer, HttpResponseMessage Response)> RequestAsync(Uri gateway, string? token)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/prebind"));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        using var json = JsonDocument.Parse(text);
        return ((int)response.StatusCode, json.RootElement.Clone(), response);
    }

    /// <summary>A fresh symmetric JWK file (what ejabberd's jwt_key and Gateway:Prebind:ServerJwkFile read).</summary>
    public static string NewJwkFile(string directory)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, $"server-{Guid.NewGuid():N}.jwk");
        var k = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        File.WriteAllText(path, JsonSerializer.Serialize(new { kty = "oct", k }));
        return path;
    }
}
