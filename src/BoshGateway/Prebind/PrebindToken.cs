using System.Text;
using System.Text.Json;

namespace BoshGateway.Prebind;

/// <summary>
/// What a web application's signed request asks for: log in <see cref="User"/> at <see cref="Domain"/>
/// (claim <c>sub</c>, a bare JID), optionally with <see cref="Resource"/>. <c>exp</c> (required, at most
/// <c>MaxTokenLifetime</c> ahead) and <c>jti</c> (required, used once) make a token short-lived and single-use.
/// </summary>
internal sealed record PrebindToken(string User, string Domain, string? Resource, string Id, DateTimeOffset Expires)
{
    private const int MaxPartLength = 1023;
    private const int MaxIdLength = 128;

    public string BareJid => $"{User}@{Domain}";

    /// <summary>The request token's claims checked against <paramref name="now"/>; null and why when they do not hold.</summary>
    public static PrebindToken? Read(JsonElement claims, DateTimeOffset now, TimeSpan maxLifetime, out string? error)
    {
        error = null;
        if (!claims.TryGetProperty("exp", out var exp) || exp.ValueKind != JsonValueKind.Number || !exp.TryGetInt64(out var expSeconds))
        {
            error = "no exp";
            return null;
        }
        var expires = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(expSeconds, 0, 253402300799));
        if (expires <= now)
        {
            error = "expired";
            return null;
        }
        if (expires > now + maxLifetime)
        {
            error = "exp further ahead than Gateway:Prebind:MaxTokenLifetime";
            return null;
        }
        if (String(claims, "jti") is not { Length: > 0 and <= MaxIdLength } id)
        {
            error = "no jti";
            return null;
        }
        if (String(claims, "sub") is not { } subject || !TrySplitBareJid(subject, out var user, out var domain))
        {
            error = "sub is not a bare JID";
            return null;
        }
        var resource = String(claims, "resource");
        if (resource is not null && (resource.Length is 0 or > MaxPartLength || resource.Any(char.IsControl)))
        {
            error = "bad resource";
            return null;
        }
        return new PrebindToken(user, domain, resource, id, expires);
    }

    /// <summary>local@domain with no resource and none of the characters a localpart may not hold (RFC 7622).</summary>
    internal static bool TrySplitBareJid(string jid, out string user, out string domain)
    {
        user = domain = "";
        var at = jid.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at == jid.Length - 1 || at > MaxPartLength || jid.Length - at - 1 > MaxPartLength)
        {
            return false;
        }
        var local = jid.AsSpan(0, at);
        var host = jid.AsSpan(at + 1);
        if (!IsClean(local, forbidColon: true) || !IsClean(host, forbidColon: false))
        {
            return false;
        }
        user = local.ToString();
        domain = host.ToString().ToLowerInvariant();
        return true;
    }

    /// <summary>No whitespace, control character, XML-special character, '/' or '@' (and, in a localpart, no ':').</summary>
    private static bool IsClean(ReadOnlySpan<char> part, bool forbidColon)
    {
        foreach (var c in part)
        {
            if (c is '"' or '&' or '\'' or '/' or '<' or '>' or '@' || (forbidColon && c == ':') || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The SASL PLAIN initial response for this user with <paramref name="password"/> (RFC 4616), base64.</summary>
    public string PlainResponse(string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{User}\0{password}"));

    private static string? String(JsonElement claims, string name)
        => claims.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
